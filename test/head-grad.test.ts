/**
 * The hand-written head gradient (src/plan/head-grad.ts) against tf.grad through the same head, image by image:
 * VGG16's FC head (flatten -> fc1 -> fc2 -> dropout -> predictions with its softmax run linearly), ResNet-50's
 * GAP -> Dense (and its closed form dS_c/dA = W[k,c] / Z), a head of BN (scale and no scale) / activations /
 * dropout / noise / flatten, a batch with a different class per image, a target function; the fallback to
 * tf.grad for layers it does not know; the transposed-kernel cache after setWeights; no tensor leaks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend } from '../src/index.js';
import { buildBackbone } from '../src/models/index.js';
import { makePlan, type Plan } from '../src/plan/plan.js';
import { withCorrectMaxPoolGrad } from '../src/backend/max-pool-grad.js';
import { headPass, prepareHeadGrad, releaseHeadGrad, type Target } from '../src/plan/pass.js';

await useWasmBackend();

const TOL = 1e-5;
const images = (n: number, size: number, seed = 3) => tf.randomUniform([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;

/** tf.grad of image i's target through plan.head, one image at a time (the reference). */
function tapeGrad(plan: Plan, x: tf.Tensor4D, i: number, target: Target): Float32Array {
  return tf.tidy(() => {
    const body = plan.body(tf.slice(x, i, 1));
    try {
      // the library's correct MaxPool gradient (test/max-pool-grad.test.ts), as in every tape pass
      const g = withCorrectMaxPoolGrad(() => tf.grad((a: tf.Tensor) => {
        const s = plan.head(body, a);
        return (typeof target === 'number' ? tf.sum(tf.slice(s, [0, target], [1, 1])) : tf.sum(target(tf.reshape(s, [-1]) as tf.Tensor1D))) as tf.Scalar;
      })(body.a));
      return g.dataSync() as Float32Array;
    } finally {
      body.dispose();
    }
  }).slice();
}

/** max |hand - tape| / max |tape| over the images of one batched hand-written pass. */
function relError(plan: Plan, x: tf.Tensor4D, targets: Target[]): number {
  assert.ok(prepareHeadGrad(plan), 'the head is a chain of known layers');
  const before = tf.memory().numTensors;
  const body = plan.body(x);
  const pass = headPass(plan, body);
  let worst = 0;
  try {
    const res = pass.grad(targets);
    assert.is(res.error, null);
    const g = res.grad!.dataSync() as Float32Array;
    const n = targets.length, per = g.length / n;
    for (let i = 0; i < n; i++) {
      const ref = tapeGrad(plan, x, i, targets[i]);
      let d = 0, m = 0;
      for (let j = 0; j < per; j++) { d = Math.max(d, Math.abs(g[i * per + j] - ref[j])); m = Math.max(m, Math.abs(ref[j])); }
      assert.ok(m > 0, `image ${i}: a non-zero reference gradient`);
      worst = Math.max(worst, d / m);
    }
    res.grad!.dispose();
  } finally {
    pass.dispose();
    body.dispose();
  }
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  return worst;
}

test('VGG16 FC head (flatten, fc1, fc2, dropout, predictions): hand = tf.grad within 1e-5, a class per image', () => {
  const model = buildBackbone('vgg16', { inputShape: [64, 64, 3], classes: 10, width: 0.125, dropout: 0.5, seed: 4 });
  const plan = makePlan(model);
  assert.is(plan.layer, 'block5_pool');
  const x = images(3, 64);
  const e = relError(plan, x, [2, 7, 0]);
  console.log(`VGG16 FC head: max relative difference ${e.toExponential(2)}`);
  assert.ok(e < TOL, `${e}`);
  const f = relError(plan, x, [(l: tf.Tensor1D) => tf.sum(tf.slice(l, 0, 3)), (l: tf.Tensor1D) => tf.max(l), (l: tf.Tensor1D) => tf.gather(l, 4)]);
  assert.ok(f < TOL, `function targets: ${f}`);
  releaseHeadGrad(plan);
  tf.dispose(x);
  model.dispose();
});

test('ResNet-50 GAP -> Dense: hand = tf.grad, and dS_c/dA = W[k, c] / Z exactly', () => {
  const model = buildBackbone('resnet50', { inputShape: [64, 64, 3], classes: 6, width: 0.25, seed: 5 });
  const plan = makePlan(model);
  const x = images(2, 64, 7);
  assert.ok(relError(plan, x, [1, 5]) < TOL);
  const body = plan.body(x);
  const pass = headPass(plan, body);
  const res = pass.grad([3, 3]);
  const g = res.grad!.dataSync();
  const W = model.getLayer('predictions').getWeights()[0].dataSync();
  const Z = plan.camHeight * plan.camWidth, K = plan.channels, C = plan.numClasses;
  let d = 0;
  for (let p = 0; p < 2 * Z; p++) for (let k = 0; k < K; k++) d = Math.max(d, Math.abs(g[p * K + k] - W[k * C + 3] / Z));
  assert.ok(d < 1e-9, `closed form: ${d}`);
  res.grad!.dispose();
  pass.dispose();
  body.dispose();
  releaseHeadGrad(plan);
  tf.dispose(x);
  model.dispose();
});

/** target conv -> BN -> relu -> BN(scale: false) -> flatten -> dense(tanh) -> dropout -> dense(sigmoid) -> noise -> dense -> softmax */
function mixedHead() {
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const input = tf.input({ shape: [10, 10, 3] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, name: 'target', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  const layers = [
    tf.layers.batchNormalization({ name: 'bn1', gammaInitializer: tf.initializers.constant({ value: 1.7 }), movingVarianceInitializer: tf.initializers.constant({ value: 0.6 }), movingMeanInitializer: tf.initializers.constant({ value: 0.1 }) }),
    tf.layers.activation({ activation: 'relu' }),
    tf.layers.batchNormalization({ name: 'bn2', scale: false, movingVarianceInitializer: tf.initializers.constant({ value: 2 }), betaInitializer: tf.initializers.constant({ value: 0.3 }) }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: init(2) }),
    tf.layers.dropout({ rate: 0.4 }),
    tf.layers.dense({ units: 9, activation: 'sigmoid', kernelInitializer: init(3) }),
    tf.layers.gaussianNoise({ stddev: 0.5 }),
    tf.layers.dense({ units: 5, kernelInitializer: init(4), biasInitializer: tf.initializers.constant({ value: 0.2 }) }),
    tf.layers.activation({ activation: 'softmax' }),
  ];
  for (const l of layers) x = l.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

test('a head of BN, relu, BN without scale, flatten, tanh, dropout, sigmoid, noise, softmax: hand = tf.grad', () => {
  const model = mixedHead();
  const plan = makePlan(model, 'target');
  const x = images(4, 10, 9);
  const e = relError(plan, x, [0, 4, 2, 2]);
  assert.ok(e < TOL, `${e}`);
  releaseHeadGrad(plan);
  tf.dispose(x);
  model.dispose();
});

test('unknown layers fall back to tf.grad: a conv, max-pooling or a capped ReLU after the target', () => {
  const input = tf.input({ shape: [8, 8, 3] });
  const t = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'target' }).apply(input) as tf.SymbolicTensor;
  const heads = [
    [tf.layers.conv2d({ filters: 4, kernelSize: 3 }), tf.layers.globalAveragePooling2d({})],
    [tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.flatten()],
    [tf.layers.reLU({ maxValue: 6 }), tf.layers.globalAveragePooling2d({})],
  ];
  for (const head of heads) {
    let y = t;
    for (const l of [...head, tf.layers.dense({ units: 3 })]) y = l.apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const plan = makePlan(model, 'target');
    assert.is(prepareHeadGrad(plan), false, head[0].getClassName());
    // and the tape pass gives the same gradients as tf.grad
    const x = images(2, 8, 11);
    const body = plan.body(x);
    const pass = headPass(plan, body);
    const res = pass.grad([1, 2]);
    const g = res.grad!.dataSync(), per = g.length / 2;
    for (let i = 0; i < 2; i++) {
      const ref = tapeGrad(plan, x, i, i + 1);
      let d = 0;
      for (let j = 0; j < per; j++) d = Math.max(d, Math.abs(g[i * per + j] - ref[j]));
      assert.ok(d <= 1e-6, `${head[0].getClassName()}: image ${i}: ${d}`);
    }
    tf.dispose([res.grad!, x]);
    pass.dispose();
    body.dispose();
  }
});

test('the transposed kernels follow setWeights; explainer.dispose() frees them; nothing leaks', async () => {
  const model = buildBackbone('vgg16', { inputShape: [64, 64, 3], classes: 5, width: 0.125, seed: 6 });
  const before = tf.memory().numTensors;
  const ex = await createExplainer(model);
  assert.is(tf.memory().numTensors - before, 3, 'fc1, fc2, predictions: one transposed kernel each');
  const x = images(1, 64, 13);
  const plan = ex.plan;
  assert.ok(relError(plan, x, [4]) < TOL);
  const pred = model.getLayer('predictions');
  const [k, b] = pred.getWeights();
  const k2 = tf.mul(k, -2);
  pred.setWeights([k2, b]);
  const set = tf.memory().numTensors;
  assert.ok(relError(plan, x, [4]) < TOL, 'after setWeights');
  assert.is(tf.memory().numTensors, set, 'the replaced transposed kernel was freed');
  ex.dispose();
  assert.is(tf.memory().numTensors, set - 3, 'dispose() frees the three transposed kernels');
  tf.dispose([k2, x]);
  model.dispose();
});

test.run();
