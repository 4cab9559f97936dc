/**
 * explain([n images]) runs one body pass and one head gradient per batch of same-sized images: its results must be
 * those of explaining each image alone (within 1e-6), for every method of the registry (Score-CAM and Smooth
 * Grad-CAM++ included), several layers fused, top-k (a different class per image), explicit classes and function
 * targets; images of several sizes (grouped), lists longer than EXPLAIN_BATCH_SIZE (chunked); no tensor leaks,
 * also when an image or a target fails in the middle of a batch.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend, METHODS, InvalidInputError, type ImageExplanations, type ImageInput, type MethodName } from '../src/index.js';
import { EXPLAIN_BATCH_SIZE } from '../src/constants.js';
import { rejects } from './helpers/rejects.js';

await useWasmBackend();

const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
const conv = (filters: number, name: string, s: number) =>
  tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name, kernelInitializer: init(s) });

/** c1 -> target -> GAP -> Dense(softmax): every method applies (CAM too), the head gradient is the hand-written one. */
function gapModel() {
  const input = tf.input({ shape: [12, 12, 3] });
  let y = conv(6, 'c1', 1).apply(input) as tf.SymbolicTensor;
  y = conv(8, 'target', 2).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 5, activation: 'softmax', name: 'fc', kernelInitializer: init(3) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** c1 -> target -> conv -> maxpool -> flatten -> Dense(relu) -> Dense(softmax): a head that needs tf.grad. */
function convHeadModel() {
  const input = tf.input({ shape: [12, 12, 3] });
  let y = conv(6, 'c1', 4).apply(input) as tf.SymbolicTensor;
  y = conv(7, 'target', 5).apply(y) as tf.SymbolicTensor;
  y = conv(5, 'after', 6).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: init(7) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(8) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** Images of different colours, brightness and contrast, so that their top classes differ. */
const images = (n: number, size = 12, seed = 1) => Array.from({ length: n }, (_, i) => tf.tidy(() => {
  const tint = tf.tensor1d([0, 1, 2].map((c) => (c === i % 3 ? 3 : -1) * (1 + (i % 4))));
  return tf.mul(tf.randomUniform([size, size, 3], -1, 1, 'float32', seed + i), tint) as tf.Tensor3D;
}));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** The batched results against one explain() per image: same classes, maps, weights, logits within `tol`. */
async function sameAsAlone(ex: Awaited<ReturnType<typeof createExplainer>>, xs: ImageInput[], request: object, tol = 1e-6): Promise<number> {
  const batched = await ex.explain(xs, request);
  let worst = 0;
  for (const [i, x] of xs.entries()) {
    const [alone] = await ex.explain(x, request) as ImageExplanations[];
    const b = batched[i];
    worst = Math.max(worst, maxDiff(b.logits, alone.logits) / (1 + Math.max(...alone.logits.map(Math.abs))));
    assert.equal(b.top.map((p) => p.classIndex), alone.top.map((p) => p.classIndex));
    assert.is(b.explanations.length, alone.explanations.length);
    for (const [j, e] of b.explanations.entries()) {
      const a = alone.explanations[j];
      assert.equal([e.method, e.classIndex, e.width, e.height], [a.method, a.classIndex, a.width, a.height]);
      worst = Math.max(worst, maxDiff(e.cam, a.cam), maxDiff(e.heatmap, a.heatmap), Math.abs(e.logit - a.logit) / (1 + Math.abs(a.logit)));
      if (e.weights.length) worst = Math.max(worst, maxDiff(e.weights, a.weights) / (1e-3 + Math.max(...a.weights.map(Math.abs))));
    }
  }
  assert.ok(worst <= tol, `batched vs alone: ${worst}`);
  return worst;
}

const ALL = METHODS.map((m) => m.name as MethodName);

test('every method, top-2 per image (the classes differ across images): batched = alone', async () => {
  const model = gapModel();
  const ex = await createExplainer(model);
  const xs = images(4);
  const [r] = await ex.explain(xs, { topK: 2 });
  const tops = (await ex.explain(xs)).map((e) => e.top[0].classIndex);
  assert.ok(new Set(tops).size > 1, `the images' top classes differ: ${tops}`);
  assert.is(r.explanations.length, 2);
  const before = tf.memory().numTensors;
  const w = await sameAsAlone(ex, xs, { methods: ALL, topK: 2, samples: 2 });
  console.log(`GAP head, ${ALL.length} methods, top-2: max difference batched vs alone ${w.toExponential(2)}`);
  assert.is(tf.memory().numTensors, before);
  tf.dispose(xs);
  ex.dispose();
  model.dispose();
});

test('a head that needs tf.grad, two fused layers, explicit classes and a function target: batched = alone', async () => {
  const model = convHeadModel();
  const ex = await createExplainer(model, { layer: ['c1', 'target'] });
  const methods = ALL.filter((m) => m !== 'cam');
  const xs = images(3, 12, 20);
  const before = tf.memory().numTensors;
  await sameAsAlone(ex, xs, { methods, target: [3, 1], samples: 2 });
  await sameAsAlone(ex, xs, { methods: ['gradcam', 'gradcam++', 'layercam'], target: (l: tf.Tensor1D) => tf.sum(tf.slice(l, 1, 2)) });
  assert.is(tf.memory().numTensors, before);
  tf.dispose(xs);
  ex.dispose();
  model.dispose();
});

test('images of several sizes (resized to the model input, heatmaps at their own sizes); long lists in chunks; order kept', async () => {
  const model = gapModel();
  const ex = await createExplainer(model, { layer: 'target' });
  const xs = [...images(3, 12, 30), ...images(2, 9, 40), ...images(1, 16, 50), ...images(EXPLAIN_BATCH_SIZE, 10, 60)];
  const before = tf.memory().numTensors;
  await sameAsAlone(ex, xs, { methods: ['gradcam++', 'cam'] });
  const res = await ex.explain(xs, { methods: ['gradcam'] });
  assert.equal(res.map((r) => r.explanations[0].width), xs.map((x) => x.shape[1]));
  assert.is(tf.memory().numTensors, before);
  tf.dispose(xs);
  ex.dispose();
  model.dispose();
});

test('an error in the middle of a batch (a bad image, a failing target) is typed and leaks nothing', async () => {
  const model = gapModel();
  const ex = await createExplainer(model);
  const xs = images(4, 12, 70);
  const bad = tf.fill([12, 12, 3], NaN) as tf.Tensor3D;
  const before = tf.memory().numTensors;
  await rejects(() => ex.explain([xs[0], xs[1], bad, xs[2]]), (e) => e instanceof InvalidInputError && /NaN/.test((e as Error).message));
  let calls = 0;
  const target = (l: tf.Tensor1D) => (++calls === 3 ? (() => { throw new Error('boom'); })() : tf.gather(l, 1));
  await rejects(() => ex.explain(xs, { methods: ['gradcam', 'smoothgradcam++'], samples: 2, target }), (e) => /boom/.test((e as Error).message));
  await rejects(() => ex.explain(xs, { target: (l: tf.Tensor1D) => l }), (e) => e instanceof InvalidInputError && /float32 scalar/.test((e as Error).message));
  assert.is(tf.memory().numTensors, before);
  tf.dispose([...xs, bad]);
  ex.dispose();
  model.dispose();
});

test.run();
