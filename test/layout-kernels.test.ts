// The training fast paths of Unpack, Pack and Transpose (src/backend/kernels/training/layout.ts, opt-in through
// useFastTrainingKernels) give exactly the cpu
// backend's values, for every axis, rank 5 (clips) included, float32 and int32, and through a gradient.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend, useFastTrainingKernels } from '../src/backend/index.js';

type Op = [name: string, f: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]];
const OPS: Op[] = [
  ...[0, 1, 2, 3, 4, -1].map((a): Op => [`unstack axis ${a}`, (x) => tf.unstack(x, a)]),
  ...[0, 1, 2, 3, 4, -1].map((a): Op => [`stack axis ${a}`, (x) => tf.stack(tf.unstack(x, 2).map((p, k) => tf.mul(p, k + 1)), a)]),
  ...[[1, 0, 2, 3, 4], [2, 1, 0, 3, 4], [0, 2, 1, 3, 4], [3, 2, 1, 0, 4], [4, 3, 2, 1, 0], [0, 1, 2, 4, 3]].map((p): Op => [`transpose ${p}`, (x) => tf.transpose(x, p)]),
  ['grad of stack(unstack(x, 1), 1)', (x) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.stack(tf.unstack(a, 1).map((t, k) => tf.mul(t, k + 1)), 1), a)))(x)],
];
const SHAPE = [2, 3, 4, 5, 6];
const values = Array.from({ length: 720 }, (_, i) => ((i * 37) % 101) - 50);

async function run(backend: string, dtype: 'float32' | 'int32'): Promise<unknown[]> {
  await tf.setBackend(backend);
  if (backend === 'wasm') { await useWasmBackend(); useFastTrainingKernels(); }
  const x = tf.tensor(values, SHAPE, dtype);
  const out = OPS.map(([, f]) => (dtype === 'int32' && f === OPS.at(-1)![1] ? null : tf.tidy(() => [f(x)].flat().map((t) => t.arraySync()))));
  x.dispose();
  return out;
}

test('Unpack, Pack and Transpose on wasm equal the cpu backend, float32 and int32', async () => {
  for (const dtype of ['float32', 'int32'] as const) {
    const want = await run('cpu', dtype);
    const got = await run('wasm', dtype);
    OPS.forEach(([name], i) => assert.equal(got[i], want[i], `${name} ${dtype}`));
  }
});

test('no tensors leak', async () => {
  await useWasmBackend();
  const x = tf.randomUniform([2, 10, 8, 8, 3]);
  const before = tf.memory().numTensors;
  const parts = tf.unstack(x, 1);
  assert.is(tf.memory().numTensors, before + 10);
  const y = tf.stack(parts, 1), z = tf.transpose(y, [1, 0, 2, 3, 4]);
  assert.is(tf.memory().numTensors, before + 12);
  tf.dispose([...parts, y, z]);
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

test.run();
