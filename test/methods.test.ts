/**
 * The methods past the paper, through the whole pipeline, against float64 references computed from
 * independent tfjs activations and gradients (no code shared with src/): a target BEFORE a non-linear head
 * (a conv after it) so the methods differ; the GAP -> Dense identities; Score-CAM on a tiny model; Smooth
 * Grad-CAM++ with noise 0 and by seed; multi-layer fusion; one gradient pass for every gradient method.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  createExplainer, useWasmBackend, METHODS, getKernels, MethodNotApplicableError, InvalidInputError,
} from '../src/index.js';
import type { Method, MethodKind } from '../src/methods/types.js';
import { layerMap, reserveRegions } from '../src/pipeline/maps.js';
import { rejects } from './helpers/rejects.js';
import { gradcamppRef, gradcamRef, maxAbsDiff, normalise, weightedMap } from './helpers/reference.js';

await useWasmBackend();

const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
const image = (seed: number, shape: [number, number, number]) => tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor3D;

/** conv c1 -> conv target -> conv after (relu) -> maxpool -> GAP -> dense(softmax): the head after the target is non-linear. */
function innerModel() {
  const input = tf.input({ shape: [12, 12, 3] });
  const c1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) });
  const tgt = tf.layers.conv2d({ filters: 7, kernelSize: 3, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(2) });
  const after = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'after', kernelInitializer: init(3), biasInitializer: tf.initializers.constant({ value: 0.05 }) });
  const pool = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' });
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' });
  const fc = tf.layers.dense({ units: 4, activation: 'softmax', name: 'fc', kernelInitializer: init(4) });
  const out = fc.apply(gap.apply(pool.apply(after.apply(tgt.apply(c1.apply(input)))))) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  /** A and dS_c/dA at the target, from tfjs directly (the head written by hand, the logit of class c). */
  const AG = (x: tf.Tensor3D, c: number) => tf.tidy(() => {
    const a = tgt.apply(c1.apply(x.expandDims(0))) as tf.Tensor;
    const head = (v: tf.Tensor) => {
      const h = gap.apply(pool.apply(after.apply(v))) as tf.Tensor2D;
      const [k, b] = fc.getWeights();
      return tf.add(tf.matMul(h, k as tf.Tensor2D), b);
    };
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(head(v), [0, c], [1, 1])))(a);
    return { A: Float64Array.from(a.dataSync()), g: Float64Array.from(g.dataSync()) };
  });
  return { model, AG, Z: 144, K: 7 };
}

// ---------------------------------------------------------------- float64 references (from the papers)
function xgradcamRef(A: Float64Array, g: Float64Array, Z: number, K: number): Float64Array {
  const w = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0, sa = 0;
    for (let p = 0; p < Z; p++) { s += g[p * K + k] * A[p * K + k]; sa += A[p * K + k]; }
    w[k] = sa > 0 ? s / sa : 0;
  }
  return normalise(weightedMap(A, w, Z, K));
}
function elementwiseRef(f: (g: number, a: number) => number) {
  return (A: Float64Array, g: Float64Array, Z: number, K: number) => {
    const m = new Float64Array(Z);
    for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) m[p] += f(g[p * K + k], A[p * K + k]);
    return normalise(m);
  };
}
const hirescamRef = elementwiseRef((g, a) => g * a);
const layercamRef = elementwiseRef((g, a) => Math.max(g, 0) * a);
const elementwiseGradcamRef = elementwiseRef((g, a) => Math.max(g * a, 0));
/** Eigen-CAM: the projection of the centred activations on the top eigenvector of their K x K covariance (Jacobi). */
function eigencamRef(A: Float64Array, Z: number, K: number): Float64Array {
  const mean = new Float64Array(K);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) mean[k] += A[p * K + k] / Z;
  const C = (p: number, k: number) => A[p * K + k] - mean[k];
  const S = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => { let s = 0; for (let p = 0; p < Z; p++) s += C(p, i) * C(p, j); return s; }));
  const V = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) {
      if (Math.abs(S[i][j]) < 1e-300) continue;
      const th = 0.5 * Math.atan2(2 * S[i][j], S[j][j] - S[i][i]), c = Math.cos(th), s = Math.sin(th);
      for (let r = 0; r < K; r++) { const a = S[r][i], b = S[r][j]; S[r][i] = c * a - s * b; S[r][j] = s * a + c * b; }
      for (let r = 0; r < K; r++) { const a = S[i][r], b = S[j][r]; S[i][r] = c * a - s * b; S[j][r] = s * a + c * b; }
      for (let r = 0; r < K; r++) { const a = V[r][i], b = V[r][j]; V[r][i] = c * a - s * b; V[r][j] = s * a + c * b; }
    }
  }
  let top = 0;
  for (let i = 1; i < K; i++) if (S[i][i] > S[top][top]) top = i;
  const m = new Float64Array(Z), avg = new Float64Array(Z);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) { m[p] += C(p, k) * V[k][top]; avg[p] += A[p * K + k] / K; }
  let corr = 0;
  for (let p = 0; p < Z; p++) corr += m[p] * avg[p];
  return normalise(corr < 0 ? m.map((v) => -v) : m);
}

const REFS: Record<string, (A: Float64Array, g: Float64Array, Z: number, K: number) => Float64Array> = {
  gradcam: gradcamRef, 'gradcam++': gradcamppRef, xgradcam: xgradcamRef, hirescam: hirescamRef, layercam: layercamRef,
  'gradcam-elementwise': elementwiseGradcamRef, eigencam: (A, _g, Z, K) => eigencamRef(A, Z, K),
};

// ---------------------------------------------------------------- registry
const reg = suite('registry: one file per method');

reg('every entry has its fields, a known kind and input, a compute hook and applies(); the names are exact', () => {
  const kinds: MethodKind[] = ['channel', 'elementwise', 'activation', 'perturbation'];
  for (const m of METHODS as readonly Method[]) {
    assert.type(m.name, 'string'); assert.type(m.title, 'string'); assert.ok(m.reference.length > 5, m.name);
    assert.ok(kinds.includes(m.kind), `${m.name} kind`);
    assert.ok(['activations', 'cam-head', 'gradients', 'noisy-gradients', 'masked-scores'].includes(m.input), `${m.name} input`);
    assert.type(m.compute, 'function'); assert.type(m.applies, 'function');
  }
  const names = METHODS.map((m) => m.name);
  assert.is(new Set(names).size, names.length);
  for (const n of ['cam', 'gradcam', 'gradcam++', 'xgradcam', 'hirescam', 'layercam', 'gradcam-elementwise', 'eigencam', 'scorecam', 'smoothgradcam++']) {
    assert.ok(names.includes(n as never), n);
  }
});

reg('a toy method (one object, no registry change) runs through the same map pipeline as the built-in ones', async () => {
  const { model, AG, Z, K } = innerModel();
  const ex = await createExplainer(model, { layer: 'target' });
  const x = image(2, [12, 12, 3]);
  const { A, g } = AG(x, 1);
  // "channel-sum": w_k = 1 (the plain sum of the channels), a method a user could add in one file
  const toy: Method = {
    name: 'channel-sum', title: 'Channel sum', reference: 'test', kind: 'channel', input: 'activations',
    applies: () => true, compute: (c) => c.out.fill(1),
  };
  const kernels = await getKernels('js');
  const r = reserveRegions(kernels, { plans: [ex.plan], inputs: new Set(['gradients']), out: 144, fused: 0, inputPixels: 0, inputChannels: 0, batchSize: 1 });
  r.a.set(A); r.g.set(g);
  const view = (v: Float32Array) => v.subarray(0, 0);
  const base = { plan: ex.plan, a: r.a, g: r.g, d1: view(r.d1), d2: view(r.d2), d3: view(r.d3), samples: 0, scores: new Float32Array(K), denseKernel: view(r.dense), classIndex: 1 };
  const res = layerMap(kernels, r, toy, base, r.heat, 12, 12);
  assert.ok(maxAbsDiff(res.cam, normalise(weightedMap(A, new Float64Array(K).fill(1), Z, K))) <= 1e-5);
  assert.is(res.weights.length, K);
  const hr = layerMap(kernels, r, METHODS.find((m) => m.name === 'hirescam')!, base, r.heat, 12, 12);
  assert.ok(maxAbsDiff(hr.cam, hirescamRef(A, g, Z, K)) <= 1e-5);
  assert.is(hr.weights.length, 0);
});

reg.run();

// ---------------------------------------------------------------- oracles through the whole pipeline
const oracle = suite('float64 oracles, target before a non-linear head');

oracle('every gradient and activation method equals its float64 reference, wasm and js kernels', async () => {
  const { model, AG, Z, K } = innerModel();
  const names = Object.keys(REFS);
  const nonTrivial: Record<string, number> = {};
  for (const kernels of ['wasm', 'js'] as const) {
    const ex = await createExplainer(model, { layer: 'target', kernels });
    for (const seed of [3, 4]) {
      const x = image(seed, [12, 12, 3]);
      const [r] = await ex.explain(x, { methods: names as never, topK: 2 });
      for (const c of r.top.slice(0, 2).map((t) => t.classIndex)) {
        const { A, g } = AG(x, c);
        assert.ok(g.some((v) => v !== 0) && new Set(Array.from(g).map((v) => v.toFixed(9))).size > K * 2, 'g varies over space');
        for (const n of names) {
          const e = r.get(n as never, c)!;
          const d = maxAbsDiff(e.cam, REFS[n](A, g, Z, K));
          assert.ok(d <= 1e-4, `${kernels} ${n} class ${c} seed ${seed}: ${d}`);
          if (e.cam.some((v) => v > 0)) nonTrivial[n] = (nonTrivial[n] ?? 0) + 1;
        }
      }
      // the methods differ here (a test that cannot fail is a defect)
      const gc = r.get('gradcam')!.cam;
      for (const n of ['xgradcam', 'hirescam', 'layercam', 'eigencam']) assert.ok(maxAbsDiff(gc, r.get(n as never)!.cam) > 1e-2, `${n} differs from gradcam`);
    }
  }
  for (const n of names) assert.ok((nonTrivial[n] ?? 0) >= 4, `${n}: non-trivial maps compared (${nonTrivial[n] ?? 0} of 8)`);
});

oracle('ONE gradient pass per target for every gradient method; none for Eigen-CAM alone', async () => {
  const { model } = innerModel();
  const ex = await createExplainer(model, { layer: 'target' });
  let heads = 0;
  const plan = ex.plan as { head: (...a: unknown[]) => unknown };
  const orig = plan.head;
  plan.head = (...a: unknown[]) => { heads++; return orig(...a); };
  const x = image(5, [12, 12, 3]);
  const grads = METHODS.filter((m) => m.input === 'gradients').map((m) => m.name);
  assert.ok(grads.length >= 6);
  await ex.explain(x, { methods: grads, classIndex: 1 });
  assert.is(heads, 1, 'one head pass (under tf.grad) for all gradient methods');
  heads = 0;
  await ex.explain(x, { methods: [...grads, 'eigencam'], classIndex: [1, 2] });
  assert.is(heads, 2, 'one per class');
  heads = 0;
  await ex.explain(x, { methods: ['eigencam'], classIndex: 1 });
  assert.is(heads, 1, 'Eigen-CAM alone: one head pass without gradients (the logits)');
  plan.head = orig;
});

oracle.run();

const gap = suite('GAP -> Dense identities (g constant per channel)');

gap('hirescam = gradcam, xgradcam = gradcam, layercam = gradcam without its negative-weight channels', async () => {
  const input = tf.input({ shape: [9, 9, 3] });
  let y = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(11) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'target', kernelInitializer: init(12), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const fc = tf.layers.dense({ units: 3, name: 'fc', kernelInitializer: init(13) });
  const model = tf.model({ inputs: input, outputs: fc.apply(y) as tf.SymbolicTensor });
  const x = image(7, [9, 9, 3]);
  const ex = await createExplainer(model);
  const [r] = await ex.explain(x, { methods: ['gradcam', 'hirescam', 'xgradcam', 'layercam'], classIndex: [0, 1, 2] });
  const A = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: model.getLayer('target').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor).dataSync();
  const kernel = fc.getWeights()[0].dataSync();
  const Z = 49, K = 8;
  let sumA = 0;
  for (const v of A) sumA += v;
  assert.ok(sumA > 0);
  let differ = 0;
  for (const c of [0, 1, 2]) {
    const gc = r.get('gradcam', c)!.cam;
    assert.ok(maxAbsDiff(r.get('hirescam', c)!.cam, gc) <= 1e-5, `hirescam class ${c}`);
    assert.ok(maxAbsDiff(r.get('xgradcam', c)!.cam, gc) <= 1e-5, `xgradcam class ${c}`);
    const w = new Float64Array(K);
    for (let k = 0; k < K; k++) w[k] = Math.max(kernel[k * 3 + c], 0);
    const lc = r.get('layercam', c)!.cam;
    assert.ok(maxAbsDiff(lc, normalise(weightedMap(A, w, Z, K))) <= 1e-5, `layercam class ${c}`);
    if (maxAbsDiff(lc, gc) > 1e-3) differ++;
  }
  assert.ok(differ > 0, 'some class has negative-weight channels, so layercam differs from gradcam');
});

gap.run();

// ---------------------------------------------------------------- Score-CAM
const score = suite('Score-CAM');

score('equals masked-input probabilities computed independently (tf.image.resizeBilinear masks, model.predict)', async () => {
  const input = tf.input({ shape: [8, 8, 3] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(21) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(22) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(23) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(24) }).apply(y) as tf.SymbolicTensor });
  const x = tf.randomUniform([8, 8, 3], -1, 1, 'float32', 9) as tf.Tensor3D;
  const ex = await createExplainer(model, { layer: 'target' });
  const A = tf.tidy(() => tf.model({ inputs: model.inputs, outputs: model.getLayer('target').output as tf.SymbolicTensor }).predict(x.expandDims(0)) as tf.Tensor);
  const [, h, w, K] = A.shape;
  const Av = A.dataSync();
  for (const c of [0, 1, 2]) {
    const wk = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const up = tf.tidy(() => tf.image.resizeBilinear(tf.slice(A, [0, 0, 0, k], [1, h, w, 1]) as tf.Tensor4D, [8, 8], false, true).dataSync());
      let lo = Infinity, hi = -Infinity;
      for (const v of up) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const mask = Float32Array.from(up, (v) => (hi - lo > 1e-7 * Math.max(Math.abs(lo), Math.abs(hi)) ? (v - lo) / (hi - lo) : 0));
      wk[k] = tf.tidy(() => (model.predict(tf.mul(x, tf.tensor3d(mask, [8, 8, 1])).expandDims(0)) as tf.Tensor).dataSync()[c]);
    }
    for (const batchSize of [1, 2, 32]) {
      const [r] = await ex.explain(x, { methods: ['scorecam'], classIndex: c, batchSize });
      const e = r.explanations[0];
      for (let k = 0; k < K; k++) assert.ok(Math.abs(e.weights[k] - wk[k]) <= 1e-5, `class ${c} w${k}: ${e.weights[k]} vs ${wk[k]}`);
      assert.ok(maxAbsDiff(e.cam, normalise(weightedMap(Av, wk, h * w, K))) <= 1e-5, `class ${c} batch ${batchSize}`);
    }
  }
  A.dispose();
  await rejects(() => ex.explain(x, { methods: ['scorecam'], target: (l) => l.sum() }), (e) => e instanceof MethodNotApplicableError && /class index/.test((e as Error).message));
  await rejects(() => ex.explain(x, { methods: ['scorecam'], batchSize: 0 }), (e) => e instanceof InvalidInputError && /batchSize/.test((e as Error).message));
});

score.run();

// ---------------------------------------------------------------- Smooth Grad-CAM++
const smooth = suite('Smooth Grad-CAM++');

smooth('noise 0 gives Grad-CAM++; the same seed gives byte-identical maps; options never leak into the next call', async () => {
  const { model, AG, Z, K } = innerModel();
  const ex = await createExplainer(model, { layer: 'target' });
  const x = image(6, [12, 12, 3]);
  const [z] = await ex.explain(x, { methods: ['smoothgradcam++', 'gradcam++'], classIndex: 1, noise: 0, samples: 3 });
  const { A, g } = AG(x, 1);
  assert.ok(maxAbsDiff(z.get('smoothgradcam++')!.cam, z.get('gradcam++')!.cam) <= 1e-5);
  assert.ok(maxAbsDiff(z.get('gradcam++')!.cam, gradcamppRef(A, g, Z, K)) <= 1e-4, 'the clean gradient is not overwritten by the noisy passes');
  const run = async (o: object) => (await ex.explain(x, { methods: ['smoothgradcam++'], classIndex: 1, ...o }))[0].explanations[0].cam;
  const a = await run({ seed: 5, samples: 4 }), b = await run({ seed: 5, samples: 4 }), c = await run({ seed: 6, samples: 4 });
  assert.equal(Array.from(a), Array.from(b));
  assert.ok(maxAbsDiff(a, c) > 1e-4, 'another seed, another map');
  assert.ok(maxAbsDiff(a, z.get('gradcam++')!.cam) > 1e-3, 'noise changes the map');
  const d1 = await run({}), d2 = await run({ samples: 2, noise: 0.5, seed: 3 }), d3 = await run({});
  assert.equal(Array.from(d1), Array.from(d3));
  assert.ok(maxAbsDiff(d1, d2) > 1e-4);
  for (const bad of [{ samples: 0 }, { samples: 1.5 }, { noise: -1 }, { noise: NaN }, { seed: -1 }]) {
    await rejects(() => ex.explain(x, { methods: ['smoothgradcam++'], ...bad }), (e) => e instanceof InvalidInputError);
  }
});

smooth.run();

// ---------------------------------------------------------------- fusion, leaks
const fuse = suite('multi-layer fusion');

fuse('one layer in a list = that layer; two layers = mean of the per-layer heatmaps, normalised; for every method', async () => {
  const { model } = innerModel();
  const x = image(8, [12, 12, 3]);
  const names = METHODS.filter((m) => m.input !== 'cam-head').map((m) => m.name);
  const opts = { methods: names, classIndex: 2, outputSize: [20, 16] as [number, number], samples: 2 };
  const [one] = await (await createExplainer(model, { layer: 'target' })).explain(x, opts);
  const [list] = await (await createExplainer(model, { layer: ['target'] })).explain(x, opts);
  const [first] = await (await createExplainer(model, { layer: 'c1' })).explain(x, opts);
  const ex2 = await createExplainer(model, { layer: ['c1', 'target'] });
  assert.is(ex2.layer, 'c1+target');
  const [two] = await ex2.explain(x, opts);
  for (const n of names) {
    assert.equal(Array.from(list.get(n)!.heatmap), Array.from(one.get(n)!.heatmap), n);
    const e = two.get(n)!;
    assert.equal(e.layers, ['c1', 'target']);
    const mean = new Float64Array(320);
    for (let i = 0; i < 320; i++) mean[i] = (first.get(n)!.heatmap[i] + one.get(n)!.heatmap[i]) / 2;
    assert.ok(maxAbsDiff(e.heatmap, normalise(mean)) <= 1e-5, `${n}: ${maxAbsDiff(e.heatmap, normalise(mean))}`);
    assert.is(e.heatmap.length, 320);
  }
  await rejects(() => createExplainer(model, { layer: [] }), (e) => e instanceof InvalidInputError);
  await rejects(() => createExplainer(model, { layer: ['c1', 'c1'] }), (e) => e instanceof InvalidInputError && /twice/.test((e as Error).message));
});

fuse('no tensor leaks, for every method and on error paths', async () => {
  const { model } = innerModel();
  const x = image(9, [12, 12, 3]);
  const ex = await createExplainer(model, { layer: ['c1', 'target'] });
  const all = METHODS.filter((m) => m.input !== 'cam-head').map((m) => m.name);
  await ex.explain(x, { methods: all, samples: 2 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await ex.explain(x, { methods: all, samples: 2, topK: 2 });
  assert.is(tf.memory().numTensors, before);
  await rejects(() => ex.explain(x, { methods: ['smoothgradcam++'], samples: 2, target: () => { throw new Error('boom'); } }), (e) => /boom/.test((e as Error).message));
  await rejects(() => ex.explain(x, { methods: ['smoothgradcam++', 'hirescam'], target: (l) => l }), (e) => e instanceof InvalidInputError);
  assert.is(tf.memory().numTensors, before);
});

fuse.run();
