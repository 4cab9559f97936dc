// The ConvLSTM clip model (src/models/convlstm.ts): its layers, the target's [T,h,w,K] output, seeding, errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { buildConvLstm, CONVLSTM_TARGET, MODELS, MODEL_NAMES, BACKBONE_NAMES } from '../src/models/index.js';
import { explainSequence, useWasmBackend } from '../src/index.js';

await useWasmBackend();

test('one registry: the clip model sits in MODELS beside the image backbones', () => {
  assert.equal(MODEL_NAMES, [...BACKBONE_NAMES, 'convlstm']);
  assert.is(MODELS.convlstm.input, 'clip');
  assert.is(MODELS.convlstm.targetLayer, CONVLSTM_TARGET);
  assert.ok(BACKBONE_NAMES.every((n) => MODELS[n].input === 'image'));
});

test('default build: [10,64,64,3] -> convlstm [10,16,16,32] -> post_conv -> pooling over space and time -> 10 classes', () => {
  const m = buildConvLstm({ seed: 1 });
  assert.equal(m.inputs[0]!.shape, [null, 10, 64, 64, 3]);
  assert.equal(m.layers.map((l) => l.name), ['input_layer', 'stem_conv1', 'stem_conv2', 'stem_bn', 'convlstm', 'post_conv', 'post_bn', 'frame_pool', 'time_pool', 'predictions']);
  assert.equal(m.getLayer(CONVLSTM_TARGET).outputShape, [null, 10, 16, 16, 32]);
  assert.equal(m.getLayer('post_conv').outputShape, [null, 10, 16, 16, 64]);
  assert.equal(m.outputs[0]!.shape, [null, 10]);
  assert.is(m.countParams(), 98_474);
  const p = tf.tidy(() => (m.predict(tf.randomUniform([2, 10, 64, 64, 3], 0, 1, 'float32', 3)) as tf.Tensor).sum(-1).arraySync() as number[]);
  p.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
  m.dispose();
});

test('width, frames, size and seeds', () => {
  const a = buildConvLstm({ inputShape: [6, 32, 32, 1], width: 0.5, classes: 4, seed: 7 });
  assert.equal(a.getLayer(CONVLSTM_TARGET).outputShape, [null, 6, 8, 8, 16]);
  assert.equal(a.outputs[0]!.shape, [null, 4]);
  const b = buildConvLstm({ inputShape: [6, 32, 32, 1], width: 0.5, classes: 4, seed: 7 });
  const c = buildConvLstm({ inputShape: [6, 32, 32, 1], width: 0.5, classes: 4, seed: 8 });
  const same = (x: tf.LayersModel, y: tf.LayersModel) => x.getWeights().every((w, i) => tf.tidy(() => w.equal(y.getWeights()[i]!).all().dataSync()[0] === 1));
  assert.ok(same(a, b));
  assert.not.ok(same(a, c));
  [a, b, c].forEach((m) => m.dispose());
});

test("stems 'vgg' / 'vgg3' / 'vgg4': VGG16's blocks 1-2 / 1-3 / 1-4 at width 0.125 under VGG16's names, the ConvLSTM still at a quarter of the frame", () => {
  const m = buildConvLstm({ stem: 'vgg', seed: 1 });
  assert.equal(m.layers.map((l) => l.name), ['input_layer', 'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2',
    'block2_pool', 'stem_bn', 'convlstm', 'post_conv', 'post_bn', 'frame_pool', 'time_pool', 'predictions']);
  assert.equal(m.getLayer('block2_pool').outputShape, [null, 10, 16, 16, 16]);
  assert.equal(m.getLayer(CONVLSTM_TARGET).outputShape, [null, 10, 16, 16, 32]);
  // the weight shapes of models/vgg16-digits' block1_conv1 .. block2_conv2, so training can copy them
  assert.equal(['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2'].map((n) => m.getLayer(n).getWeights()[0]!.shape),
    [[3, 3, 3, 8], [3, 3, 8, 8], [3, 3, 8, 16], [3, 3, 16, 16]]);
  m.dispose();
  const m3 = buildConvLstm({ stem: 'vgg3', seed: 1 });
  assert.equal(m3.layers.slice(7, 12).map((l) => l.name), ['block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool', 'stem_bn']);
  assert.equal(m3.getLayer(CONVLSTM_TARGET).outputShape, [null, 10, 8, 8, 32]);
  assert.equal(m3.getLayer('block3_conv3').getWeights()[0]!.shape, [3, 3, 32, 32]);
  m3.dispose();
  // vgg4: block 4's convolutions without its pool, so the ConvLSTM stays at an eighth of the frame
  const m4 = buildConvLstm({ stem: 'vgg4', seed: 1 });
  assert.equal(m4.layers.slice(11, 15).map((l) => l.name), ['block4_conv1', 'block4_conv2', 'block4_conv3', 'stem_bn']);
  assert.equal(m4.getLayer(CONVLSTM_TARGET).outputShape, [null, 10, 8, 8, 32]);
  assert.equal(m4.getLayer('block4_conv1').getWeights()[0]!.shape, [3, 3, 32, 64]);
  m4.dispose();
  assert.throws(() => buildConvLstm({ stem: 'resnet' as 'vgg' }), /stem must be/);
  assert.throws(() => buildConvLstm({ stem: 'vgg4', inputShape: [10, 36, 36, 3] }), /multiples of 8/);
  assert.throws(() => buildConvLstm({ stem: 'vgg3', inputShape: [10, 36, 36, 3] }), /multiples of 8/);
});

test("pool 'max': global max pooling over each frame and over time; the gradient methods over time still explain it, CAM does not apply", async () => {
  const m = buildConvLstm({ inputShape: [6, 32, 32, 3], width: 0.5, pool: 'max', seed: 3 });
  assert.is(m.getLayer('frame_pool').getConfig().layer && (m.getLayer('frame_pool') as unknown as { layer: tf.layers.Layer }).layer.getClassName(), 'GlobalMaxPooling2D');
  assert.is(m.getLayer('time_pool').getClassName(), 'GlobalMaxPooling1D');
  const clip = tf.randomUniform([6, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  // the gradient reaches only each channel's arg-max (and its 3x3 neighbourhood through post_conv)
  const e = await explainSequence(m, clip, { method: 'gradcam' });
  assert.ok(e.cam.every(Number.isFinite) && Math.max(...e.cam) === 1, 'a finite map normalised to 1');
  const pp = await explainSequence(m, clip, { method: 'gradcam++' });
  assert.ok(pp.cam.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
  const cam = await explainSequence(m, clip, { method: 'cam', layer: 'post_bn' }).catch((err: unknown) => err);
  assert.match(String(cam), /not applicable/);
  clip.dispose();
  m.dispose();
  assert.throws(() => buildConvLstm({ pool: 'sum' as 'max' }), /pool must be/);
});

test("pool 'gated': post_bn's features times a 1x1 sigmoid gate of themselves, then averaged; CAM applies at 'gated'", async () => {
  const m = buildConvLstm({ inputShape: [6, 32, 32, 3], width: 0.5, pool: 'gated', seed: 5 });
  assert.equal(m.layers.slice(-6).map((l) => l.name), ['post_bn', 'gate', 'gated', 'frame_pool', 'time_pool', 'predictions']);
  assert.equal(m.getLayer('gate').outputShape, [null, 6, 8, 8, 1]);
  const clip = tf.randomUniform([6, 32, 32, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  // the gated features are the post_bn features times the gate, position by position
  const probe = tf.model({ inputs: m.inputs, outputs: ['post_bn', 'gate', 'gated'].map((n) => m.getLayer(n).output as tf.SymbolicTensor) });
  const [f, g, y] = probe.predict(clip.expandDims(0)) as tf.Tensor[];
  const gv = g!.dataSync();
  assert.ok(gv.every((v) => v > 0 && v < 1), 'a sigmoid gate');
  const want = f!.mul(g!), diff = tf.max(tf.abs(want.sub(y!))).dataSync()[0]!;
  assert.ok(diff < 1e-6, `gated = post_bn x gate (max |diff| ${diff})`);
  [f, g, y, want].forEach((t) => t!.dispose());
  const before = tf.memory().numTensors;
  const pp = await explainSequence(m, clip, { method: 'gradcam++' });
  assert.ok(pp.cam.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && Math.max(...pp.cam) === 1);
  const cam = await explainSequence(m, clip, { method: 'cam', layer: 'gated' });
  assert.equal([cam.frames, cam.camHeight, cam.camWidth], [6, 8, 8]);
  assert.ok(Math.max(...cam.cam) === 1);
  assert.is(tf.memory().numTensors, before);
  clip.dispose();
  m.dispose();
});

test('bidirectional: forward and backward halves [T,h,w,2K] (the backward half at frame 0 sees the last frame, the forward half does not); the default target; saved and loaded', async () => {
  const m = buildConvLstm({ inputShape: [5, 16, 16, 3], width: 0.5, bidirectional: true, seed: 7 });
  const lstm = m.getLayer(CONVLSTM_TARGET);
  assert.is(lstm.getClassName(), 'Bidirectional');
  assert.equal(lstm.outputShape, [null, 5, 4, 4, 32]);
  const probe = tf.model({ inputs: m.inputs, outputs: lstm.output as tf.SymbolicTensor });
  const a = tf.randomUniform([1, 5, 16, 16, 3], 0, 1, 'float32', 8);
  const b = tf.concat([a.slice([0, 0], [1, 4]), tf.randomUniform([1, 1, 16, 16, 3], 0, 1, 'float32', 9)], 1);
  const [ya, yb] = [a, b].map((x) => probe.predict(x) as tf.Tensor);
  const half = (y: tf.Tensor, k: number) => y.slice([0, 0, 0, 0, k * 16], [1, 1, 4, 4, 16]);
  const change = (k: number) => tf.tidy(() => tf.max(tf.abs(half(ya!, k).sub(half(yb!, k)))).dataSync()[0]!);
  assert.is(change(0), 0, 'the forward half at frame 0 does not see frame 4');
  assert.ok(change(1) > 1e-4, `the backward half at frame 0 sees frame 4 (${change(1)})`);
  tf.dispose([a, b, ya!, yb!]);
  const clip = tf.randomUniform([5, 16, 16, 3], 0, 1, 'float32', 10) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const r = await explainSequence(m, clip, { method: 'gradcam++' });
  assert.is(r.layer, CONVLSTM_TARGET);
  assert.equal([r.frames, r.camHeight, r.camWidth], [5, 4, 4]);
  assert.ok(r.cam.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
  assert.is(tf.memory().numTensors, before);
  const loaded = await tf.models.modelFromJSON(m.toJSON(null, false) as never);
  loaded.setWeights(m.getWeights());
  const diff = tf.tidy(() => tf.max(tf.abs((loaded.predict(clip.expandDims(0)) as tf.Tensor).sub(m.predict(clip.expandDims(0)) as tf.Tensor))).dataSync()[0]!);
  assert.ok(diff < 1e-6, `the topology round-trips (max |diff| ${diff})`);
  [clip, loaded, m].forEach((x) => x.dispose());
});

test('bad options are refused before any layer is built', () => {
  assert.throws(() => buildConvLstm({ inputShape: [64, 64, 3] as unknown as [number, number, number, number] }), /frames, height, width, channels/);
  assert.throws(() => buildConvLstm({ inputShape: [10, 30, 30, 3] }), /multiples of 4/);
  assert.throws(() => buildConvLstm({ width: 0 }), /width/);
  assert.throws(() => buildConvLstm({ classes: 0 }), /classes/);
  assert.throws(() => buildConvLstm({ bidirectional: 'yes' as unknown as boolean }), /bidirectional must be true or false/);
});

test.run();
