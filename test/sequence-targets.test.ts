// explainSequence: function targets (a score S = f(logits), as the image explainer's `target`) and the models it
// takes (ExplainableModel, as loadModel returns: a GraphModel is a typed UnsupportedModelError, no leak).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { buildConvLstm } from '../src/models/index.js';
import {
  explainSequence, InvalidInputError, MethodNotApplicableError, NumericalError, UnsupportedModelError,
  type ExplainableModel,
} from '../src/index.js';
import { makeTwin } from './helpers/graph-json.js';
import { rejects } from './helpers/rejects.js';

const T = 4, S = 24, CLASSES = 4;
let model: tf.LayersModel;
let clip: tf.Tensor4D;

test.before(async () => {
  await useWasmBackend();
  model = buildConvLstm({ inputShape: [T, S, S, 1], width: 0.5, classes: CLASSES, seed: 21 });
  clip = tf.randomUniform([T, S, S, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('a function target: logits.gather(c) gives class c\'s maps, with classIndex -1, probability NaN and no label', async () => {
  const labels = ['a', 'b', 'c', 'd'];
  for (const method of ['gradcam', 'gradcam++', 'layercam'] as const) {
    const byClass = await explainSequence(model, clip, { method, target: 2, labels });
    const byFn = await explainSequence(model, clip, { method, target: (l) => l.gather(2) as unknown as tf.Scalar, labels });
    assert.equal([byFn.classIndex, byFn.label, Number.isNaN(byFn.probability)], [-1, undefined, true], method);
    assert.is(byClass.label, 'c');
    assert.ok(Math.abs(byFn.logit - byClass.logit) <= 1e-6 * Math.max(1, Math.abs(byClass.logit)), `${method}: score ${byFn.logit} vs ${byClass.logit}`);
    assert.ok(maxDiff(byFn.cam, byClass.cam) <= 1e-6, `${method}: maps differ by ${maxDiff(byFn.cam, byClass.cam)}`);
    assert.ok(maxDiff(byFn.profile, byClass.profile) <= 1e-6, method);
  }
});

test('a difference of logits: Grad-CAM weights (linear in g) are the difference of the two classes\' weights', async () => {
  const c0 = await explainSequence(model, clip, { method: 'gradcam', target: 0 });
  const c3 = await explainSequence(model, clip, { method: 'gradcam', target: 3 });
  const d = await explainSequence(model, clip, { method: 'gradcam', target: (l) => tf.sub(l.gather(0), l.gather(3)) as tf.Scalar });
  const want = Array.from(c0.weights, (w, k) => w - c3.weights[k]);
  const scale = Math.max(...want.map(Math.abs));
  assert.ok(scale > 0, 'the two classes have different weights');
  assert.ok(maxDiff(d.weights, want) <= 1e-5 * scale, `weights differ by ${maxDiff(d.weights, want)} (scale ${scale})`);
  assert.ok(Math.abs(d.logit - (c0.logit - c3.logit)) <= 1e-5 * Math.max(1, Math.abs(d.logit)));
});

test('a function target with a method that reads no gradient (Eigen-CAM): the score still comes from the function', async () => {
  const e = await explainSequence(model, clip, { method: 'eigencam', target: (l) => tf.mul(l.gather(1), 2) as tf.Scalar });
  const c1 = await explainSequence(model, clip, { method: 'eigencam', target: 1 });
  assert.is(e.classIndex, -1);
  assert.ok(Math.abs(e.logit - 2 * c1.logit) <= 1e-5 * Math.max(1, Math.abs(e.logit)), `${e.logit} vs 2 x ${c1.logit}`);
  assert.ok(maxDiff(e.cam, c1.cam) === 0, 'Eigen-CAM does not depend on the target');
});

test('options of one call do not leak: after a function target, no target is the top class again', async () => {
  await explainSequence(model, clip, { target: (l) => l.gather(0) as unknown as tf.Scalar });
  const top = await explainSequence(model, clip);
  const logits = tf.tidy(() => (model.predict(tf.expandDims(clip, 0)) as tf.Tensor).dataSync());
  assert.is(top.classIndex, logits.indexOf(Math.max(...logits)));
  assert.ok(top.probability > 0 && top.probability <= 1);
});

async function typed(what: string, fn: () => Promise<unknown>, check: (e: unknown) => boolean): Promise<void> {
  const before = tf.memory().numTensors;
  await rejects(fn, check, what);
  assert.is(tf.memory().numTensors, before, `${what}: leaked tensors`);
}
const is = (type: new (...a: never[]) => Error, pattern: RegExp) => (e: unknown) => e instanceof type && pattern.test((e as Error).message);

test('bad function targets: typed errors as on the image path, and no leaked tensor', async () => {
  await typed('a vector', () => explainSequence(model, clip, { target: (l) => l as unknown as tf.Scalar }), is(InvalidInputError, /float32 scalar.*shape \[4\]/));
  await typed('a number', () => explainSequence(model, clip, { target: () => 3 as unknown as tf.Scalar }), is(InvalidInputError, /a number/));
  await typed('an int32 scalar', () => explainSequence(model, clip, { target: () => tf.scalar(1, 'int32') }), is(InvalidInputError, /int32 tensor/));
  await typed('it throws', () => explainSequence(model, clip, { target: () => { throw new RangeError('mine'); } }), (e) => e instanceof RangeError && /mine/.test((e as Error).message));
  await typed('not finite', () => explainSequence(model, clip, { target: (l) => tf.div(l.gather(0), 0) as tf.Scalar }), is(NumericalError, /finite/));
  await typed('with eigencam, a vector', () => explainSequence(model, clip, { method: 'eigencam', target: (l) => l as unknown as tf.Scalar }), is(InvalidInputError, /scalar/));
  await typed('a numeric string', () => explainSequence(model, clip, { target: '2' as never }), is(InvalidInputError, /function of the logits.*write 2, not '2'/));
  await typed('an object', () => explainSequence(model, clip, { target: { class: 2 } as never }), is(InvalidInputError, /class index.*function/));
  // CAM explains a class: on a clip model with the CAM head over time, a function target says so
  const input = tf.input({ shape: [3, 8, 8, 1] });
  const lstm = tf.layers.convLstm2d({ filters: 4, kernelSize: 3, padding: 'same', returnSequences: true, name: 'lstm',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(input) as tf.SymbolicTensor;
  const space = tf.layers.timeDistributed({ layer: tf.layers.globalAveragePooling2d({}) }).apply(lstm) as tf.SymbolicTensor;
  const time = tf.layers.globalAveragePooling1d({}).apply(space) as tf.SymbolicTensor;
  const camModel = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(time) as tf.SymbolicTensor });
  const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  assert.is((await explainSequence(camModel, x, { method: 'cam', target: 1 })).classIndex, 1);
  await typed('cam with a function', () => explainSequence(camModel, x, { method: 'cam', target: (l) => l.gather(0) as unknown as tf.Scalar }),
    is(MethodNotApplicableError, /explains a class, not a target function/));
  camModel.dispose();
  x.dispose();
});

test('any ExplainableModel is accepted by the signature; a GraphModel is an UnsupportedModelError saying what is supported', async () => {
  const { layers, graph } = await makeTwin(1);
  const m: ExplainableModel = graph;   // what loadModel returns: no cast needed
  await typed('a graph model', () => explainSequence(m, clip), is(UnsupportedModelError, /tf\.GraphModel.*ConvLSTM2D|ConvLSTM2D.*tf\.GraphModel/));
  await typed('a graph model, with options', () => explainSequence(m, clip, { method: 'gradcam', layer: 'x', target: 0 }), is(UnsupportedModelError, /LayersModel/));
  const asExplainable: ExplainableModel = model;
  assert.is((await explainSequence(asExplainable, clip, { target: 1 })).classIndex, 1);
  layers.dispose();
  graph.dispose();
});

test.after(() => {
  model.dispose();
  clip.dispose();
});

test.run();
