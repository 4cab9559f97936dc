// The time axis of sequence explanations: the kernels resizeFrames and frameProfile (both kinds, one table of cases,
// test/helpers/kernel-cases.ts), the 3-index formulas of Grad-CAM / Grad-CAM++ over a clip [T, h, w, K] against
// float64 oracles written with the sums over (t, i, j) spelt out, the whole map pipeline over time
// (src/sequence/maps.ts) against a float64 reference, and T = 1 against the image pipeline, bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { getKernels, type Kernels } from '../src/kernels/index.js';
import { getMethod, type MethodName } from '../src/methods/registry.js';
import { layerMap, reserveRegions, type LayerInputs } from '../src/pipeline/maps.js';
import type { Plan } from '../src/plan/plan.js';
import { reserveSequence, sequenceMap, type SequenceDims } from '../src/sequence/maps.js';
import { SEQUENCE_METHOD_NAMES } from '../src/sequence/index.js';
import { close, f32, runCases, uniform, zeros, type Arr, type Case } from './helpers/kernel-cases.js';

async function tfResizeFrames(src: Arr, T: number, h: number, w: number, H: number, W: number): Promise<number[]> {
  await useWasmBackend();
  return tf.tidy(() => Array.from(
    tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(src), [T, h, w, 1]), [H, W], false, true).dataSync()));
}

// ------------------------------------------------------------------------- float64 oracles, 3 indices spelt out
/** a[t][i][j][k] of a flat [T, h, w, K] array. */
const at = (x: Arr, h: number, w: number, K: number) => (t: number, i: number, j: number, k: number) => x[((t * h + i) * w + j) * K + k];

/** Grad-CAM over time: w_k = 1/(T h w) sum_t sum_i sum_j g[t,i,j,k]. */
function gradcamOracle(g: Arr, T: number, h: number, w: number, K: number): number[] {
  const G = at(g, h, w, K);
  return Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let t = 0; t < T; t++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) s += G(t, i, j, k);
    return s / (T * h * w);
  });
}

/**
 * Grad-CAM++ over time (Eq. 19 with every spatial sum also over t), in its original form:
 *   alpha[t,i,j,k] = g^2 / (2 g^2 + (sum_{t',a,b} A[t',a,b,k]) g^3),  w_k = sum_{t,i,j} alpha ReLU(g);
 * alpha = 0 where g == 0 (the library's guard; no zero denominator occurs for A >= 0).
 */
function gradcamppOracle(a: Arr, g: Arr, T: number, h: number, w: number, K: number): number[] {
  const A = at(a, h, w, K), G = at(g, h, w, K);
  return Array.from({ length: K }, (_, k) => {
    let sumA = 0;
    for (let t = 0; t < T; t++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) sumA += A(t, i, j, k);
    sumA = f32(sumA);   // the kernels keep sum A in float32
    let s = 0;
    for (let t = 0; t < T; t++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const gv = G(t, i, j, k);
      if (gv !== 0) s += (gv * gv) / (2 * gv * gv + sumA * gv * gv * gv) * Math.max(gv, 0);
    }
    return s;
  });
}

/** The map over time: ReLU(sum_k w_k A[t,i,j,k]), min-max over the whole clip; profile = frame sums / total. */
function mapOracle(a: Arr, wk: number[], T: number, h: number, w: number, K: number): { cam: number[]; profile: number[] } {
  const A = at(a, h, w, K);
  const cam: number[] = [];
  for (let t = 0; t < T; t++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += wk[k] * A(t, i, j, k);
    cam.push(Math.max(s, 0));
  }
  const lo = Math.min(...cam), hi = Math.max(...cam);
  const norm = cam.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
  const sums = Array.from({ length: T }, (_, t) => norm.slice(t * h * w, (t + 1) * h * w).reduce((x, y) => x + y, 0));
  const total = sums.reduce((x, y) => x + y, 0);
  return { cam: norm, profile: sums.map((s) => (total > 0 ? s / total : 0)) };
}

test('the oracles are not trivial', () => {
  const g = [1, 2, 3, 4], a = [1, 1, 1, 1];
  assert.equal(gradcamOracle(g, 2, 1, 2, 1), [2.5]);
  // sumA = 4: alpha = 1 / (2 + 4 g); w = sum g / (2 + 4 g)
  const w = gradcamppOracle(a, g, 2, 1, 2, 1)[0];
  assert.ok(Math.abs(w - (1 / 6 + 2 / 10 + 3 / 14 + 4 / 18)) < 1e-12);
  close(mapOracle([0, 1, 2, 3], [1], 2, 1, 2, 1).profile, [1 / 6, 5 / 6], 1e-15, 'profile oracle');
});

// ---------------------------------------------------------------------------------------------- kernel cases
const cases: Case[] = [];

cases.push({
  name: 'frameProfile: T=3, n=2: frame sums / total; an empty frame gets 0',
  f32: { x: [1, 1, 2, 2, 0, 0], out: 3 },
  run: (k, r) => k.frameProfile(r.f32.x, 3, 2, r.f32.out),
  expect: { out: [f32(2 / 6), f32(4 / 6), 0] }, tol: 0,
});
cases.push({
  name: 'frameProfile: an all-zero map -> all zeros (no NaN, no made-up uniform profile)',
  f32: { x: zeros(12), out: 4 },
  run: (k, r) => k.frameProfile(r.f32.x, 4, 3, r.f32.out),
  expect: { out: zeros(4) }, tol: 0,
});
cases.push({
  name: 'frameProfile: T=1 -> [1]',
  f32: { x: [0.5, 0.25, 1], out: 1 },
  run: (k, r) => k.frameProfile(r.f32.x, 1, 3, r.f32.out),
  expect: { out: [1] }, tol: 0,
});
{
  const T = 10, n = 256, x = uniform(T * n, 0, 1, 21);
  const sums = Array.from({ length: T }, (_, t) => x.slice(t * n, (t + 1) * n).reduce((s, v) => s + v, 0));
  const total = sums.reduce((s, v) => s + v, 0);
  cases.push({
    name: 'frameProfile: T=10 x 16x16 random: float64 oracle; wasm and js give the same bits',
    f32: { x, out: T },
    run: (k, r) => k.frameProfile(r.f32.x, T, n, r.f32.out),
    expect: { out: sums.map((s) => s / total) }, sameAsJs: ['out'], tol: 1e-7,
  });
  cases.push({
    name: 'frameProfile: wasm == js bit for bit', f32: { x, out: T },
    run: (k, r) => k.frameProfile(r.f32.x, T, n, r.f32.out), sameAsJs: ['out'], tol: 0, only: 'wasm',
  });
}
cases.push({
  name: 'resizeFrames: constant frames stay constant, frame by frame (no bleeding between frames)',
  f32: { src: [...Array(4).fill(1), ...Array(4).fill(5), ...Array(4).fill(0)], dst: 3 * 36 },
  run: (k, r) => k.resizeFrames(r.f32.src, 3, 2, 2, r.f32.dst, 6, 6),
  expect: { dst: [...Array(36).fill(1), ...Array(36).fill(5), ...Array(36).fill(0)] }, tol: 0,
});
for (const [T, h, w, H, W, seed] of [[10, 16, 16, 64, 64, 31], [3, 7, 5, 23, 18, 32], [4, 9, 9, 4, 6, 33]]) {
  const src = uniform(T * h * w, 0, 1, seed);
  cases.push({
    name: `resizeFrames: T=${T} ${h}x${w} -> ${H}x${W} equals tf.image.resizeBilinear of the frames as a batch (half-pixel)`,
    f32: { src, dst: T * H * W },
    run: (k, r) => k.resizeFrames(r.f32.src, T, h, w, r.f32.dst, H, W),
    expect: () => tfResizeFrames(src, T, h, w, H, W).then((dst) => ({ dst })), tol: 1e-5,
  });
}
test('resizeFrames with T=1 is resizeBilinear, bit for bit (both kinds)', async () => {
  for (const kind of ['wasm', 'js'] as const) {
    const k = await getKernels(kind);
    const r = k.reserve({ src: 49, a: 224 * 224, b: 224 * 224 });
    r.f32.src.set(uniform(49, 0, 1, 34));
    k.resizeFrames(r.f32.src, 1, 7, 7, r.f32.a, 224, 224);
    k.resizeBilinear(r.f32.src, 7, 7, r.f32.b, 224, 224);
    close(r.f32.a, Array.from(r.f32.b), 0, `${kind} resizeFrames T=1`);
  }
});
cases.push({
  name: 'resizeFrames / frameProfile: sizes are checked from the table (T*h*w source floats)',
  custom: (k) => {
    const r = k.reserve({ src: 10, dst: 64, out: 2 });
    assert.throws(() => k.resizeFrames(r.f32.src, 3, 2, 2, r.f32.dst, 4, 4), /src has 10 elements but needs at least 12/);
    assert.throws(() => k.frameProfile(r.f32.src, 0, 5, r.f32.out), /T must be an integer >= 1/);
    assert.throws(() => k.frameProfile(r.f32.src, 3, 5, r.f32.out), /needs at least 15/);
  },
});

// ----------------------------------------------------------------------- the weights and the map over time
const DIMS: [number, number, number, number, number][] = [[10, 16, 16, 16, 41], [3, 5, 7, 13, 42], [6, 8, 8, 32, 43]];
for (const kind of ['wasm', 'js'] as const) {
  for (const [T, h, w, K, seed] of DIMS) {
    test(`[${kind}] Grad-CAM / Grad-CAM++ over (t,i,j), T=${T} ${h}x${w}x${K}: 3-index float64 oracles of weights, map and profile`, async () => {
      const k = await getKernels(kind);
      const a = uniform(T * h * w * K, 0, 2, seed), g = uniform(T * h * w * K, -0.01, 0.01, seed + 100);
      const d: SequenceDims = { T, h, w, K, numClasses: 4, H: 2 * h + 1, W: 3 * w };
      for (const name of ['gradcam', 'gradcam++'] as const) {
        const r = reserveSequence(k, d, { gradients: true, camHead: false });
        r.a.set(a);
        r.g.set(g);
        const m = sequenceMap(k, r, getMethod(name), d, 0, 'test');
        const wk = name === 'gradcam' ? gradcamOracle(g, T, h, w, K) : gradcamppOracle(a, g, T, h, w, K);
        close(m.weights, wk, 2e-5, `${name} weights`);
        const o = mapOracle(a, wk, T, h, w, K);
        close(m.cam, o.cam, 1e-4, `${name} cam`);
        close(m.profile, o.profile, 1e-4, `${name} profile`);
        assert.ok(Math.abs(m.profile.reduce((s, v) => s + v, 0) - 1) < 1e-6, 'profile sums to 1');
        const up = await tfResizeFrames(m.cam, T, h, w, d.H, d.W);
        m.heatmaps.forEach((hm, t) => close(hm, up.slice(t * d.H * d.W, (t + 1) * d.H * d.W), 1e-5, `${name} heatmap ${t}`));
      }
    });
  }

  test(`[${kind}] T = 1: every sequence method gives exactly the image pipeline's map, heatmap and weights`, async () => {
    const k: Kernels = await getKernels(kind);
    const h = 7, w = 6, K = 13, C = 4;
    const a = uniform(h * w * K, 0, 2, 51), g = uniform(h * w * K, -0.01, 0.01, 52), dense = uniform(K * C, -1, 1, 53);
    const d: SequenceDims = { T: 1, h, w, K, numClasses: C, H: 30, W: 20 };
    for (const name of SEQUENCE_METHOD_NAMES as MethodName[]) {
      const method = getMethod(name);
      const r = reserveSequence(k, d, { gradients: true, camHead: true });
      r.a.set(a); r.g.set(g); r.dense.set(dense);
      const s = sequenceMap(k, r, method, d, 2, 'test');
      const plan = { layer: 'test', camHeight: h, camWidth: w, channels: K, numClasses: C } as unknown as Plan;
      const ri = reserveRegions(k, { plans: [plan], inputs: new Set([method.input]), out: d.H * d.W, fused: 0, inputPixels: 1, inputChannels: 1, batchSize: 1 });
      const x: LayerInputs = {
        plan, a: ri.a.subarray(0, h * w * K), g: ri.g.subarray(0, ri.g.length ? h * w * K : 0), d1: ri.d1, d2: ri.d2, d3: ri.d3,
        samples: 0, scores: new Float32Array(K), denseKernel: ri.dense.subarray(0, ri.dense.length ? K * C : 0), classIndex: 2,
      };
      x.a.set(a);
      if (x.g.length) x.g.set(g);
      if (x.denseKernel.length) x.denseKernel.set(dense);
      const im = layerMap(k, ri, method, x, ri.heat, d.H, d.W);
      close(s.cam, Array.from(im.cam), 0, `${name} cam`);
      close(s.heatmaps[0], Array.from(ri.heat.subarray(0, d.H * d.W)), 0, `${name} heatmap`);
      close(s.weights, Array.from(im.weights), 0, `${name} weights`);
      assert.equal(Array.from(s.profile), s.cam.some((v) => v > 0) ? [1] : [0]);
    }
  });
}

runCases(cases);
test.run();
