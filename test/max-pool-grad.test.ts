// The library's MaxPoolGrad for the wasm backend (tfjs-wasm 4.22's drops the gradient of windows whose values
// are all <= FLT_MIN): equal to the cpu backend's on random, tied, negative, padded, overlapping and dilated
// poolings; the swap is scoped to one call.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { withCorrectMaxPoolGrad, maxPoolGradInto } from '../src/backend/max-pool-grad.js';

const test = suite('max-pool-grad');
test.before(async () => { await useWasmBackend(); });

type Case = { name: string; shape: [number, number, number, number]; filter: [number, number]; strides: [number, number]; pad: 'valid' | 'same'; relu?: boolean; round?: boolean };
const CASES: Case[] = [
  { name: '2x2 s2 valid, ReLU (dead windows)', shape: [2, 6, 6, 5], filter: [2, 2], strides: [2, 2], pad: 'valid', relu: true },
  { name: '2x2 s2 valid, all negative', shape: [1, 4, 4, 3], filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '3x3 s2 same (overlapping, padded)', shape: [1, 7, 7, 4], filter: [3, 3], strides: [2, 2], pad: 'same', relu: true },
  { name: '3x3 s1 same, rounded values (ties)', shape: [1, 5, 6, 2], filter: [3, 3], strides: [1, 1], pad: 'same', round: true },
  { name: '2x3 s(1,2) valid', shape: [1, 5, 7, 3], filter: [2, 3], strides: [1, 2], pad: 'valid', relu: true },
];

function input(c: Case, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    let x = tf.randomNormal(c.shape, 0, 1, 'float32', seed) as tf.Tensor4D;
    if (c.relu) x = tf.relu(x);
    if (c.round) x = tf.round(x);
    if (!c.relu && !c.round) x = tf.neg(tf.abs(x)) as tf.Tensor4D;
    return x;
  });
}

const grad = (c: Case, x: tf.Tensor4D) => tf.grad((t: tf.Tensor) => tf.mul(tf.maxPool(t as tf.Tensor4D, c.filter, c.strides, c.pad),
  tf.range(1, 1 + tf.maxPool(x, c.filter, c.strides, c.pad).size).reshape(tf.maxPool(x, c.filter, c.strides, c.pad).shape)).sum())(x);

for (const c of CASES) {
  test(`${c.name}: wasm (corrected) == cpu`, async () => {
    for (let seed = 0; seed < 5; seed++) {
      await tf.setBackend('cpu');
      const xc = input(c, seed);
      const expected = Array.from(grad(c, xc).dataSync());
      const values = xc.dataSync().slice();
      await useWasmBackend();
      await tf.setBackend('wasm');
      const xw = tf.tensor4d(values, c.shape);
      const got = Array.from(withCorrectMaxPoolGrad(() => grad(c, xw)).dataSync());
      assert.equal(got, expected, `seed ${seed}`);
    }
  });
}

test('the stock wasm kernel really is wrong on an all-negative window (so the tests above can fail)', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor4d([-4, -3, -2, -1], [1, 2, 2, 1]);
  const g = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(x);
  const fixed = withCorrectMaxPoolGrad(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(x));
  assert.equal(Array.from(fixed.dataSync()), [0, 0, 0, 1]);
  assert.not.equal(Array.from(g.dataSync()), [0, 0, 0, 1], 'tfjs-wasm fixed its MaxPoolGrad: withCorrectMaxPoolGrad can go');
});

test('the swap is scoped: tfjs\'s kernel is back after the call, also after a throw', () => {
  const own = tf.getKernel('MaxPoolGrad', 'wasm');
  withCorrectMaxPoolGrad(() => assert.is.not(tf.getKernel('MaxPoolGrad', 'wasm'), own));
  assert.is(tf.getKernel('MaxPoolGrad', 'wasm'), own);
  assert.throws(() => withCorrectMaxPoolGrad(() => { throw new Error('boom'); }), /boom/);
  assert.is(tf.getKernel('MaxPoolGrad', 'wasm'), own);
});

test('twin: hand case, first maximum wins, NaN never wins', () => {
  const geo = { batchSize: 1, inHeight: 2, inWidth: 2, channels: 1, outHeight: 1, outWidth: 1, strideHeight: 2, strideWidth: 2,
    dilationHeight: 1, dilationWidth: 1, effectiveFilterHeight: 2, effectiveFilterWidth: 2, padTop: 0, padLeft: 0 };
  const dx = new Float32Array(4);
  maxPoolGradInto([-4, -3, -2, -1], [5], dx, geo);
  assert.equal(Array.from(dx), [0, 0, 0, 5]);
  maxPoolGradInto([7, 7, 7, 7], [5], dx, geo);
  assert.equal(Array.from(dx), [5, 0, 0, 0]);
  maxPoolGradInto([NaN, 1, 2, 2], [5], dx, geo);
  assert.equal(Array.from(dx), [0, 0, 5, 0]);
});

test.run();
