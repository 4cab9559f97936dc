// explainSequence (src/sequence/): shapes and invariants on a tiny seeded ConvLSTM (buildConvLstm, random weights).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { buildConvLstm, CONVLSTM_TARGET } from '../src/models/index.js';
import { explainSequence, SEQUENCE_METHOD_NAMES } from '../src/index.js';

const T = 5, S = 32;
let model: tf.LayersModel;
let clip: tf.Tensor4D;

test.before(async () => {
  await useWasmBackend();
  model = buildConvLstm({ inputShape: [T, S, S, 1], width: 0.5, classes: 4, seed: 11 });
  clip = tf.randomUniform([T, S, S, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
});

test('gradcam and gradcam++: shapes, [0,1] maps normalised over the whole clip, a profile that sums to 1', async () => {
  for (const method of ['gradcam', 'gradcam++'] as const) {
    const e = await explainSequence(model, clip, { method });
    assert.is(e.method, method);
    assert.is(e.layer, CONVLSTM_TARGET);
    assert.equal([e.frames, e.camHeight, e.camWidth], [T, S / 4, S / 4]);
    assert.is(e.cam.length, T * (S / 4) * (S / 4));
    assert.equal([e.width, e.height], [S, S]);
    assert.is(e.heatmaps.length, T);
    e.heatmaps.forEach((hm) => assert.is(hm.length, S * S));
    let max = 0, min = Infinity;
    for (const v of e.cam) { max = Math.max(max, v); min = Math.min(min, v); }
    assert.is(max, 1);
    assert.is(min, 0);
    assert.is(e.profile.length, T);
    assert.ok(Math.abs(e.profile.reduce((s, v) => s + v, 0) - 1) < 1e-6);
    assert.is(e.weights.length, 16);
    assert.ok(e.classIndex >= 0 && e.classIndex < 4);
    assert.ok(e.probability > 0 && e.probability < 1);
  }
});

test('every sequence method runs; Score-CAM and Smooth Grad-CAM++ are refused', async () => {
  assert.equal([...SEQUENCE_METHOD_NAMES], ['cam', 'gradcam', 'gradcam++', 'xgradcam', 'hirescam', 'layercam', 'gradcam-elementwise', 'eigencam']);
});

test.after(() => {
  model.dispose();
  clip.dispose();
});

test.run();
