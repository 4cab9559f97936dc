/**
 * The trained models that ship in models/: each image model loads, is a registered backbone topology with the
 * GAP -> Dense head, fits the 3 MB budget, and reproduces its card's accuracy on the first 200 scenes
 * (the card's evaluation seed) of each test split within 2 points (the card also gives 1,000-scene accuracy).
 * The clip model (convlstm-clips, when it has landed) the same on the first 200 clips of its test split, and
 * explainSequence gives its card's target a [T, h, w] map.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend, createExplainer, explainSequence } from '../src/index.js';
import { builtinModels, DEFAULT_MODEL } from '../src/node/zoo.js';
import { loadModel } from '../src/node/model-io.js';
import { accuracy, clipAccuracy } from '../src/node/train.js';
import { CLIP_MODEL } from '../src/cli/explain-clip.js';

await useWasmBackend();
const SEEDED = ['vgg16-digits', 'resnet50-digits', 'resnet101-digits', 'efficientnetb0-digits'];
const models = builtinModels('image');
const clipModels = builtinModels('clip');

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

test('the only clip model in models/ is the ConvLSTM of the clips, if any', () => {
  assert.ok(clipModels.every((m) => m.name === CLIP_MODEL), clipModels.map((m) => m.name).join(', '));
  assert.equal(builtinModels().map((m) => m.name).sort(), [...models, ...clipModels].map((m) => m.name).sort());
});

for (const m of clipModels) {
  test(`${m.name}: loads, <= 3 MB, >= 95 % on both clip splits, card accuracy within 2 points on 200 test clips, a [T,h,w] map`, async () => {
    const card = m.card as unknown as {
      inputShape: [number, number, number, number]; targetLayer: string; weightBytes: number;
      accuracy: Record<string, number>; accuracy200: Record<string, number>; dataset: { evalSeed: number }; stem?: string;
    };
    const bytes = statSync(path.join(m.dir, 'weights.bin')).size;
    assert.ok(bytes <= 3 * 1024 * 1024, `weights ${bytes} bytes > 3 MB`);
    assert.is(bytes, card.weightBytes);
    for (const split of ['train', 'test']) assert.ok(card.accuracy[split]! >= 0.95, `${split} ${card.accuracy[split]}`);
    const model = await loadModel(m.dir) as tf.LayersModel;
    try {
      const [T, S] = card.inputShape;
      assert.equal(model.inputs[0].shape.slice(1), card.inputShape);
      const before = tf.memory().numTensors;
      const acc = clipAccuracy(model, 'test', 200, card.dataset.evalSeed, S, T);
      assert.ok(Math.abs(acc - card.accuracy200.test!) <= 0.02, `test: ${acc.toFixed(3)} on the first 200 clips vs the card's ${card.accuracy200.test}`);
      const clip = tf.randomUniform([T, S, S, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const e = await explainSequence(model, clip, { method: 'gradcam++' });
      clip.dispose();
      assert.is(e.layer, card.targetLayer);
      assert.is(e.frames, T);
      const down = card.stem === 'vgg3' || card.stem === 'vgg4' ? 8 : 4;   // the stems that end after VGG16's block 3 pool
      assert.equal([e.camHeight, e.camWidth], [S / down, S / down]);
      assert.is(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });
}

test.run();
