/**
 * The trained models that ship in models/: each loads, is a registered backbone topology with the
 * GAP -> Dense head, fits the 3 MB budget, and reproduces its card's accuracy on the first 200 scenes
 * (the card's evaluation seed) of each test split within 2 points (the card also gives 1,000-scene accuracy).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend, createExplainer } from '../src/index.js';
import { builtinModels, DEFAULT_MODEL } from '../src/node/zoo.js';
import { loadModel } from '../src/node/model-io.js';
import { accuracy } from '../src/node/train.js';

await useWasmBackend();
const SEEDED = ['vgg16-digits', 'resnet50-digits', 'resnet101-digits', 'efficientnetb0-digits'];
const models = builtinModels();

test('the four backbones of the source report ship as trained models with cards', () => {
  const names = models.map((m) => m.name);
  for (const n of SEEDED) assert.ok(names.includes(n), `models/${n} is missing (have: ${names.join(', ')})`);
});

test('the default model (the demo\'s and the CLI\'s) comes first, then the most accurate, and every card meets the goal', () => {
  assert.is(models[0]!.name, DEFAULT_MODEL);
  const acc = (m: (typeof models)[number]) => m.card.accuracy as Record<string, number>;
  const rest = models.slice(1).map((m) => (acc(m)['test-single']! + acc(m)['test-multi']!) / 2);
  assert.equal(rest, [...rest].sort((a, b) => b - a));
  for (const m of models) for (const split of ['test-single', 'test-multi']) assert.ok(acc(m)[split]! >= 0.95, `${m.name} ${split} ${acc(m)[split]}`);
});

for (const m of models) {
  test(`${m.name}: loads, <= 3 MB, card accuracy reproduced within 2 points on 200 scenes per test split`, async () => {
    const card = m.card as unknown as {
      inputShape: [number, number, number]; targetLayer: string; weightBytes: number;
      accuracy: Record<string, number>; accuracy200: Record<string, number>; dataset: { evalSeed: number };
    };
    const bytes = statSync(path.join(m.dir, 'weights.bin')).size;
    assert.ok(bytes <= 3 * 1024 * 1024, `weights ${bytes} bytes > 3 MB`);
    assert.is(bytes, card.weightBytes);
    const model = await loadModel(m.dir);
    try {
      assert.equal(model.inputs[0].shape.slice(1), card.inputShape);
      const ex = await createExplainer(model);
      assert.is(ex.layer, card.targetLayer, 'the default target is the card\'s target layer');
      assert.ok(ex.applicable().every((a) => a.ok), 'CAM applies (GAP -> Dense head)');
      const before = tf.memory().numTensors;
      for (const split of ['test-single', 'test-multi'] as const) {
        const acc = accuracy(model, split, 200, card.dataset.evalSeed, card.inputShape[0]);
        assert.ok(Math.abs(acc - card.accuracy200[split]) <= 0.02,
          `${split}: ${acc.toFixed(3)} on the first 200 scenes vs the card's ${card.accuracy200[split]}`);
      }
      assert.is(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });
}

test.run();
