/**
 * The models at the paper's scale (issue 12, models-224/): each that has landed loads, takes 224x224 scenes, has
 * its card's target map size (14x14 for VGG16's block5_conv3, 7x7 for the GAP backbones), fits the 4 MB budget,
 * meets >= 95 % on both test splits in its card (1,000 scenes of the evaluation seed, and >= 5,000 scenes of that
 * seed and of one that chose nothing: scripts/accuracy.ts), and reproduces the card's accuracy on the first 200
 * scenes of each test split within 2 points.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend, createExplainer } from '../src/index.js';
import { loadLayersModel } from '../src/node/model-io.js';
import { accuracy } from '../src/node/train.js';
import { PACKAGE_ROOT } from '../src/node/zoo.js';

await useWasmBackend();
const DIR = path.join(PACKAGE_ROOT, 'models-224');
/** The models that have landed, with the side of their default target map. */
const LANDED: Record<string, number> = { 'vgg16fc-digits224': 14, 'resnet50-digits224': 7, 'resnet101-digits224': 7, 'efficientnetb0-digits224': 7 };

interface Card {
  name: string; inputShape: [number, number, number]; targetLayer: string; weightBytes: number; head: string;
  accuracy: Record<string, number>; accuracy200: Record<string, number>; dataset: { evalSeed: number };
  accuracyLarge: { scenes: number; seeds: Record<string, Record<string, { accuracy: number }>> };
}
const found = existsSync(DIR) ? readdirSync(DIR).filter((d) => existsSync(path.join(DIR, d, 'model.json'))) : [];

test('the landed models are in models-224/ (and nothing unlisted)', () => {
  assert.equal(found.sort(), Object.keys(LANDED).sort());
});

for (const name of found) {
  const dir = path.join(DIR, name);
  const card = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) as Card;

  test(`${name}: card meets the goal (>= 95 % on both test splits, >= 5,000 scenes of two seeds, <= 4 MB)`, () => {
    const bytes = statSync(path.join(dir, 'weights.bin')).size;
    assert.ok(bytes <= 4 * 1024 * 1024, `weights ${bytes} bytes > 4 MB`);
    assert.is(bytes, card.weightBytes);
    assert.equal(card.inputShape, [224, 224, 3]);
    for (const split of ['test-single', 'test-multi']) assert.ok(card.accuracy[split]! >= 0.95, `${split}: ${card.accuracy[split]}`);
    assert.ok(card.accuracyLarge.scenes >= 5000);
    const seeds = Object.keys(card.accuracyLarge.seeds);
    assert.ok(seeds.length >= 2 && seeds.includes(String(card.dataset.evalSeed)), `seeds ${seeds}`);
    for (const s of seeds) {
      for (const split of ['test-single', 'test-multi']) {
        const a = card.accuracyLarge.seeds[s]![split]!.accuracy;
        assert.ok(a >= 0.95, `seed ${s} ${split}: ${a}`);
      }
    }
  });

  test(`${name}: loads, ${LANDED[name]}x${LANDED[name]} target map, card accuracy within 2 points on 200 scenes per test split`, async () => {
    const model = await loadLayersModel(dir);
    try {
      // the card's layer (what evaluate uses); VGG16's default target with its FC head is block5_pool (7x7)
      const ex = await createExplainer(model, { layer: card.targetLayer });
      const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const [r] = await ex.explain(x);
      const e = r!.explanations[0]!;
      x.dispose();
      assert.equal([e.camHeight, e.camWidth], [LANDED[name], LANDED[name]]);
      ex.dispose();
      const before = tf.memory().numTensors;
      for (const split of ['test-single', 'test-multi'] as const) {
        const acc = accuracy(model, split, 200, card.dataset.evalSeed, 224);
        assert.ok(Math.abs(acc - card.accuracy200[split]!) <= 0.02,
          `${split}: ${acc.toFixed(3)} on the first 200 scenes vs the card's ${card.accuracy200[split]}`);
      }
      assert.is(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });
}

test.run();
