// explainSequence (src/sequence/): shapes and invariants on a tiny seeded ConvLSTM (buildConvLstm, random weights);
// exact oracles on clip models with a CAM head over time (g is constant per channel there); T = 1 against the image
// explainer on the same network built per frame; bad input gives typed errors and leaks no tensor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { buildConvLstm, CONVLSTM_TARGET } from '../src/models/index.js';
import {
  ClassIndexError, DisposedError, explainSequence, explainWasm, InvalidInputError, MethodNotApplicableError, NumericalError,
  SEQUENCE_METHOD_NAMES, sequenceCandidates, UnknownLayerError, UnknownMethodError, UnsupportedModelError,
  type SequenceExplanation,
} from '../src/index.js';
import { rejects } from './helpers/rejects.js';

const T = 5, S = 32, CLASSES = 4;
let model: tf.LayersModel;
let clip: tf.Tensor4D;

test.before(async () => {
  await useWasmBackend();
  model = buildConvLstm({ inputShape: [T, S, S, 1], width: 0.5, classes: CLASSES, seed: 11 });
  clip = tf.randomUniform([T, S, S, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
});

const sum = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0);
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('gradcam and gradcam++: shapes, [0,1] maps normalised over the whole clip, a profile that sums to 1', async () => {
  for (const method of ['gradcam', 'gradcam++'] as const) {
    const e = await explainSequence(model, clip, { method });
    assert.is(e.method, method);
    assert.is(e.layer, CONVLSTM_TARGET);
    assert.equal([e.frames, e.camHeight, e.camWidth], [T, S / 4, S / 4]);
    assert.is(e.cam.length, T * (S / 4) * (S / 4));
    assert.equal([e.width, e.height], [S, S]);
    assert.is(e.heatmaps.length, T);
    e.heatmaps.forEach((hm) => { assert.is(hm.length, S * S); assert.ok(hm.every((v) => v >= 0 && v <= 1)); });
    assert.is(Math.max(...e.cam), 1);
    assert.is(Math.min(...e.cam), 0);
    // the normalisation is over the clip, not per frame: some frame peaks below 1
    const peaks = Array.from({ length: T }, (_, t) => Math.max(...e.cam.subarray(t * 64, (t + 1) * 64)));
    assert.ok(peaks.some((p) => p < 1), `per-frame peaks ${peaks}`);
    assert.is(e.profile.length, T);
    assert.ok(Math.abs(sum(e.profile) - 1) < 1e-6);
    for (let t = 0; t < T; t++) assert.ok(Math.abs(e.profile[t] - sum(e.cam.subarray(t * 64, (t + 1) * 64)) / sum(e.cam)) < 1e-6);
    assert.is(e.weights.length, 16);
    assert.ok(e.classIndex >= 0 && e.classIndex < CLASSES);
    const p = tf.tidy(() => (model.predict(tf.expandDims(clip, 0)) as tf.Tensor).dataSync());
    assert.is(e.classIndex, p.indexOf(Math.max(...p)));
    assert.ok(Math.abs(e.probability - p[e.classIndex]) < 1e-6);
    assert.ok(Object.values(e.timings).every((v) => v >= 0));
  }
});

test('the methods that run on sequences, and each of them does (non-constant maps, profiles summing to 1)', async () => {
  assert.equal([...SEQUENCE_METHOD_NAMES], ['cam', 'gradcam', 'gradcam++', 'xgradcam', 'hirescam', 'layercam', 'gradcam-elementwise', 'eigencam']);
  for (const method of SEQUENCE_METHOD_NAMES.filter((m) => m !== 'cam')) {
    const e = await explainSequence(model, clip, { method, target: 1 });
    assert.is(e.classIndex, 1);
    assert.is(Math.max(...e.cam), 1, method);
    assert.ok(Math.abs(sum(e.profile) - 1) < 1e-6, method);
  }
});

test('options: target, labels, outputSize, preprocess, kernels; they apply to one call only', async () => {
  const labels = ['a', 'b', 'c', 'd'];
  const e = await explainSequence(model, clip, { target: 2, labels, outputSize: [20, 12], kernels: 'js' });
  assert.equal([e.classIndex, e.label, e.height, e.width], [2, 'c', 20, 12]);
  e.heatmaps.forEach((hm) => assert.is(hm.length, 240));
  const w = await explainSequence(model, clip, { target: 2 });
  assert.equal([w.label, w.height, w.width], [undefined, S, S]);
  assert.ok(maxDiff(w.cam, e.cam) < 1e-5, 'wasm and js kernels agree');
  // preprocess sees the frames [T, H, W, C]; halving the input changes the map
  let seen: number[] = [];
  const p = await explainSequence(model, clip, { target: 2, preprocess: (x) => { seen = x.shape; return tf.mul(x, 0.5) as tf.Tensor4D; } });
  assert.equal(seen, [T, S, S, 1]);
  assert.ok(maxDiff(p.cam, w.cam) > 1e-3);
});

test('a clip as an array of frames (tensors, or RGBA ImageData) equals the Tensor4D clip; other frame sizes are resized', async () => {
  const ref = await explainSequence(model, clip, { target: 0 });
  const frames = tf.unstack(clip) as tf.Tensor3D[];
  const byFrames = await explainSequence(model, frames, { target: 0 });
  assert.ok(maxDiff(byFrames.cam, ref.cam) === 0);
  const pixels = clip.mul(255).round().dataSync();
  const rgba = Array.from({ length: T }, (_, t) => {
    const data = new Uint8ClampedArray(S * S * 4);
    for (let p = 0; p < S * S; p++) { data.fill(pixels[t * S * S + p], p * 4, p * 4 + 3); data[p * 4 + 3] = 255; }
    return { data, width: S, height: S };
  });
  const byImageData = await explainSequence(model, rgba, { target: 0, preprocess: (x) => tf.div(x, 255) as tf.Tensor4D });
  assert.ok(maxDiff(byImageData.cam, ref.cam) < 0.05);
  const big = tf.image.resizeBilinear(clip, [2 * S, 2 * S], false, true) as tf.Tensor4D;
  const r = await explainSequence(model, big, { target: 0 });
  assert.equal([r.width, r.height], [2 * S, 2 * S]);
  tf.dispose([...frames, big]);
});

/** A clip model with the CAM pattern over time: convLstm2d -> per-frame GAP -> GAP over time -> Dense (softmax). */
function camHeadModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4, 12, 12, 2] });
  const lstm = tf.layers.convLstm2d({ filters: 6, kernelSize: 3, padding: 'same', returnSequences: true, name: 'lstm',
    kernelInitializer: tf.initializers.glorotUniform({ seed }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(input) as tf.SymbolicTensor;
  const space = tf.layers.timeDistributed({ layer: tf.layers.globalAveragePooling2d({}), name: 'space' }).apply(lstm) as tf.SymbolicTensor;
  const time = tf.layers.globalAveragePooling1d({ name: 'time' }).apply(space) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(time) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('CAM head over time: Grad-CAM weights = W[:, c] / (T h w) and Grad-CAM++ alpha = 1 / (2 + sum_{t,a,b} A g) exactly; CAM = Grad-CAM', async () => {
  const m = camHeadModel(3);
  const x = tf.randomUniform([4, 12, 12, 2], 0, 1, 'float32', 9) as tf.Tensor4D;
  const Z = 4 * 12 * 12, K = 6, c = 1;
  const W = (m.getLayer('predictions').getWeights()[0].arraySync() as number[][]).map((row) => row[c]);
  const A = tf.tidy(() => (tf.model({ inputs: m.inputs, outputs: m.getLayer('lstm').output as tf.SymbolicTensor }).predict(tf.expandDims(x, 0)) as tf.Tensor).dataSync());
  const sumA = Array.from({ length: K }, (_, k) => { let s = 0; for (let p = 0; p < Z; p++) s += A[p * K + k]; return s; });
  const gc = await explainSequence(m, x, { method: 'gradcam', target: c });
  const gk = W.map((v) => v / Z);
  assert.ok(maxDiff(gc.weights, gk) <= 1e-6 * Math.max(...W.map(Math.abs)), `${gc.weights} vs ${gk}`);
  const pp = await explainSequence(m, x, { method: 'gradcam++', target: c });
  const ppk = gk.map((g, k) => (g > 0 ? Z * g / (2 + sumA[k] * g) : 0));
  assert.ok(maxDiff(pp.weights, ppk) <= 1e-5 * Math.max(...ppk), `${pp.weights} vs ${ppk}`);
  const cam = await explainSequence(m, x, { method: 'cam', target: c });
  assert.ok(maxDiff(cam.weights, W) === 0);
  assert.ok(maxDiff(cam.cam, gc.cam) < 1e-5);
  assert.ok(maxDiff(cam.profile, gc.profile) < 1e-5);
  m.dispose();
  x.dispose();
});

test('T = 1: the same network built per frame (TimeDistributed) gives the image explainer\'s maps, bit for bit', async () => {
  const unpackGrad = tf.getGradient('Unpack');
  const conv = (name: string, seed: number) => ({ filters: 5, kernelSize: 3, padding: 'same' as const, activation: 'relu' as const, name, kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const xi = tf.input({ shape: [16, 16, 3] });
  let yi = tf.layers.conv2d(conv('c1', 1)).apply(xi) as tf.SymbolicTensor;
  yi = tf.layers.conv2d(conv('c2', 2)).apply(yi) as tf.SymbolicTensor;
  yi = tf.layers.conv2d(conv('c3', 3)).apply(yi) as tf.SymbolicTensor;
  yi = tf.layers.globalAveragePooling2d({}).apply(yi) as tf.SymbolicTensor;
  const image = tf.model({ inputs: xi, outputs: tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(yi) as tf.SymbolicTensor });
  const xs = tf.input({ shape: [1, 16, 16, 3] });
  let ys = xs as tf.SymbolicTensor;
  for (const [i, n] of ['c1', 'c2', 'c3'].entries()) ys = tf.layers.timeDistributed({ layer: tf.layers.conv2d(conv(`${n}_inner`, i + 1)), name: n }).apply(ys) as tf.SymbolicTensor;
  ys = tf.layers.timeDistributed({ layer: tf.layers.globalAveragePooling2d({}), name: 'space' }).apply(ys) as tf.SymbolicTensor;
  ys = tf.layers.globalAveragePooling1d({}).apply(ys) as tf.SymbolicTensor;
  const seq = tf.model({ inputs: xs, outputs: tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions' }).apply(ys) as tf.SymbolicTensor });
  seq.setWeights(image.getWeights());
  const img = tf.randomUniform([16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor3D;
  const one = tf.expandDims(img, 0) as tf.Tensor4D;
  for (const layer of ['c2', 'c3']) {
    for (const method of ['gradcam', 'gradcam++', 'layercam', 'hirescam', 'eigencam'] as const) {
      const e = await explainWasm(image, img, { method, layer, target: 1 });
      const s = await explainSequence(seq, one, { method, layer, target: 1 });
      assert.is(s.frames, 1);
      // bit for bit: the same tfjs ops per frame, the same kernels with Z = 1 * h * w
      assert.is(s.logit, e.logit);
      assert.is(maxDiff(s.cam, e.cam), 0, `${layer} ${method} cam`);
      assert.is(maxDiff(s.heatmaps[0], e.heatmap), 0, `${layer} ${method} heatmap`);
      assert.is(maxDiff(s.weights, e.weights), 0, `${layer} ${method} weights`);
      // one frame holds all of the map; an all-zero map (every position ReLU'd away) has the profile [0]
      assert.equal(Array.from(s.profile), [e.cam.some((v) => v > 0) ? 1 : 0]);
    }
  }
  // with the CAM pattern over time at c3: CAM applies to both
  const e = await explainWasm(image, img, { method: 'cam', layer: 'c3', target: 0 });
  const s = await explainSequence(seq, one, { method: 'cam', layer: 'c3', target: 0 });
  assert.ok(maxDiff(s.cam, e.cam) === 0);
  // the one-frame Unpack gradient fix (src/sequence/unpack-grad.ts) is scoped to the call: tfjs's own is back
  assert.is(tf.getGradient('Unpack'), unpackGrad);
  tf.dispose([img, one]);
  image.dispose();
  seq.dispose();
});

// ------------------------------------------------------------------------------------------------ bad input
async function typed(what: string, fn: () => Promise<unknown>, type: new (...a: never[]) => Error, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await rejects(fn, (e) => e instanceof type && pattern.test((e as Error).message), what);
  assert.is(tf.memory().numTensors, before, `${what}: leaked tensors`);
}

test('bad input: typed errors that say what to do, and no leaked tensor on any error path', async () => {
  const x3 = tf.zeros([S, S, 1]) as tf.Tensor3D;
  const x5 = tf.zeros([2, T, S, S, 1]) as tf.Tensor5D;
  const wrongT = tf.zeros([T + 1, S, S, 1]) as tf.Tensor4D;
  const wrongC = tf.zeros([T, S, S, 3]) as tf.Tensor4D;
  const nan = tf.fill([T, S, S, 1], NaN) as tf.Tensor4D;
  const frames = [tf.zeros([S, S, 1]), tf.zeros([S, S, 1]), tf.zeros([S + 4, S, 1]), tf.zeros([S, S, 1]), tf.zeros([S, S, 1])] as tf.Tensor3D[];
  const image = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
  await typed('rank 3', () => explainSequence(model, x3), InvalidInputError, /Tensor4D \[T, H, W, C\].*rank 3/);
  await typed('batch of 2', () => explainSequence(model, x5), InvalidInputError, /batch of one/);
  await typed('not a clip', () => explainSequence(model, 'clip' as never), InvalidInputError, /must be a tf.Tensor4D/);
  await typed('no frames', () => explainSequence(model, []), InvalidInputError, /no frames/);
  await typed('frames of two sizes', () => explainSequence(model, frames), InvalidInputError, /Frame 2 of the clip is 32 x 36 but frame 0 is 32 x 32/);
  await typed('a bad frame', () => explainSequence(model, [x3, 'x' as never]), InvalidInputError, /Frame 1 of the clip/);
  await typed('wrong T', () => explainSequence(model, wrongT), InvalidInputError, /6 frames but the model takes clips of 5/);
  await typed('wrong channels', () => explainSequence(model, wrongC), InvalidInputError, /3 channels but the model expects 1/);
  await typed('NaN pixels', () => explainSequence(model, nan), InvalidInputError, /NaN or infinite/);
  await typed('unknown layer', () => explainSequence(model, clip, { layer: 'nope' }), UnknownLayerError, /"nope".*sequence output.*convlstm/);
  await typed('not a sequence layer', () => explainSequence(model, clip, { layer: 'frame_pool' }), UnknownLayerError, /frame_pool.*not a sequence of feature maps/);
  await typed('the output layer', () => explainSequence(model, clip, { layer: 'predictions' }), UnknownLayerError, /predictions/);
  await typed('an image model', () => explainSequence(image, clip), UnsupportedModelError, /clip \[batch, T, H, W, C\].*explainWasm/);
  await typed('not a model', () => explainSequence({} as never, clip), UnsupportedModelError, /Expected a tfjs model/);
  await typed('cam on a ConvLSTM head', () => explainSequence(model, clip, { method: 'cam' }), MethodNotApplicableError, /post_conv/);
  await typed('scorecam', () => explainSequence(model, clip, { method: 'scorecam' }), MethodNotApplicableError, /not available for sequences.*gradcam\+\+/);
  await typed('smoothgradcam++', () => explainSequence(model, clip, { method: 'smoothgradcam++' }), MethodNotApplicableError, /not available/);
  await typed('unknown method', () => explainSequence(model, clip, { method: 'magic' as never }), UnknownMethodError, /magic/);
  await typed('class out of range', () => explainSequence(model, clip, { target: 4 }), ClassIndexError, /0\.\.3/);
  await typed('target as a string', () => explainSequence(model, clip, { target: '2' as never }), InvalidInputError, /class index/);
  await typed('bad outputSize', () => explainSequence(model, clip, { outputSize: [0, 4] }), InvalidInputError, /outputSize/);
  await typed('heatmaps too large over the clip', () => explainSequence(model, clip, { outputSize: [8192, 4096] }), InvalidInputError, /5 heatmaps of 4096 x 8192.*smaller outputSize/);
  await typed('labels of the wrong length', () => explainSequence(model, clip, { labels: ['a'] }), InvalidInputError, /4 classes/);
  await typed('options not an object', () => explainSequence(model, clip, 3 as never), InvalidInputError, /object of options/);
  await typed('a layer list', () => explainSequence(model, clip, { layer: ['convlstm'] as never }), InvalidInputError, /one/);
  await typed('preprocess of the wrong shape', () => explainSequence(model, clip, { preprocess: (x) => tf.slice(x, 0, 2) }), InvalidInputError, /\[5, H, W, 1\]/);
  await typed('preprocess that throws', () => explainSequence(model, clip, { preprocess: () => { throw new InvalidInputError('mine'); } }), InvalidInputError, /mine/);
  await typed('preprocess making NaN', () => explainSequence(model, clip, { preprocess: (x) => tf.div(x, 0) }), NumericalError, /preprocess/);
  await typed('a disposed clip', async () => { const d = tf.zeros([T, S, S, 1]) as tf.Tensor4D; d.dispose(); return explainSequence(model, d); }, InvalidInputError, /disposed/);
  const dead = buildConvLstm({ inputShape: [T, S, S, 1], width: 0.5, classes: CLASSES, seed: 2 });
  dead.dispose();
  await typed('a disposed model', () => explainSequence(dead, clip), DisposedError, /disposed/);
  tf.dispose([x3, x5, wrongT, wrongC, nan, ...frames]);
  image.dispose();
});

test('no leaked tensors on success; sequenceCandidates lists the sequence layers', async () => {
  const before = tf.memory().numTensors;
  const out: SequenceExplanation[] = [];
  for (const method of ['gradcam', 'gradcam++', 'eigencam'] as const) out.push(await explainSequence(model, clip, { method }));
  assert.is(tf.memory().numTensors, before);
  assert.equal(sequenceCandidates(model), ['stem_conv1', 'stem_conv2', 'stem_bn', 'convlstm', 'post_conv', 'post_bn']);
  const post = await explainSequence(model, clip, { layer: 'post_conv' });
  assert.equal([post.layer, post.camHeight, post.weights.length], ['post_conv', 8, 32]);
});

test.after(() => {
  model.dispose();
  clip.dispose();
});

test.run();
