/**
 * Every class of bad input to the API, as one table: {name, call, expected error class, message}. Each row
 * must throw that typed error (a GradCamError subclass, never a TypeError or a tfjs error), with a message
 * that says what to do, and leave no tensor behind (tf.memory().numTensors before = after).
 * Valid but unusual inputs get a second table: they must give finite maps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createExplainer, explainWasm, useWasmBackend, candidateLayers, overlay, explanationMap,
  GradCamError, InvalidInputError, UnknownLayerError, NoTargetLayerError, MethodNotApplicableError, UnknownMethodError,
  ClassIndexError, UnsupportedModelError, NumericalError, DisposedError, BackendError, ModelFileError,
  type ImageInput, type ExplainOptions,
} from '../src/index.js';
import { loadModel } from '../src/node/model-io.js';
import { makeTwin } from './helpers/graph-json.js';

await useWasmBackend();

/** conv(relu) -> target conv(relu) -> GAP -> dense(softmax), 9x9x3, 4 classes. */
function gapDense(seed = 1) {
  const init = (s: number) => tf.initializers.glorotNormal({ seed: seed * 10 + s });
  const input = tf.input({ shape: [9, 9, 3] });
  let y = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', name: 'target', kernelInitializer: init(2) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 4, activation: 'softmax', name: 'fc', kernelInitializer: init(3) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const model = gapDense();
const img = tf.randomUniform([9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
const { graph } = await makeTwin(7);
const gimg = tf.randomUniform([12, 12, 3], 0, 1, 'float32', 2) as tf.Tensor3D;

// models that are wrong in themselves
const disposedLayers = gapDense(2);
disposedLayers.dispose();
const disposedGraph = (await makeTwin(8)).graph;
disposedGraph.dispose();
const deadWeight = gapDense(4);
(deadWeight.getLayer('fc').weights[0] as unknown as { dispose(): void }).dispose();
const twoOutputs = (() => {
  const input = tf.input({ shape: [9, 9, 3] });
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(input) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [tf.layers.dense({ units: 2 }).apply(g) as tf.SymbolicTensor, tf.layers.dense({ units: 3 }).apply(g) as tf.SymbolicTensor] });
})();
const flat = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [9, 9, 3] }), tf.layers.dense({ units: 2 })] });
const hidden = (() => {
  const input = tf.input({ shape: [9, 9, 3] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(y) as tf.SymbolicTensor });
})();
const nanWeights = gapDense(3);
nanWeights.getLayer('c1').setWeights([tf.fill([3, 3, 3, 5], NaN), tf.zeros([5])]);

// images that are wrong in themselves
const stringTensor = tf.tensor(['a', 'b', 'c']);
const disposedImage = tf.zeros([9, 9, 3]);
disposedImage.dispose();
const t = {
  rank2: tf.zeros([9, 9]), rank5: tf.zeros([1, 1, 9, 9, 3]), batch2: tf.zeros([2, 9, 9, 3]), empty: tf.zeros([0, 0, 3]),
  rgba: tf.zeros([9, 9, 4]), nan: tf.fill([9, 9, 3], NaN), inf: tf.fill([9, 9, 3], Infinity), huge: tf.fill([9, 9, 3], 3e38),
};

// model files
const dir = mkdtempSync(path.join(tmpdir(), 'gcw-bad-'));
const twin = await makeTwin(9);
const writeModel = (name: string, json: object, weights: Uint8Array) => {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, 'model.json'), JSON.stringify(json));
  writeFileSync(path.join(dir, name, 'group1-shard1of1.bin'), weights);
};
writeModel('escape', { ...twin.json, weightsManifest: [{ ...twin.json.weightsManifest[0], paths: ['../../etc/passwd'] }] }, twin.weightData);
writeModel('big', twin.json, new Uint8Array(twin.weightData.byteLength + 1000));
writeModel('small', twin.json, twin.weightData.subarray(0, 16));
mkdirSync(path.join(dir, 'notjson'));
writeFileSync(path.join(dir, 'notjson', 'model.json'), '{ nope');
twin.graph.dispose();
twin.layers.dispose();

const ex = await createExplainer(model);
const deadExplainer = await createExplainer(model);
deadExplainer.dispose();

const e = (o: ExplainOptions, ...mx: unknown[]) => () =>
  explainWasm((mx.length > 0 ? mx[0] : model) as tf.LayersModel, (mx.length > 1 ? mx[1] : img) as ImageInput, o);
const rgbaOf = (width: number, height: number, data: unknown = new Uint8ClampedArray(Math.max(0, width * height * 4))) => ({ data, width, height });

interface Row { name: string; call: () => unknown; error: Function; message: RegExp }
const rows: Row[] = [
  // the model
  { name: 'model null', call: e({}, null), error: UnsupportedModelError, message: /Expected a tfjs model.*got null/ },
  { name: 'model undefined', call: e({}, undefined), error: UnsupportedModelError, message: /got undefined/ },
  { name: 'model an array', call: e({}, [model]), error: UnsupportedModelError, message: /got an array/ },
  { name: 'model a tensor', call: e({}, img), error: UnsupportedModelError, message: /got a tf\.Tensor/ },
  { name: 'model a plain object with outputs', call: e({}, { outputs: [], inputs: [] }), error: UnsupportedModelError, message: /LayersModel.*GraphModel/ },
  { name: 'model disposed (LayersModel)', call: e({}, disposedLayers), error: DisposedError, message: /disposed; create a new one/ },
  { name: 'model disposed (GraphModel)', call: e({}, disposedGraph, gimg), error: DisposedError, message: /graph model was disposed/ },
  { name: 'model with a disposed weight variable', call: e({}, deadWeight), error: DisposedError, message: /weight "fc\/kernel(_\d+)?" was disposed/ },
  { name: 'model with two outputs', call: e({}, twoOutputs), error: UnsupportedModelError, message: /2 outputs/ },
  { name: 'model without a spatial layer', call: e({}, flat), error: NoTargetLayerError, message: /Explanations need a CNN/ },
  { name: 'CAM on a model with a hidden Dense', call: e({ method: 'cam' }, hidden), error: MethodNotApplicableError, message: /hidden.*gradcam/ },
  { name: 'NaN weights', call: e({}, nanWeights), error: NumericalError, message: /NaN or Infinity/ },
  { name: 'candidateLayers(null)', call: () => candidateLayers(null as unknown as tf.LayersModel), error: UnsupportedModelError, message: /got null/ },
  { name: 'GraphModel, unknown node', call: e({ layer: 'conv5_block3_out' }, graph, gimg), error: UnknownLayerError, message: /c2\/Relu/ },
  { name: 'GraphModel, CAM at a node before MaxPool', call: e({ method: 'cam', layer: 'c1/Relu' }, graph, gimg), error: MethodNotApplicableError, message: /MaxPool/ },
  // the image
  { name: 'image null', call: e({}, model, null), error: InvalidInputError, message: /got null/ },
  { name: 'image undefined', call: e({}, model, undefined), error: InvalidInputError, message: /got undefined/ },
  { name: 'image a JS array', call: e({}, model, [[[0, 0, 0]]]), error: InvalidInputError, message: /an array.*tf\.tensor3d/ },
  { name: 'image a Float32Array', call: e({}, model, new Float32Array(243)), error: InvalidInputError, message: /Float32Array.*tf\.tensor3d/ },
  { name: 'image a string', call: e({}, model, 'cat.png'), error: InvalidInputError, message: /got a string/ },
  { name: 'ImageData width 2.5', call: e({}, model, rgbaOf(2.5, 4, new Uint8ClampedArray(40))), error: InvalidInputError, message: /integer width and height; got 2\.5 x 4/ },
  { name: 'ImageData wrong byte count', call: e({}, model, rgbaOf(3, 3, new Uint8ClampedArray(10))), error: InvalidInputError, message: /width \* height \* 4/ },
  { name: 'ImageData float data', call: e({}, model, rgbaOf(3, 3, new Float32Array(36))), error: InvalidInputError, message: /Uint8ClampedArray.*Float32Array/ },
  { name: 'ImageData 0 x 0 (empty)', call: e({}, model, rgbaOf(0, 0)), error: InvalidInputError, message: /image is empty/ },
  { name: 'tensor of strings', call: e({}, model, stringTensor), error: InvalidInputError, message: /dtype string/ },
  { name: 'tensor rank 2', call: e({}, model, t.rank2), error: InvalidInputError, message: /rank 2/ },
  { name: 'tensor rank 5', call: e({}, model, t.rank5), error: InvalidInputError, message: /rank 5/ },
  { name: 'tensor batch of 2', call: e({}, model, t.batch2), error: InvalidInputError, message: /batch of one/ },
  { name: 'tensor empty [0, 0, 3]', call: e({}, model, t.empty), error: InvalidInputError, message: /image is empty/ },
  { name: 'tensor disposed', call: e({}, model, disposedImage), error: InvalidInputError, message: /disposed/ },
  { name: 'tensor with 4 channels for an RGB model', call: e({}, model, t.rgba), error: InvalidInputError, message: /4 channels but the model expects 3.*alpha/ },
  { name: 'NaN pixels', call: e({}, model, t.nan), error: InvalidInputError, message: /NaN or infinite pixel/ },
  { name: 'infinite pixels', call: e({}, model, t.inf), error: InvalidInputError, message: /NaN or infinite pixel/ },
  { name: 'pixels of 3e38 (finite, overflow in the model)', call: e({}, model, t.huge), error: NumericalError, message: /values up to 3\.00e\+38.*Scale pixels/ },
  { name: 'pixels of 3e38, preprocess / 255', call: e({ preprocess: (x) => tf.div(x, 255) as tf.Tensor4D }, model, t.huge), error: NumericalError, message: /beyond 1e\+15/ },
  { name: 'pixels of 3e38 with a scaling preprocess', call: e({ preprocess: (x) => tf.mul(x, 10) as tf.Tensor4D }, model, t.huge), error: NumericalError, message: /preprocess produced NaN or infinite/ },
  { name: 'empty list of images', call: () => ex.explain([]), error: InvalidInputError, message: /No images/ },
  // preprocess
  { name: 'preprocess returns NaN', call: e({ preprocess: (x) => tf.div(tf.sub(x, x), 0) as tf.Tensor4D }), error: NumericalError, message: /preprocess produced NaN/ },
  { name: 'preprocess returns Infinity', call: e({ preprocess: (x) => tf.div(x, 0) as tf.Tensor4D }), error: NumericalError, message: /preprocess produced/ },
  { name: 'preprocess returns rank 3', call: e({ preprocess: (x) => tf.squeeze(x, [0]) as unknown as tf.Tensor4D }), error: InvalidInputError, message: /preprocess must return a Tensor4D.*\[9, 9, 3\]/ },
  { name: 'preprocess returns a batch of 2', call: e({ preprocess: (x) => tf.concat([x, x]) as tf.Tensor4D }), error: InvalidInputError, message: /preprocess must return.*\[2, 9, 9, 3\]/ },
  { name: 'preprocess returns 1 channel', call: e({ preprocess: (x) => tf.mean(x, -1, true) as tf.Tensor4D }), error: InvalidInputError, message: /\[1, H, W, 3\].*\[1, 9, 9, 1\]/ },
  { name: 'preprocess returns a number', call: e({ preprocess: () => 1 as unknown as tf.Tensor4D }), error: InvalidInputError, message: /returned a number/ },
  { name: 'preprocess not a function', call: e({ preprocess: 255 as unknown as undefined }), error: InvalidInputError, message: /preprocess must be a function/ },
  // method, kernels, backend, options
  { name: 'method a number', call: e({ method: 3 as unknown as 'cam' }), error: UnknownMethodError, message: /Known methods/ },
  { name: 'method an object', call: e({ method: {} as unknown as 'cam' }), error: UnknownMethodError, message: /Known methods/ },
  { name: 'method unknown name', call: e({ method: 'lime' as 'cam' }), error: UnknownMethodError, message: /"lime".*gradcam\+\+/ },
  { name: 'methods empty', call: () => ex.explain(img, { methods: [] }), error: InvalidInputError, message: /methods is empty/ },
  { name: 'methods a string', call: () => ex.explain(img, { methods: 'gradcam' as unknown as [] }), error: InvalidInputError, message: /array of method names/ },
  { name: 'methods [null]', call: () => ex.explain(img, { methods: [null as unknown as 'cam'] }), error: UnknownMethodError, message: /Known methods/ },
  { name: 'kernels unknown', call: e({ kernels: 'gpu' as 'js' }), error: InvalidInputError, message: /kernels must be 'wasm'.*'js'/ },
  { name: 'backend unknown', call: e({ backend: 'webgl' as 'wasm' }), error: InvalidInputError, message: /backend must be 'wasm' or 'current'/ },
  { name: 'options a string', call: () => explainWasm(model, img, 'gradcam' as unknown as ExplainOptions), error: InvalidInputError, message: /options must be an object/ },
  { name: 'request an array', call: () => ex.explain(img, [] as unknown as {}), error: InvalidInputError, message: /request must be an object/ },
  { name: 'layer unknown', call: e({ layer: 'conv5_block3_out' }), error: UnknownLayerError, message: /c1, target/ },
  { name: 'layer a number', call: e({ layer: 3 as unknown as string }), error: InvalidInputError, message: /layer must be a layer/ },
  { name: 'labels of the wrong length', call: e({ labels: ['a'] }), error: InvalidInputError, message: /1 names but the model has 4/ },
  { name: 'labels not strings', call: e({ labels: [1, 2, 3, 4] as unknown as string[] }), error: InvalidInputError, message: /array of class names/ },
  { name: 'explainer disposed', call: () => deadExplainer.explain(img), error: DisposedError, message: /explainer was disposed/ },
  { name: 'backend cpu active, default backend', call: async () => {
    await tf.setBackend('cpu');
    try { await explainWasm(model, img, {}); } finally { await tf.setBackend('wasm'); }
  }, error: BackendError, message: /active tfjs backend is 'cpu'.*useWasmBackend\(\).*backend: 'current'/ },
  // outputSize
  { name: 'outputSize [1e5, 1e5]', call: e({ outputSize: [1e5, 1e5] }), error: InvalidInputError, message: /more than the 67108864.*smaller outputSize/ },
  { name: 'outputSize 0', call: e({ outputSize: 0 as unknown as [number, number] }), error: InvalidInputError, message: /outputSize must be \[height, width\]/ },
  { name: 'outputSize [0, 5]', call: e({ outputSize: [0, 5] }), error: InvalidInputError, message: /positive integers; got \[0,5\]/ },
  { name: 'outputSize [NaN, NaN]', call: e({ outputSize: [NaN, NaN] }), error: InvalidInputError, message: /positive integers/ },
  { name: 'outputSize [2.5, 3]', call: e({ outputSize: [2.5, 3] }), error: InvalidInputError, message: /positive integers/ },
  { name: 'outputSize [3]', call: e({ outputSize: [3] as unknown as [number, number] }), error: InvalidInputError, message: /\[height, width\]/ },
  { name: 'outputSize {width: 3}', call: e({ outputSize: { width: 3 } as unknown as [number, number] }), error: InvalidInputError, message: /positive integers/ },
  // class / target / topK
  { name: "classIndex '3' (a string)", call: e({ classIndex: '3' as unknown as number }), error: InvalidInputError, message: /must be an integer class index.*write 3, not '3'/ },
  { name: 'classIndex 1.5', call: e({ classIndex: 1.5 }), error: InvalidInputError, message: /must be an integer/ },
  { name: 'classIndex NaN', call: e({ classIndex: NaN }), error: InvalidInputError, message: /must be an integer/ },
  { name: 'classIndex []', call: () => ex.explain(img, { classIndex: [] }), error: InvalidInputError, message: /empty list/ },
  { name: 'classIndex out of range', call: e({ classIndex: 4 }), error: ClassIndexError, message: /out of range.*0\.\.3/ },
  { name: 'classIndex negative', call: e({ classIndex: -1 }), error: ClassIndexError, message: /out of range/ },
  { name: 'target and classIndex both', call: e({ target: 1, classIndex: 1 }), error: InvalidInputError, message: /either target or classIndex/ },
  { name: 'target function returning a vector', call: e({ method: 'gradcam', target: (l) => l as unknown as tf.Scalar }), error: InvalidInputError, message: /float32 scalar/ },
  { name: 'target function returning NaN', call: e({ method: 'gradcam', target: (l) => tf.div(tf.sub(l.gather(0), l.gather(0)), 0) as tf.Scalar }), error: NumericalError, message: /must return a finite score/ },
  { name: 'NumericalError in the gradient pass', call: e({ method: 'gradcam++', target: (l) => tf.sqrt(tf.sub(l.gather(0), l.gather(0))) as tf.Scalar }), error: NumericalError, message: /gradients at "target" hold NaN/ },
  { name: 'topK 0', call: () => ex.explain(img, { topK: 0 }), error: InvalidInputError, message: /topK must be an integer in 1\.\.4/ },
  { name: "topK 'a'", call: () => ex.explain(img, { topK: 'a' as unknown as number }), error: InvalidInputError, message: /topK must be an integer/ },
  // pictures
  { name: 'overlay of a heatmap of the wrong size', call: () => overlay(img, new Float32Array(5)), error: InvalidInputError, message: /heatmap has 5 values/ },
  { name: 'overlay alpha 2', call: () => overlay(img, new Float32Array(81), { alpha: 2 }), error: InvalidInputError, message: /alpha must be in \[0,1\]/ },
  { name: 'overlay of null', call: () => overlay(null as unknown as ImageInput, new Float32Array(81)), error: InvalidInputError, message: /got null/ },
  { name: 'explanationMap of a non-tensor', call: () => explanationMap({} as tf.Tensor3D, new Float32Array(81)), error: InvalidInputError, message: /Tensor3D/ },
  // model files
  { name: 'loadModel: no file', call: () => loadModel(path.join(dir, 'none', 'model.json')), error: InvalidInputError, message: /No model file/ },
  { name: 'loadModel: not JSON', call: () => loadModel(path.join(dir, 'notjson')), error: InvalidInputError, message: /not JSON/ },
  { name: "loadModel: weights path '../'", call: () => loadModel(path.join(dir, 'escape')), error: ModelFileError, message: /outside the model's folder/ },
  { name: 'loadModel: oversized weights file', call: () => loadModel(path.join(dir, 'big')), error: ModelFileError, message: /manifest describes/ },
  { name: 'loadModel: undersized weights file', call: () => loadModel(path.join(dir, 'small')), error: ModelFileError, message: /truncated/ },
];

/** Valid but unusual inputs: a finite map, no leak. */
const valid: { name: string; call: () => Promise<{ cam: Float32Array; heatmap: Float32Array }> }[] = [
  { name: 'GraphModel', call: () => explainWasm(graph, gimg) },
  { name: 'GraphModel, CAM', call: () => explainWasm(graph, gimg, { method: 'cam' }) },
  { name: 'int32 tensor', call: () => explainWasm(model, tf.tidy(() => tf.cast(tf.mul(img, 255), 'int32')) as tf.Tensor3D).finally(() => undefined) },
  { name: 'ImageData with Uint8Array data', call: () => explainWasm(model, rgbaOf(5, 7, new Uint8Array(140).fill(9)) as ImageInput) },
  { name: '4-D batch of one', call: () => explainWasm(model, tf.zeros([1, 9, 9, 3]) as tf.Tensor4D) },
  { name: 'all-zero image', call: () => explainWasm(model, tf.zeros([9, 9, 3]) as tf.Tensor3D) },
  { name: 'outputSize {width, height}', call: () => explainWasm(model, img, { outputSize: { width: 3, height: 2 } }) },
  { name: "backend: 'current'", call: () => explainWasm(model, img, { backend: 'current' }) },
];

test('every bad input gets its typed, actionable error and leaves no tensor behind', async () => {
  await explainWasm(model, img);
  await explainWasm(graph, gimg);
  const lines: string[] = [];
  let typed = 0, leaks = 0, failures = 0;
  for (const row of rows) {
    const before = tf.memory().numTensors;
    let error: unknown = null;
    try { await row.call(); } catch (err) { error = err; }
    const leaked = tf.memory().numTensors - before + (Number.isFinite(tf.memory().numBytes) ? 0 : 1000);
    const isTyped = error instanceof GradCamError;
    const ok = error instanceof row.error && row.message.test((error as Error).message) && leaked === 0;
    if (isTyped) typed++;
    if (leaked) leaks++;
    if (!ok) failures++;
    lines.push(`${ok ? 'ok  ' : 'FAIL'} | ${row.name} | ${(error as Error)?.name ?? 'no error'}: ${(error as Error)?.message ?? ''} | leaked ${leaked}`);
  }
  console.log(lines.join('\n'));
  console.log(`bad input: ${rows.length} classes, ${typed} typed (${(100 * typed / rows.length).toFixed(0)} %), ${leaks} leaking, ${failures} not as expected`);
  assert.is(failures, 0, lines.filter((l) => l.startsWith('FAIL')).join('\n'));
  assert.is(typed, rows.length);
  assert.is(leaks, 0);
});

test('valid but unusual inputs give finite maps and leave no tensor behind', async () => {
  for (const row of valid) {
    const before = tf.memory().numTensors;
    const r = await row.call();
    assert.ok(r.cam.every(Number.isFinite) && r.heatmap.every(Number.isFinite), row.name);
    assert.ok(r.cam.every((v) => v >= 0 && v <= 1), row.name);
    assert.ok(tf.memory().numTensors - before <= 1, `${row.name}: leaked ${tf.memory().numTensors - before}`); // the row's own input tensor
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
