import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  explainWasm, createExplainer, useWasmBackend, METHODS, candidateLayers, getKernels,
  InvalidInputError, UnknownLayerError, MethodNotApplicableError, ClassIndexError, UnknownMethodError, BackendError,
} from '../src/index.js';
import { rejects } from './helpers/rejects.js';
import { camRef, gradcamRef, gradcamppRef, maxAbsDiff, normalise } from './helpers/reference.js';

await useWasmBackend();

/** conv(relu) -> GAP -> [dropout] -> dense(softmax): the CAM pattern. */
function gapDenseModel(seed = 1, classes = 4, filters = 6) {
  const input = tf.input({ shape: [9, 9, 3] });
  const c1 = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: tf.initializers.glorotNormal({ seed }) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, activation: 'relu', name: 'target', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) }).apply(c1) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2) as tf.SymbolicTensor;
  const drop = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(gap) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'softmax', name: 'fc', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) }).apply(drop) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function image(seed: number, shape: [number, number, number] = [9, 9, 3]) {
  return tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor3D;
}

const oracle = suite('GAP -> Dense exact oracles');

oracle('CAM equals Grad-CAM after normalisation; both equal the float64 CAM reference', async () => {
  const model = gapDenseModel();
  const x = image(3);
  const ex = await createExplainer(model);
  const [r] = await ex.explain(x, { methods: ['cam', 'gradcam', 'gradcam++'], classIndex: [0, 1, 2, 3] });
  const A = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: model.getLayer('target').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor).dataSync();
  const kernel = model.getLayer('fc').getWeights()[0].dataSync();
  const Z = 16, K = 6;
  let nonZero = 0;
  for (const c of [0, 1, 2, 3]) {
    const cam = r.get('cam', c)!, gc = r.get('gradcam', c)!;
    assert.is(cam.camWidth * cam.camHeight, Z);
    const expected = camRef(A, kernel, 4, c, Z, K);
    assert.ok(maxAbsDiff(cam.cam, expected) <= 1e-5, `CAM class ${c}: ${maxAbsDiff(cam.cam, expected)}`);
    assert.ok(maxAbsDiff(gc.cam, cam.cam) <= 1e-5, `Grad-CAM vs CAM class ${c}: ${maxAbsDiff(gc.cam, cam.cam)}`);
    if (expected.some((v) => v > 0)) nonZero++;
  }
  assert.ok(nonZero >= 2, 'the oracle must compare non-trivial maps');
});

oracle('Grad-CAM++ alpha is 1/(2 + sum A * g) per channel with a GAP -> Dense head', async () => {
  const model = gapDenseModel(7, 3, 8);
  const x = image(5);
  const ex = await createExplainer(model);
  const A = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: model.getLayer('target').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor).dataSync();
  const kernel = model.getLayer('fc').getWeights()[0].dataSync();
  const Z = 16, K = 8;
  for (const c of [0, 1, 2]) {
    const [r] = await ex.explain(x, { methods: ['gradcam++'], classIndex: c });
    const e = r.explanations[0];
    // g = kernel[k,c] / Z everywhere, so alpha_k = 1 / (2 + sumA_k * kernel[k,c] / Z), w_k = Z * alpha_k * relu(g_k)
    const w = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let sumA = 0;
      for (let p = 0; p < Z; p++) sumA += A[p * K + k];
      const g = kernel[k * 3 + c] / Z;
      w[k] = (Z * Math.max(g, 0)) / (2 + sumA * g);
    }
    let scale = 0;
    for (let k = 0; k < K; k++) scale = Math.max(scale, Math.abs(w[k]));
    for (let k = 0; k < K; k++) {
      assert.ok(Math.abs(e.weights[k] - w[k]) <= 1e-5 * scale, `class ${c} channel ${k}: ${e.weights[k]} vs ${w[k]}`);
    }
    const m = new Float64Array(Z);
    for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) m[p] += w[k] * A[p * K + k];
    const expected = normalise(m);
    assert.ok(maxAbsDiff(e.cam, expected) <= 1e-5, `map class ${c}: ${maxAbsDiff(e.cam, expected)}`);
  }
});

oracle('softmax output and linear output give the same maps (gradients of the logit)', async () => {
  const soft = gapDenseModel(11);
  const lin = gapDenseModel(11);
  (lin.getLayer('fc') as unknown as { activation: unknown }).activation =
    (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown }).activation;
  const x = image(2);
  for (const m of METHODS) {
    const a = await explainWasm(soft, x, { method: m.name, classIndex: 1 });
    const b = await explainWasm(lin, x, { method: m.name, classIndex: 1 });
    assert.ok(maxAbsDiff(a.cam, b.cam) <= 1e-6, `${m.name} ${maxAbsDiff(a.cam, b.cam)}`);
    assert.ok(Math.abs(a.logit - b.logit) < 1e-5, `logit ${a.logit} ${b.logit}`);
    assert.ok(a.probability > 0 && a.probability < 1, `probability ${a.probability}`);
  }
  // a separate softmax Activation layer is skipped too
  const input = tf.input({ shape: [9, 9, 3] });
  let y = soft.getLayer('c1').apply(input) as tf.SymbolicTensor;
  y = soft.getLayer('target').apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const fc2 = tf.layers.dense({ units: 4, name: 'fc2' });
  y = fc2.apply(y) as tf.SymbolicTensor;
  fc2.setWeights(soft.getLayer('fc').getWeights());
  y = tf.layers.activation({ activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
  const sep = tf.model({ inputs: input, outputs: y });
  const a = await explainWasm(soft, x, { method: 'gradcam++', classIndex: 2 });
  const b = await explainWasm(sep, x, { method: 'gradcam++', classIndex: 2 });
  assert.ok(maxAbsDiff(a.cam, b.cam) <= 1e-6, `separate softmax ${maxAbsDiff(a.cam, b.cam)}`);
  let nonZero = 0;
  for (const k of [0, 1, 2, 3]) {
    const c1 = await explainWasm(sep, x, { method: 'cam', classIndex: k });
    const c2 = await explainWasm(soft, x, { method: 'cam', classIndex: k });
    assert.ok(maxAbsDiff(c1.cam, c2.cam) <= 1e-6);
    if (c1.cam.some((v) => v > 0)) nonZero++;
  }
  assert.ok(nonZero > 0);
});

oracle.run();

const branched = suite('residual block with Add, target before the Add');

function residualModel() {
  const input = tf.input({ shape: [12, 12, 3] });
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const c1 = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) });
  const tgt = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(2) });
  const c3 = tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'same', name: 'c3', kernelInitializer: init(3) });
  const bn = tf.layers.batchNormalization({ name: 'bn', scale: false });
  const add = tf.layers.add({ name: 'add' });
  const relu = tf.layers.activation({ activation: 'relu', name: 'relu' });
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' });
  const fc = tf.layers.dense({ units: 5, activation: 'softmax', name: 'fc', kernelInitializer: init(4) });
  const s1 = c1.apply(input) as tf.SymbolicTensor;
  const t = tgt.apply(s1) as tf.SymbolicTensor;
  const out = fc.apply(gap.apply(relu.apply(add.apply([bn.apply(c3.apply(t)) as tf.SymbolicTensor, s1])))) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // moving statistics that are not the identity, so the BatchNorm work-around is exercised for real
  bn.setWeights([tf.randomUniform([8], -0.5, 0.5, 'float32', 9), tf.randomUniform([8], 0.2, 2, 'float32', 10), tf.randomUniform([8], 0.5, 1.5, 'float32', 11)]);
  /** The head written by hand: logits as a function of (target activation, skip). */
  const head = (a: tf.Tensor, skip: tf.Tensor) => {
    // BatchNorm (scale: false) written out: (x - mean) / sqrt(var + eps) + beta
    const [beta, mean, variance] = bn.getWeights();
    const normed = tf.add(tf.mul(tf.sub(c3.apply(a) as tf.Tensor, mean), tf.rsqrt(tf.add(variance, 1e-3))), beta);
    const h = relu.apply(add.apply([normed, skip])) as tf.Tensor;
    const g = gap.apply(h) as tf.Tensor;
    const k = fc.getWeights();
    return tf.add(tf.matMul(g as tf.Tensor2D, k[0] as tf.Tensor2D), k[1]);
  };
  return { model, c1, tgt, head };
}

branched('Grad-CAM and Grad-CAM++ equal a float64 reference from tfjs activations and gradients', async () => {
  const { model, c1, tgt, head } = residualModel();
  assert.ok(candidateLayers(model).includes('target'));
  const x = image(4, [12, 12, 3]);
  const ex = await createExplainer(model, { layer: 'target' });
  assert.is(ex.layer, 'target');
  const [r] = await ex.explain(x, { methods: ['gradcam', 'gradcam++'], topK: 3 });
  assert.is(r.explanations.length, 6);
  for (const c of r.top.slice(0, 3).map((p) => p.classIndex)) {
    const { A, g } = tf.tidy(() => {
      const skip = c1.apply(x.expandDims(0)) as tf.Tensor;
      const a = tgt.apply(skip) as tf.Tensor;
      const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(head(v, skip), [0, c], [1, 1])))(a);
      return { A: a.dataSync(), g: grad.dataSync() };
    });
    const Z = 144, K = 8;
    assert.ok(g.some((v) => v !== 0));
    const e1 = r.get('gradcam', c)!, e2 = r.get('gradcam++', c)!;
    assert.ok(maxAbsDiff(e1.cam, gradcamRef(A, g, Z, K)) <= 1e-5, `gradcam ${maxAbsDiff(e1.cam, gradcamRef(A, g, Z, K))}`);
    assert.ok(maxAbsDiff(e2.cam, gradcamppRef(A, g, Z, K)) <= 1e-5, `gradcam++ ${maxAbsDiff(e2.cam, gradcamppRef(A, g, Z, K))}`);
  }
  await rejects(() => ex.explain(x, { methods: ['cam'] }), (e: unknown) => e instanceof MethodNotApplicableError && /gradcam/.test((e as Error).message));
});

branched('the default target is the last 4-D layer (after the Add), where CAM applies', async () => {
  const { model } = residualModel();
  const x = image(8, [12, 12, 3]);
  const e = await explainWasm(model, x, { method: 'cam' });
  assert.is(e.layer, 'relu');
  const A = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: model.getLayer('relu').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor).dataSync();
  const kernel = model.getLayer('fc').getWeights()[0].dataSync();
  assert.ok(maxAbsDiff(e.cam, camRef(A, kernel, 5, e.classIndex, 144, 8)) <= 1e-5);
});

branched('the same maps from the AssemblyScript kernels and the TypeScript twins', async () => {
  const { model } = residualModel();
  const x = image(6, [12, 12, 3]);
  for (const m of METHODS.filter((m) => !m.needsCamHead)) {
    const a = await explainWasm(model, x, { method: m.name, layer: 'target', kernels: 'wasm', outputSize: [30, 20] });
    const b = await explainWasm(model, x, { method: m.name, layer: 'target', kernels: 'js', outputSize: [30, 20] });
    assert.ok(maxAbsDiff(a.cam, b.cam) <= 1e-5);
    assert.ok(maxAbsDiff(a.heatmap, b.heatmap) <= 1e-5);
    assert.is(a.heatmap.length, 600);
  }
});

branched.run();

const pipe = suite('pipeline');

pipe('the heatmap equals tf.image.resizeBilinear(cam, size, false, true) within 1e-5', async () => {
  const model = gapDenseModel(3);
  const x = image(1);
  for (const size of [[9, 9], [224, 224], [31, 17]] as [number, number][]) {
    const e = await explainWasm(model, x, { method: 'gradcam', outputSize: size });
    const expected = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(e.cam, [e.camHeight, e.camWidth, 1]), size, false, true).dataSync());
    assert.is(e.width, size[1]);
    assert.is(e.height, size[0]);
    assert.ok(maxAbsDiff(e.heatmap, expected) <= 1e-5, `${size}: ${maxAbsDiff(e.heatmap, expected)}`);
  }
});

pipe('zero gradients and constant maps give all-zero maps, never NaN', async () => {
  const model = gapDenseModel(4);
  const fc = model.getLayer('fc');
  fc.setWeights([tf.zeros([6, 4]), tf.zeros([4])]);
  for (const m of METHODS) {
    const e = await explainWasm(model, image(2), { method: m.name });
    assert.ok(e.cam.every((v) => v === 0), `${m.name} cam`);
    assert.ok(e.heatmap.every((v) => v === 0), `${m.name} heatmap`);
    assert.is(e.probability, 0.25);
  }
  // constant activations (a black image through bias-only convs): constant map -> zeros
  const model2 = gapDenseModel(5);
  for (const name of ['c1', 'target']) {
    const [k, b] = model2.getLayer(name).getWeights();
    model2.getLayer(name).setWeights([tf.zerosLike(k), tf.onesLike(b)]);
  }
  for (const m of METHODS) {
    const e = await explainWasm(model2, image(3), { method: m.name, classIndex: 0 });
    assert.ok(e.cam.every((v) => v === 0), `${m.name} constant`);
  }
});

pipe('no tensor leaks across 50 explanations', async () => {
  const { model } = residualModel();
  const x = image(6, [12, 12, 3]);
  const ex = await createExplainer(model, { layer: 'target' });
  await ex.explain(x, { methods: ['gradcam', 'gradcam++'] });
  await explainWasm(model, x);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 25; i++) {
    await ex.explain(x, { methods: ['gradcam', 'gradcam++'], topK: 2 });
    await explainWasm(model, x, { method: 'cam' });
  }
  assert.is(tf.memory().numTensors, before);
  const rgba = { data: new Uint8ClampedArray(12 * 12 * 4).fill(128), width: 12, height: 12 };
  await explainWasm(model, rgba);
  assert.is(tf.memory().numTensors, before);
});

pipe('ImageData-like RGBA input, 4-D input and auto-resize to the model input', async () => {
  const model = gapDenseModel(2);
  const data = new Uint8ClampedArray(20 * 30 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  const e = await explainWasm(model, { data, width: 30, height: 20 }, { preprocess: (b) => tf.div(b, 255) });
  assert.is(e.width, 30);
  assert.is(e.height, 20);
  assert.is(e.heatmap.length, 600);
  const x = image(9);
  const a = await explainWasm(model, x, { classIndex: 1 });
  const b = await explainWasm(model, x.expandDims(0) as tf.Tensor4D, { classIndex: 1 });
  assert.equal(a.cam, b.cam);
});

pipe('explainWasm: the options of one call never leak into the next (preprocess, outputSize, labels, target)', async () => {
  const model = gapDenseModel(12);
  const x = image(12);
  const [ref] = await (await createExplainer(model)).explain(x);
  const first = await explainWasm(model, x, {
    preprocess: (b) => tf.mul(b, 0.01) as tf.Tensor4D, outputSize: [4, 5], labels: ['a', 'b', 'c', 'd'], target: 3,
  });
  assert.is(first.width, 5);
  assert.is(first.label, 'd');
  const second = await explainWasm(model, x);
  assert.equal([second.height, second.width], [9, 9]);
  assert.is(second.classIndex, ref.explanations[0].classIndex);
  assert.is(second.logit, ref.explanations[0].logit);
  assert.equal(second.cam, ref.explanations[0].cam);
  assert.is(second.label, undefined);
  assert.ok(Math.abs(first.logit - second.logit) > 1e-6 || first.classIndex !== second.classIndex);
});

pipe('the backend is never switched behind the app: default needs wasm active; backend: current runs where it is', async () => {
  const model = gapDenseModel(13);
  const x = image(13);
  const onWasm = await explainWasm(model, x, { method: 'gradcam++' });
  await tf.setBackend('cpu');
  try {
    await rejects(() => explainWasm(model, x), (e) => e instanceof BackendError && /useWasmBackend/.test((e as Error).message));
    const onCpu = await explainWasm(model, x, { method: 'gradcam++', backend: 'current' });
    assert.is(tf.getBackend(), 'cpu', 'explainWasm left the backend alone');
    assert.ok(maxAbsDiff(onCpu.cam, onWasm.cam) <= 1e-5, `cpu vs wasm ${maxAbsDiff(onCpu.cam, onWasm.cam)}`);
    await explainWasm(model, x, { backend: 'wasm' });
    assert.is(tf.getBackend(), 'wasm', "backend: 'wasm' switches, as asked");
  } finally {
    await tf.setBackend('wasm');
  }
});

pipe.run();

const singular = suite('Grad-CAM++ next to its singularity 2 + sumA * g = 0 (negative activations)');

singular('the AssemblyScript kernel and its TypeScript twin give the same weights bit for bit, alphas up to 1/EPS', async () => {
  const Z = 49, K = 67; // K % 4 = 3: the SIMD blocks and the scalar tail
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const A = new Float32Array(Z * K), G = new Float32Array(Z * K);
  for (let k = 0; k < K; k++) {
    for (let p = 0; p < Z; p++) A[p * K + k] = (rnd() - 0.6) * 10; // mostly negative: sumA < 0
    let sum = 0;
    for (let p = 0; p < Z; p++) sum += A[p * K + k];
    // g within 1e-5 (relative) of the singular value -2 / sumA, some of them exactly 0
    for (let p = 0; p < Z; p++) G[p * K + k] = p % 13 === 0 ? 0 : (-2 / sum) * (1 + (rnd() - 0.5) * 1e-5);
  }
  const run = async (kind: 'wasm' | 'js') => {
    const k = await getKernels(kind);
    const r = k.reserve({ a: Z * K, g: Z * K, s: K, w: K });
    r.f32.a.set(A);
    r.f32.g.set(G);
    k.gradcamppWeights(r.f32.a, r.f32.g, Z, K, r.f32.s, r.f32.w);
    return { w: r.f32.w.slice(), s: r.f32.s.slice() };
  };
  const wasm = await run('wasm'), js = await run('js');
  assert.equal(Array.from(wasm.s), Array.from(js.s), 'sumA');
  assert.equal(Array.from(wasm.w), Array.from(js.w), 'weights');
  assert.ok(Math.max(...Array.from(js.w).map(Math.abs)) > 1e5, 'alphas near 1/EPS are exercised');
});

singular('a target without ReLU: the wasm and js kernels give the same maps', async () => {
  const input = tf.input({ shape: [10, 10, 3] });
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', name: 'linear', kernelInitializer: init(2), biasInitializer: tf.initializers.randomNormal({ seed: 5 }) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: init(3) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4, kernelInitializer: init(4) }).apply(y) as tf.SymbolicTensor });
  const x = tf.randomUniform([10, 10, 3], 0, 50, 'float32', 3) as tf.Tensor3D;
  for (let c = 0; c < 4; c++) {
    const a = await explainWasm(m, x, { layer: 'linear', target: c, kernels: 'wasm' });
    const b = await explainWasm(m, x, { layer: 'linear', target: c, kernels: 'js' });
    assert.equal(Array.from(a.weights), Array.from(b.weights), `class ${c}`);
    assert.ok(maxAbsDiff(a.cam, b.cam) <= 1e-6);
  }
});

singular.run();

const bad = suite('bad input gets typed errors');

bad('wrong rank, channels, NaN pixels, unknown layer, class out of range, unknown method, CAM without GAP -> Dense', async () => {
  const model = gapDenseModel(1);
  const is = (cls: Function, re: RegExp) => (e: unknown) => e instanceof cls && re.test((e as Error).message);
  await rejects(() => explainWasm(model, tf.zeros([9, 9]) as unknown as tf.Tensor3D), is(InvalidInputError, /rank 2/));
  await rejects(() => explainWasm(model, tf.zeros([2, 9, 9, 3]) as tf.Tensor4D), is(InvalidInputError, /batch of one/));
  await rejects(() => explainWasm(model, tf.zeros([9, 9, 4]) as tf.Tensor3D), is(InvalidInputError, /4 channels but the model expects 3/));
  const nan = tf.tensor3d(new Float32Array(9 * 9 * 3).fill(NaN), [9, 9, 3]);
  await rejects(() => explainWasm(model, nan), is(InvalidInputError, /NaN/));
  await rejects(() => explainWasm(model, image(1), { layer: 'nope' }), (e: unknown) =>
    e instanceof UnknownLayerError && e.candidates.includes('target') && /c1, target/.test(e.message));
  await rejects(() => explainWasm(model, image(1), { classIndex: 4 }), is(ClassIndexError, /0\.\.3/));
  await rejects(() => explainWasm(model, image(1), { classIndex: -1 }), is(ClassIndexError, /out of range/));
  await rejects(() => explainWasm(model, image(1), { method: 'lime' as 'cam' }), is(UnknownMethodError, /gradcam\+\+/));
  await rejects(() => explainWasm(model, { data: new Uint8ClampedArray(10), width: 3, height: 3 }), is(InvalidInputError, /width \* height \* 4/));

  // a hidden Dense layer after pooling: CAM is not applicable (the nsfwjs head)
  const input = tf.input({ shape: [9, 9, 3] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
  const m2 = tf.model({ inputs: input, outputs: y });
  await rejects(() => explainWasm(m2, image(1), { method: 'cam' }), is(MethodNotApplicableError, /hidden.*gradcam/));
  const ok = await explainWasm(m2, image(1), { method: 'gradcam++' });
  assert.is(ok.layer, 'conv');
  // a model with no spatial layer
  const flat = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [9, 9, 3] }), tf.layers.dense({ units: 2 })] });
  await rejects(() => explainWasm(flat, image(1)), (e: unknown) => (e as { code?: string }).code === 'NO_TARGET_LAYER');
});

bad.run();
