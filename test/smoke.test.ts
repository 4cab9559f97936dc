import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';

test('the tfjs wasm backend starts', async () => {
  await useWasmBackend();
  assert.is(tf.getBackend(), 'wasm');
  const y = tf.tidy(() => tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0]);
  assert.is(y, 14);
});

test.run();
