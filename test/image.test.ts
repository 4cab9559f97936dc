/**
 * Input preparation (src/image.ts toBatch): RGBA bytes become the float batch in one pass (no slice, cast or
 * finiteness kernels); a float32 Tensor4D of the model's size is used as is and never disposed by the library;
 * float inputs and preprocess results are checked with one reduction, and the errors still say who is to blame.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createExplainer, InvalidInputError, NumericalError, useWasmBackend } from '../src/index.js';
import { toBatch } from '../src/image.js';
import { rejects } from './helpers/rejects.js';

await useWasmBackend();

const rgba = (w: number, h: number) => {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256;
  return { data, width: w, height: h };
};

/** Kernel names run by fn (tf.profile). */
async function kernelsOf(fn: () => tf.Tensor): Promise<string[]> {
  let out: tf.Tensor | null = null;
  const info = await tf.profile(() => { out = fn(); });
  const names = info.kernels.map((k) => k.name);
  out!.dispose();
  return names;
}

test('RGBA bytes -> float32 [1, H, W, 3] (alpha dropped), grey for a 1-channel model; no slice, cast or isFinite kernel', async () => {
  const img = rgba(5, 3);
  const b = toBatch(img, [null, null, null, 3]);
  assert.equal(b.shape, [1, 3, 5, 3]);
  assert.is(b.dtype, 'float32');
  const v = b.dataSync();
  for (let p = 0; p < 15; p++) for (let c = 0; c < 3; c++) assert.is(v[p * 3 + c], img.data[p * 4 + c]);
  b.dispose();
  const g = toBatch(img, [null, 3, 5, 1]);
  assert.equal(g.shape, [1, 3, 5, 1]);
  const gv = g.dataSync();
  for (let p = 0; p < 15; p++) assert.ok(Math.abs(gv[p] - (img.data[p * 4] + img.data[p * 4 + 1] + img.data[p * 4 + 2]) / 3) < 1e-4);
  g.dispose();
  const plain = await kernelsOf(() => toBatch(img, [null, 3, 5, 3]));
  assert.equal(plain, [], `no kernel at all for bytes without preprocess: ${plain}`);
  const pre = await kernelsOf(() => toBatch(img, [null, 3, 5, 3], (x) => tf.div(x, 255) as tf.Tensor4D));
  assert.ok(!pre.some((k) => /IsFinite|Slice|Cast|LogicalNot|Any/.test(k)), `bytes + preprocess: ${pre}`);
});

test('a float32 Tensor4D of the model size is used as is (not copied, never disposed); float checks are one reduction', async () => {
  const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  assert.ok(toBatch(x, [null, 8, 8, 3]) === x, 'the very tensor');
  assert.ok(toBatch(x, [null, null, null, 3]) === x);
  const ks = await kernelsOf(() => { const b = toBatch(x, [null, 8, 8, 3]); return b === x ? tf.clone(x) : b; });
  assert.ok(!ks.some((k) => /IsFinite|Cast|Slice/.test(k)), `float tensor: ${ks}`);
  const x3 = tf.randomUniform([8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor3D;
  const v = toBatch(x3, [null, 8, 8, 3]);
  assert.equal(v.shape, [1, 8, 8, 3]);
  v.dispose();
  assert.ok(!x3.isDisposed, 'a Tensor3D input: the view is the library\'s, the tensor the caller\'s');
  x3.dispose();
  x.dispose();
});

test('explain never disposes the caller\'s tensor (a target right after the input too)', async () => {
  const input = tf.input({ shape: [8, 8, 3] });
  const d = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(input) as tf.SymbolicTensor;
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(d) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) })
    .apply(tf.layers.globalAveragePooling2d({}).apply(c)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y });
  const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  for (const layer of ['drop', 'conv']) {
    const ex = await createExplainer(model, { layer });
    const [r] = await ex.explain(x, { methods: ['gradcam'] });
    const [r3] = await ex.explain(tf.squeeze(x, [0]) as tf.Tensor3D, { methods: ['gradcam'] });
    assert.ok(!x.isDisposed, `target ${layer}: the input tensor is still the caller's`);
    assert.equal(r.logits, r3.logits, 'the same as the Tensor3D of it');
    ex.dispose();
  }
  assert.is(tf.memory().numTensors, before + 2, 'no leak (the two squeezed views above are the test\'s)');
  x.dispose();
  model.dispose();
});

test('non-finite and huge inputs: the pixels or the preprocess named, no tensor left behind', () => {
  const before = tf.memory().numTensors;
  const nan = tf.tensor4d([1, NaN, 3, 4], [1, 2, 2, 1]);
  const inf = tf.tensor4d([1, Infinity, 3, 4], [1, 2, 2, 1]);
  const huge = tf.tensor4d([1, 2e15, 3, 4], [1, 2, 2, 1]);
  const fine = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const shape = [null, 2, 2, 1];
  const throwsLike = (f: () => unknown, cls: Function, re: RegExp) => {
    try { f(); } catch (e) { assert.ok(e instanceof cls && re.test((e as Error).message), (e as Error).message); return; }
    assert.unreachable('no error');
  };
  throwsLike(() => toBatch(nan, shape), InvalidInputError, /NaN or infinite pixel/);
  throwsLike(() => toBatch(inf, shape), InvalidInputError, /NaN or infinite pixel/);
  throwsLike(() => toBatch(nan, shape, (b) => tf.mul(b, 2) as tf.Tensor4D), InvalidInputError, /NaN or infinite pixel/);
  throwsLike(() => toBatch(fine, shape, (b) => tf.div(b, 0) as tf.Tensor4D), NumericalError, /preprocess produced NaN/);
  throwsLike(() => toBatch(huge, shape), NumericalError, /values up to 2\.00e\+15/);
  throwsLike(() => toBatch(fine, shape, (b) => tf.mul(b, 1e30) as tf.Tensor4D), NumericalError, /values up to/);
  throwsLike(() => toBatch(rgba(2, 2), [null, 2, 2, 3], (b) => tf.div(b, tf.sub(b, b)) as tf.Tensor4D), NumericalError, /preprocess produced/);
  // sum |x| > the limit but every value below it: accepted
  const many = tf.fill([1, 40, 40, 1], 1e12) as tf.Tensor4D;
  assert.ok(toBatch(many, [null, 40, 40, 1]) === many);
  tf.dispose([nan, inf, huge, fine, many]);
  assert.is(tf.memory().numTensors, before);
});

test('explain: a float input with NaN is refused before any pass (typed), the tensor untouched', async () => {
  const input = tf.input({ shape: [4, 4, 1] });
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'c' }).apply(input) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.globalAveragePooling2d({}).apply(c)) as tf.SymbolicTensor });
  const ex = await createExplainer(m);
  const x = tf.tensor4d(Array.from({ length: 16 }, (_, i) => (i === 5 ? NaN : i)), [1, 4, 4, 1]);
  const before = tf.memory().numTensors;
  await rejects(() => ex.explain(x), (e) => e instanceof InvalidInputError);
  assert.is(tf.memory().numTensors, before);
  assert.ok(!x.isDisposed);
  x.dispose();
  ex.dispose();
  m.dispose();
});

test.run();
