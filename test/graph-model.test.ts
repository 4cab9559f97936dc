/**
 * tf.GraphModel support: a graph model built from a hand-written graph-model JSON explains like its
 * LayersModel twin (same weights); nsfwjs's shipped graph model (MobileNetV2, converted from a TF Hub
 * SavedModel) explains; loadModel reads graph-model files, confined to their folder.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { withCorrectMaxPoolGrad } from '../src/backend/max-pool-grad.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createExplainer, explainWasm, useWasmBackend, candidateLayers, isGraphModel, labelsOf, METHODS,
  UnknownLayerError, MethodNotApplicableError, ModelFileError,
} from '../src/index.js';
import { loadModel } from '../src/node/model-io.js';
import { readImage } from '../src/node/image-io.js';
import { rejects } from './helpers/rejects.js';
import { gradcamRef, gradcamppRef, maxAbsDiff } from './helpers/reference.js';
import { makeTwin, CLASSES, SIZE } from './helpers/graph-json.js';

await useWasmBackend();
const require = createRequire(import.meta.url);
const image = (seed: number) => tf.randomUniform([SIZE, SIZE, 3], 0, 1, 'float32', seed) as tf.Tensor3D;

const twin = suite('hand-written graph model vs its LayersModel twin');

twin('same predictions, same auto-picked target, node names as layer names', async () => {
  const { layers, graph } = await makeTwin(1);
  assert.ok(isGraphModel(graph));
  const x = image(1);
  const p1 = (layers.predict(x.expandDims(0)) as tf.Tensor).dataSync();
  const p2 = (graph.predict(x.expandDims(0)) as tf.Tensor).dataSync();
  assert.ok(maxAbsDiff(p1, p2) <= 1e-6, `predictions ${maxAbsDiff(p1, p2)}`);
  const cands = candidateLayers(graph);
  assert.equal(cands.slice(-3), ['c2/Conv2D', 'c2/BiasAdd', 'c2/Relu']);
  assert.not.ok(cands.includes('input'));
  const eg = await createExplainer(graph), el = await createExplainer(layers);
  assert.is(eg.layer, 'c2/Relu');
  assert.is(el.layer, 'c2');
  assert.equal([eg.plan.camHeight, eg.plan.camWidth, eg.plan.channels], [el.plan.camHeight, el.plan.camWidth, el.plan.channels]);
  // the same tensor: the graph node's activation equals the layer's output
  const aG = tf.tidy(() => (graph.execute(x.expandDims(0), 'c2/Relu') as tf.Tensor).dataSync());
  const aL = tf.tidy(() => (tf.model({ inputs: layers.inputs, outputs: layers.getLayer('c2').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(aG, aL) <= 1e-5, `target activations ${maxAbsDiff(aG, aL)}`);
  assert.is(eg.plan.numClasses, CLASSES);
  assert.is(eg.plan.outputActivation, 'softmax');
  assert.ok(!('reason' in eg.plan.cam), 'target -> Mean -> MatMul + BiasAdd is the CAM pattern');
});

let maxDiff = 0;

twin('same CAM, Grad-CAM and Grad-CAM++ maps for every class (<= 1e-4)', async () => {
  for (const transposeB of [false, true]) {
    const { layers, graph } = await makeTwin(2, { transposeB });
    const eg = await createExplainer(graph), el = await createExplainer(layers);
    for (const seed of [3, 4]) {
      const x = image(seed);
      const methods = METHODS.map((m) => m.name);
      const [rg] = await eg.explain(x, { methods, target: [0, 1, 2, 3, 4] });
      const [rl] = await el.explain(x, { methods, target: [0, 1, 2, 3, 4] });
      assert.ok(maxAbsDiff(rg.logits, rl.logits) <= 1e-5);
      let nonTrivial = 0;
      for (let i = 0; i < rg.explanations.length; i++) {
        const a = rg.explanations[i], b = rl.explanations[i];
        assert.is(a.method, b.method);
        assert.is(a.classIndex, b.classIndex);
        const d = Math.max(maxAbsDiff(a.cam, b.cam), maxAbsDiff(a.heatmap, b.heatmap));
        maxDiff = Math.max(maxDiff, d);
        assert.ok(d <= 1e-4, `${a.method} class ${a.classIndex} transposeB ${transposeB}: ${d}`);
        if (Math.max(...a.cam) === 1 && Math.min(...a.cam) === 0) nonTrivial++;
      }
      assert.ok(nonTrivial >= 5, `non-trivial maps compared: ${nonTrivial}`);
    }
  }
});

twin('a target before MaxPool and a conv (node c1/Relu): gradients equal a float64 reference; CAM refused', async () => {
  const { layers, graph } = await makeTwin(3);
  const x = image(5);
  const eg = await createExplainer(graph, { layer: 'c1/Relu' });
  const el = await createExplainer(layers, { layer: 'c1' });
  const [rg] = await eg.explain(x, { methods: ['gradcam', 'gradcam++'], topK: 2 });
  const [rl] = await el.explain(x, { methods: ['gradcam', 'gradcam++'], topK: 2 });
  for (let i = 0; i < rg.explanations.length; i++) {
    const d = maxAbsDiff(rg.explanations[i].cam, rl.explanations[i].cam);
    maxDiff = Math.max(maxDiff, d);
    assert.ok(d <= 1e-4, `${rg.explanations[i].method}: ${d}`);
  }
  // the gradient of the graph head, computed here with tfjs directly, through the float64 references
  const c = rg.top[0].classIndex;
  const { A, g } = tf.tidy(() => {
    const a = graph.execute(x.expandDims(0), 'c1/Relu') as tf.Tensor;
    // the correct MaxPoolGrad (tfjs-wasm's drops all-zero windows: test/max-pool-grad.test.ts)
    const grad = withCorrectMaxPoolGrad(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(graph.execute({ 'c1/Relu': v }, 'fc/BiasAdd') as tf.Tensor, [0, c], [1, 1])))(a));
    return { A: a.dataSync(), g: grad.dataSync() };
  });
  assert.ok(g.some((v) => v !== 0));
  assert.ok(maxAbsDiff(rg.get('gradcam', c)!.cam, gradcamRef(A, g, 144, 4)) <= 1e-5);
  assert.ok(maxAbsDiff(rg.get('gradcam++', c)!.cam, gradcamppRef(A, g, 144, 4)) <= 1e-5);
  await rejects(() => eg.explain(x, { methods: ['cam'] }), (e) => e instanceof MethodNotApplicableError && /pool\/MaxPool.*gradcam/.test((e as Error).message));
});

twin('an unknown node name lists the candidate nodes; no tensor leaks', async () => {
  const { graph } = await makeTwin(4);
  await rejects(() => createExplainer(graph, { layer: 'conv5_block3_out' }), (e) =>
    e instanceof UnknownLayerError && e.candidates.includes('c2/Relu') && /c1\/Relu, pool\/MaxPool/.test((e as Error).message));
  const x = image(6);
  await explainWasm(graph, x);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    await explainWasm(graph, x, { method: 'cam' });
    await explainWasm(graph, x, { method: 'gradcam++', layer: 'c1/Relu', target: 1 });
    await explainWasm(graph, x, { method: 'gradcam', target: (l) => tf.sub(l.gather(0), l.gather(1)) as tf.Scalar });
  }
  assert.is(tf.memory().numTensors, before);
});

twin.run();

const nsfw = suite('nsfwjs mobilenet_v2_mid: a graph model converted from a TF Hub SavedModel');

async function loadNsfwGraph(): Promise<tf.GraphModel> {
  const dir = fileURLToPath(new URL('../node_modules/nsfwjs/dist/models/mobilenet_v2_mid', import.meta.url));
  const json = require(`${dir}/model.min.js`) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64'))));
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), format: 'graph-model',
  }));
}

nsfw('Grad-CAM and Grad-CAM++ give finite, non-constant maps; CAM (AvgPool 7x7 -> Squeeze -> MatMul) equals Grad-CAM', async () => {
  const model = await loadNsfwGraph();
  const img = readImage('demo/samples/test-multi-0-digit3.png');
  const ex = await createExplainer(model, { preprocess: (x) => tf.div(x, 255) as tf.Tensor4D, labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] });
  assert.match(ex.layer, /MobilenetV2\/Conv_1\/Relu6$/);
  assert.equal([ex.plan.camHeight, ex.plan.camWidth], [7, 7]);
  const before = tf.memory().numTensors;
  const [r] = await ex.explain(img, { methods: ['cam', 'gradcam', 'gradcam++'] });
  assert.is(tf.memory().numTensors, before);
  assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  for (const e of r.explanations) {
    assert.ok(e.cam.every(Number.isFinite) && e.heatmap.every(Number.isFinite), e.method);
    assert.ok(Math.max(...e.cam) === 1 && Math.min(...e.cam) === 0, `${e.method}: non-constant`);
    assert.is(e.label, r.top[0].label);
  }
  assert.ok(maxAbsDiff(r.get('cam')!.cam, r.get('gradcam')!.cam) <= 1e-4, `${maxAbsDiff(r.get('cam')!.cam, r.get('gradcam')!.cam)}`);
  assert.ok(maxAbsDiff(r.get('gradcam')!.cam, r.get('gradcam++')!.cam) > 1e-3, 'Grad-CAM++ differs from Grad-CAM');
  model.dispose();
});

nsfw('an inner node whose head reads a skip connection (expanded_conv_15/add reads expanded_conv_14/add)', async () => {
  const model = await loadNsfwGraph();
  const img = readImage('demo/samples/test-single-1-digit8.png');
  const pre = (x: tf.Tensor4D) => tf.div(x, 255) as tf.Tensor4D;
  const layer = candidateLayers(model).find((n) => n.endsWith('MobilenetV2/expanded_conv_15/expand/Relu6'))!;
  assert.ok(layer);
  const ex = await createExplainer(model, { layer, preprocess: pre });
  const before = tf.memory().numTensors;
  const [r] = await ex.explain(img, { methods: ['gradcam', 'gradcam++'] });
  assert.is(tf.memory().numTensors, before);
  // the head, fed with the target and the skip, gives the model's own prediction
  const p = tf.tidy(() => {
    const rgb = tf.slice(tf.tensor3d(Float32Array.from(img.data), [img.height, img.width, 4]), [0, 0, 0], [-1, -1, 3]);
    return (model.predict(pre(tf.image.resizeBilinear(rgb.expandDims(0) as tf.Tensor4D, [224, 224], false, true))) as tf.Tensor).dataSync();
  });
  assert.ok(maxAbsDiff(p, r.probabilities) <= 1e-5, `${maxAbsDiff(p, r.probabilities)}`);
  for (const e of r.explanations) assert.ok(e.cam.every(Number.isFinite) && Math.max(...e.cam) === 1 && Math.min(...e.cam) === 0, e.method);
  model.dispose();
});

nsfw.run();

const files = suite('loadModel reads graph-model files, confined to their folder');

function writeModel(dir: string, json: object, weights: Uint8Array, name = 'group1-shard1of1.bin') {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(path.join(dir, name), weights);
}

files('a graph-model folder loads as a GraphModel with the labels next to it, and explains like the original', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'gcw-graph-'));
  try {
    const { graph, json, weightData } = await makeTwin(5);
    const dir = path.join(root, 'm');
    writeModel(dir, json, weightData);
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['a', 'b', 'c', 'd', 'e']));
    const loaded = await loadModel(dir);
    assert.ok(isGraphModel(loaded));
    assert.equal(labelsOf(loaded), ['a', 'b', 'c', 'd', 'e']);
    const x = image(7);
    const a = await explainWasm(loaded, x, { target: 2 });
    const b = await explainWasm(graph, x, { target: 2 });
    assert.equal(a.cam, b.cam);
    assert.is(a.label, 'c');
    assert.is(b.label, undefined);
    // card.json classNames when there is no labels.json
    const dir2 = path.join(root, 'm2');
    writeModel(dir2, json, weightData);
    writeFileSync(path.join(dir2, 'card.json'), JSON.stringify({ classNames: ['v', 'w', 'x', 'y', 'z'] }));
    assert.equal(labelsOf(await loadModel(path.join(dir2, 'model.json'))), ['v', 'w', 'x', 'y', 'z']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

files('weights outside the folder, and weight files of the wrong size, are refused with ModelFileError', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'gcw-graph-'));
  try {
    const { json, weightData } = await makeTwin(6);
    writeFileSync(path.join(root, 'outside.bin'), weightData);
    const escape = { ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: ['../outside.bin'] }] };
    writeModel(path.join(root, 'esc'), escape, weightData);
    await rejects(() => loadModel(path.join(root, 'esc')), (e) => e instanceof ModelFileError && /outside the model's folder/.test((e as Error).message));
    const abs = { ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: [path.join(root, 'outside.bin')] }] };
    writeModel(path.join(root, 'abs'), abs, weightData);
    await rejects(() => loadModel(path.join(root, 'abs')), (e) => e instanceof ModelFileError);
    const big = new Uint8Array(weightData.byteLength + 4);
    big.set(weightData);
    writeModel(path.join(root, 'big'), json, big);
    await rejects(() => loadModel(path.join(root, 'big')), (e) => e instanceof ModelFileError && /hold \d+ bytes but its manifest describes/.test((e as Error).message));
    writeModel(path.join(root, 'small'), json, weightData.subarray(0, weightData.byteLength - 8));
    await rejects(() => loadModel(path.join(root, 'small')), (e) => e instanceof ModelFileError && /truncated/.test((e as Error).message));
    writeModel(path.join(root, 'badlabels'), json, weightData);
    writeFileSync(path.join(root, 'badlabels', 'labels.json'), '{"labels": 3}');
    await rejects(() => loadModel(path.join(root, 'badlabels')), (e) => e instanceof ModelFileError && /labels\.json/.test((e as Error).message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

files.run();

process.on('exit', () => console.log(`GraphModel vs LayersModel: max |difference| of maps = ${maxDiff.toExponential(2)}`));
