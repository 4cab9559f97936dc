/**
 * The library leaves tfjs's global state alone: importing the package and calling useWasmBackend() keeps
 * tfjs's own Sum, Mean, Tile and Conv2DBackpropInput kernels (the same function objects), registers only
 * the wasm kernels tfjs lacks, and never replaces a kernel an app registered itself. The faster
 * training kernels come only on request, and restore() puts tfjs's own back.
 * (Its own file: it must see the kernel registry before the package is imported.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

// the training fast paths replace these only when asked
const OWN = ['Sum', 'Mean', 'Tile', 'Conv2DBackpropInput', 'Unpack', 'Pack', 'Transpose'];
// swapped only for the duration of the explainer's own gradient call (src/backend/max-pool-grad.ts)
const maxPoolGrad = tf.getKernel('MaxPoolGrad', 'wasm');
const MISSING = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum'];
const before = new Map(OWN.map((k) => [k, tf.getKernel(k, 'wasm')]));
const funcs = new Map(OWN.map((k) => [k, tf.getKernel(k, 'wasm')?.kernelFunc]));

// An app that brought its own UnsortedSegmentSum before importing the package.
const appKernel = { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: () => { throw new Error('app kernel'); } };

test('before: tfjs-backend-wasm has its own Sum/Mean/Tile/Conv2DBackpropInput and lacks the gradient kernels', () => {
  for (const k of OWN) assert.ok(funcs.get(k), k);
  for (const k of MISSING) assert.is(tf.getKernel(k, 'wasm'), undefined, k);
  tf.registerKernel(appKernel);
});

test("importing 'gradcam-wasm' and useWasmBackend(): tfjs's own kernels untouched, only missing ones added", async () => {
  const g = await import('../src/index.js');
  await g.useWasmBackend();
  assert.is(tf.getBackend(), 'wasm');
  for (const k of OWN) {
    assert.ok(tf.getKernel(k, 'wasm') === before.get(k), `${k}: the same kernel config`);
    assert.ok(tf.getKernel(k, 'wasm')!.kernelFunc === funcs.get(k), `${k}: the same kernel function`);
  }
  for (const k of MISSING.filter((k) => k !== 'UnsortedSegmentSum')) assert.ok(tf.getKernel(k, 'wasm'), `${k} registered`);
  assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm') === appKernel, "the app's own kernel is kept");
  // an explanation does not change them either
  const input = tf.input({ shape: [8, 8, 3] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 3 }).apply(tf.layers.globalAveragePooling2d({}).apply(c)) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: y });
  const img = tf.randomUniform([8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor3D;
  await g.explainWasm(m, img, { method: 'gradcam++' });
  for (const k of OWN) assert.ok(tf.getKernel(k, 'wasm')!.kernelFunc === funcs.get(k), `${k} after an explanation`);
  assert.ok(maxPoolGrad && tf.getKernel('MaxPoolGrad', 'wasm') === maxPoolGrad, 'MaxPoolGrad: tfjs\'s own after an explanation');
  tf.dispose([img]);
  m.dispose();
});

test('useFastTrainingKernels(): opt-in replacement, restore() puts the very same kernels back', async () => {
  const { useFastTrainingKernels, fastTrainingKernelsActive } = await import('../src/backend/index.js');
  const restore = useFastTrainingKernels();
  assert.ok(fastTrainingKernelsActive());
  for (const k of OWN) assert.ok(tf.getKernel(k, 'wasm')!.kernelFunc !== funcs.get(k), `${k} replaced while active`);
  assert.ok(useFastTrainingKernels() === restore, 'a second call returns the same restore');
  // the training kernels compute the same sums
  const x = tf.tensor4d(Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i)), [2, 3, 4, 5]);
  const fast = Array.from(tf.sum(x, [0, 1, 2]).dataSync());
  restore();
  const own = Array.from(tf.sum(x, [0, 1, 2]).dataSync());
  own.forEach((v, i) => assert.ok(Math.abs(v - fast[i]!) < 1e-5, `sum ${i}: ${v} vs ${fast[i]}`));
  assert.is(fastTrainingKernelsActive(), false);
  for (const k of OWN) assert.ok(tf.getKernel(k, 'wasm') === before.get(k), `${k} restored`);
  restore(); // a second restore does nothing
  for (const k of OWN) assert.ok(tf.getKernel(k, 'wasm') === before.get(k), `${k} still tfjs's own`);
  x.dispose();
});

test.run();
