// The kernels of the methods past the paper (XGrad-CAM, HiResCAM, Grad-CAM element-wise, Layer-CAM, Eigen-CAM,
// Smooth Grad-CAM++, Score-CAM helpers, multi-layer fusion), one table of cases run against both implementations
// (runner and conventions: test/helpers/kernel-cases.ts). Oracles: hand-computed values; float64 formulas
// written here from the papers (no code shared with src/); for Eigen-CAM a float64 Jacobi eigensolver; the
// 'js' twin for random inputs. Hand cases cover zero gradients, constant maps, K % 4 tails and Z = 1.
import { test } from 'uvu';
import { eigencamScratchLength } from '../src/kernels/index.js';
import { EPS } from '../src/constants.js';
import { f32, fill, rng, runCases, uniform, zeros, type Arr, type Case } from './helpers/kernel-cases.js';

const cases: Case[] = [];

// ------------------------------------------------------------------------------ float64 oracles
const per = (Z: number, K: number, f: (p: number, k: number) => number) => Float64Array.from({ length: Z * K }, (_, i) => f(Math.floor(i / K), i % K));
function xgradOracle(a: Arr, g: Arr, Z: number, K: number): number[] {
  return Array.from({ length: K }, (_, k) => {
    let sa = 0, sga = 0;
    for (let p = 0; p < Z; p++) { sa += a[p * K + k]; sga += g[p * K + k] * a[p * K + k]; }
    return sga / (sa + EPS);
  });
}
const mapOracle = (term: (a: number, g: number) => number) => (a: Arr, g: Arr, Z: number, K: number): number[] =>
  Array.from({ length: Z }, (_, p) => { let s = 0; for (let k = 0; k < K; k++) s += term(a[p * K + k], g[p * K + k]); return s; });
const hires = mapOracle((a, g) => g * a);
const elementwise = mapOracle((a, g) => Math.max(g * a, 0));
const layer = mapOracle((a, g) => Math.max(g, 0) * a);

/** Grad-CAM++-style weights from averaged gradient powers (Omeiza 2019), guards as documented. */
function smoothOracle(a: Arr, gs: Arr[], Z: number, K: number): number[] {
  const n = gs.length;
  return Array.from({ length: K }, (_, k) => {
    let sa = 0;
    for (let p = 0; p < Z; p++) sa += a[p * K + k];
    let w = 0;
    for (let p = 0; p < Z; p++) {
      const i = p * K + k;
      let d1 = 0, d2 = 0, d3 = 0;
      for (const g of gs) { d1 += g[i] / n; d2 += g[i] ** 2 / n; d3 += g[i] ** 3 / n; }
      const den = 2 * d2 + sa * d3;
      const alpha = d2 === 0 || Math.abs(den / d2) < EPS ? 0 : d2 / den;
      w += alpha * Math.max(d1, 0);
    }
    return w;
  });
}

/** Eigen-CAM in float64: the top eigenvector of C^T C by cyclic Jacobi, projection, the documented sign rule. */
function eigenOracle(a: Arr, Z: number, K: number): number[] {
  const mean = Array.from({ length: K }, (_, k) => { let s = 0; for (let p = 0; p < Z; p++) s += a[p * K + k]; return s / Z; });
  const C = (p: number, k: number) => a[p * K + k] - mean[k];
  const M = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => { let s = 0; for (let p = 0; p < Z; p++) s += C(p, i) * C(p, j); return s; }));
  const V = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) off += M[i][j] ** 2;
    if (off < 1e-26) break;
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        if (Math.abs(M[i][j]) < 1e-300) continue;
        const th = (M[j][j] - M[i][i]) / (2 * M[i][j]);
        const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < K; r++) { const x = M[r][i], y = M[r][j]; M[r][i] = c * x - s * y; M[r][j] = s * x + c * y; }
        for (let r = 0; r < K; r++) { const x = M[i][r], y = M[j][r]; M[i][r] = c * x - s * y; M[j][r] = s * x + c * y; }
        for (let r = 0; r < K; r++) { const x = V[r][i], y = V[r][j]; V[r][i] = c * x - s * y; V[r][j] = s * x + c * y; }
      }
    }
  }
  let top = 0;
  for (let i = 1; i < K; i++) if (M[i][i] > M[top][top]) top = i;
  if (!(M[top][top] > 1e-20)) return zeros(Z);
  const out = Array.from({ length: Z }, (_, p) => { let s = 0; for (let k = 0; k < K; k++) s += C(p, k) * V[k][top]; return s; });
  const r = Array.from({ length: Z }, (_, p) => { let s = 0; for (let k = 0; k < K; k++) s += a[p * K + k]; return s / K; });
  const rm = r.reduce((s, x) => s + x, 0) / Z;
  let corr = 0;
  for (let p = 0; p < Z; p++) corr += out[p] * (r[p] - rm);
  let flip = corr < 0;
  if (Math.abs(corr) < 1e-12) { let best = 0; for (let p = 1; p < Z; p++) if (Math.abs(out[p]) > Math.abs(out[best])) best = p; flip = out[best] < 0; }
  return out.map((v) => (flip ? -v : v));
}

/** A low-rank-plus-noise activation (clear gap between the first two singular values) with channel offsets. */
function lowRank(Z: number, K: number, seed: number): Float32Array {
  const r = rng(seed);
  const u1 = Array.from({ length: Z }, () => r() - 0.5), v1 = Array.from({ length: K }, () => r() - 0.5);
  const u2 = Array.from({ length: Z }, () => r() - 0.5), v2 = Array.from({ length: K }, () => r() - 0.5);
  const off = Array.from({ length: K }, () => 2 * r());
  return Float32Array.from({ length: Z * K }, (_, i) => {
    const p = Math.floor(i / K), k = i % K;
    return off[k] + 4 * u1[p] * v1[k] + 1.5 * u2[p] * v2[k] + 0.05 * (r() - 0.5);
  });
}

// ------------------------------------------------------------------------------------ XGrad-CAM
{
  // Z=2, K=5: sumA = [4, 4, 0, 4, 2]; sum g*A = [-2, 3, 0, 2, 0]; channel 2 all zero (0 / EPS = 0).
  const a = [1, 2, 0, 4, 1, 3, 2, 0, 0, 1], g = [1, 1, 5, 0.5, -1, -1, 0.5, 5, 0.5, 1];
  cases.push({
    name: 'xgradcamWeights: by hand, Z=2 K=5 (tail), an all-zero channel -> 0',
    f32: { a, g, scratch: 5, w: 5 }, run: (k, r) => k.xgradcamWeights(r.f32.a, r.f32.g, 2, 5, r.f32.scratch, r.f32.w),
    expect: { w: [-2 / (4 + EPS), 3 / (4 + EPS), 0, 2 / (4 + EPS), 0], scratch: [4, 4, 0, 4, 2] }, tol: 1e-7,
  });
  const Z = 6, K = 7, gk = [0.5, -0.25, 0, 1, 2, -1, 0.125];
  const ac = uniform(Z * K, 0.1, 2, 21);
  cases.push({
    name: 'xgradcamWeights: g constant per channel (a GAP -> Dense head) -> w = g_k (= Grad-CAM), K=7',
    f32: { a: ac, g: per(Z, K, (_, k) => gk[k]), scratch: K, w: K },
    run: (k, r) => k.xgradcamWeights(r.f32.a, r.f32.g, Z, K, r.f32.scratch, r.f32.w),
    expect: { w: gk }, tol: 1e-6,
  });
  cases.push({
    name: 'xgradcamWeights: zero gradients -> 0; Z=1 -> g * a / (a + EPS)',
    f32: { a: ac, g: zeros(Z * K), w0: K, scratch: K, a1: [2, 0.5, 4, 1, 8], g1: [1, -2, 0.5, 0, 3], w1: 5 },
    run: (k, r) => {
      k.xgradcamWeights(r.f32.a, r.f32.g, Z, K, r.f32.scratch, r.f32.w0);
      k.xgradcamWeights(r.f32.a1, r.f32.g1, 1, 5, r.f32.scratch, r.f32.w1);
    },
    expect: { w0: zeros(K), w1: [1, -2, 0.5, 0, 3].map((g, i) => g * [2, 0.5, 4, 1, 8][i] / ([2, 0.5, 4, 1, 8][i] + EPS)) }, tol: 1e-7,
  });
}

// ----------------------------------------------------------- HiResCAM, Grad-CAM element-wise, Layer-CAM
{
  const a = [1, -2, 3, 4, 5, 1, 1, -1, 1, 1], g = [1, -1, 0.5, -0.5, 2, -2, 1, 0, 3, -1];
  cases.push({
    name: 'element-wise maps by hand (Z=2, K=5, a negative activation): hirescam, gradcam-elementwise, layercam',
    f32: { a, g, hi: 2, el: 2, ly: 2 },
    run: (k, r) => {
      k.hirescamMap(r.f32.a, r.f32.g, 2, 5, r.f32.hi);
      k.gradcamElementwiseMap(r.f32.a, r.f32.g, 2, 5, r.f32.el);
      k.layercamMap(r.f32.a, r.f32.g, 2, 5, r.f32.ly);
    },
    // p0: terms g*a = [1, 2, 1.5, -2, 10]; ReLU(g)*a = [1, 0, 1.5, 0, 10]. p1: g*a = [-2, 1, 0, 3, -1]; ReLU(g)*a = [0, 1, 0, 3, 0]
    expect: { hi: [12.5, 1], el: [14.5, 4], ly: [12.5, 4] }, tol: 0,
  });
  for (const K of [7, 19, 35]) {
    // a[p,k] = p + 1, g[p,k] = k + 1 (all positive): every map is (p + 1) K (K + 1) / 2 exactly (16-, 4-wide blocks, tail).
    const want = [1, 2, 3].map((p) => p * K * (K + 1) / 2);
    cases.push({
      name: `element-wise maps: K=${K}, out[p] = (p + 1) * K(K+1)/2`,
      f32: { a: per(3, K, (p) => p + 1), g: per(3, K, (_, k) => k + 1), hi: 3, el: 3, ly: 3 },
      run: (k, r) => {
        k.hirescamMap(r.f32.a, r.f32.g, 3, K, r.f32.hi);
        k.gradcamElementwiseMap(r.f32.a, r.f32.g, 3, K, r.f32.el);
        k.layercamMap(r.f32.a, r.f32.g, 3, K, r.f32.ly);
      },
      expect: { hi: want, el: want, ly: want }, tol: 0,
    });
  }
  const Z = 9, K = 6;
  const a0 = uniform(Z * K, -1, 2, 31);
  cases.push({
    name: 'element-wise maps: zero gradients -> all-zero maps; Z=1',
    f32: { a: a0, g: zeros(Z * K), hi: Z, el: Z, ly: Z, a1: [2, -1, 3, 0.5, 1], g1: [1, 2, -1, 4, 0], hi1: 1, el1: 1, ly1: 1 },
    run: (k, r) => {
      const f = r.f32;
      k.hirescamMap(f.a, f.g, Z, K, f.hi); k.gradcamElementwiseMap(f.a, f.g, Z, K, f.el); k.layercamMap(f.a, f.g, Z, K, f.ly);
      k.hirescamMap(f.a1, f.g1, 1, 5, f.hi1); k.gradcamElementwiseMap(f.a1, f.g1, 1, 5, f.el1); k.layercamMap(f.a1, f.g1, 1, 5, f.ly1);
    },
    // Z=1: g*a = [2, -2, -3, 2, 0]; ReLU(g)*a = [2, -2, 0, 2, 0]
    expect: { hi: zeros(Z), el: zeros(Z), ly: zeros(Z), hi1: [-1], el1: [4], ly1: [2] }, tol: 0,
  });
  const gk = [0.5, -0.25, 1, 0, -2, 0.75];
  const ag = uniform(Z * K, 0, 2, 32);
  cases.push({
    name: 'hirescamMap with g constant per channel (a GAP -> Dense head) = the map of Grad-CAM weights g_k (float64)',
    f32: { a: ag, g: per(Z, K, (_, k) => gk[k]), hi: Z },
    run: (k, r) => k.hirescamMap(r.f32.a, r.f32.g, Z, K, r.f32.hi),
    expect: { hi: Array.from({ length: Z }, (_, p) => gk.reduce((s, w, k) => s + w * ag[p * K + k], 0)) }, tol: 1e-6,
  });
}

// ----------------------------------------------------------------------------------- Eigen-CAM
{
  // Z=4, K=5 (Gram route, Z <= K): A = mean_k + 4 u1 e0^T + 2 u2 e4^T, u1 = [1,-1,1,-1]/2, u2 = [1,1,-1,-1]/2
  // (orthonormal, zero mean). First principal direction e0, projection 4 u1 = [2,-2,2,-2]; it correlates
  // positively with the channel-mean map (which contains +4 u1 / K). With -u1, the projection is -4 u1.
  const means = [3, 1, 2, 5, 0.5];
  for (const s of [1, -1]) {
    const u1 = [0.5, -0.5, 0.5, -0.5].map((x) => s * x), u2 = [0.5, 0.5, -0.5, -0.5];
    const a = per(4, 5, (p, k) => means[k] + (k === 0 ? 4 * u1[p] : 0) + (k === 4 ? 2 * u2[p] : 0));
    cases.push({
      name: `eigencamMap: rank-2 by hand (Z=4 <= K=5, K % 4 tail), sign ${s > 0 ? '+' : '-'} -> ${s > 0 ? '' : '-'}4 u1`,
      f32: { a, scratch: eigencamScratchLength(4, 5), out: 4 },
      run: (k, r) => k.eigencamMap(r.f32.a, 4, 5, r.f32.scratch, r.f32.out),
      expect: { out: u1.map((x) => 4 * x) }, tol: 1e-5,
    });
  }
  // Z=6 > K=3 (covariance route): columns 0 and 2 of C are [2,-2,2,-2,2,-2] and [1,1,-1,-1,0,0] (orthogonal);
  // direction e0, projection = column 0.
  const c0 = [2, -2, 2, -2, 2, -2], c2 = [1, 1, -1, -1, 0, 0], m3 = [1, 5, -3];
  cases.push({
    name: 'eigencamMap: rank-2 by hand (Z=6 > K=3, covariance route) -> the first column',
    f32: { a: per(6, 3, (p, k) => m3[k] + (k === 0 ? c0[p] : k === 2 ? c2[p] : 0)), scratch: eigencamScratchLength(6, 3), out: 6 },
    run: (k, r) => k.eigencamMap(r.f32.a, 6, 3, r.f32.scratch, r.f32.out),
    expect: { out: c0 }, tol: 1e-5,
  });
  // Sign tie: columns 0 and 1 are u and -u, so the channel-mean map is constant (correlation exactly 0): the
  // first largest |out| is made positive. Direction (e0 - e1)/sqrt(2), projection sqrt(2) [1,-1,1,-1].
  const u = [1, -1, 1, -1];
  cases.push({
    name: 'eigencamMap: correlation with the channel-mean map exactly 0 -> the first largest |value| positive',
    f32: { a: per(4, 5, (p, k) => [2, 3, 1, 1, 1][k] + (k === 0 ? -u[p] : k === 1 ? u[p] : 0)), scratch: eigencamScratchLength(4, 5), out: 4 },
    run: (k, r) => k.eigencamMap(r.f32.a, 4, 5, r.f32.scratch, r.f32.out),
    expect: { out: u.map((x) => Math.SQRT2 * x) }, tol: 1e-5,
  });
  cases.push({
    name: 'eigencamMap: constant channels -> zeros (no NaN); Z=1 -> 0',
    f32: { a: per(9, 6, (_, k) => k + 0.5), scratch: eigencamScratchLength(9, 6), out: 9, a1: [1, 2, 3, 4, 5], s1: eigencamScratchLength(1, 5), out1: 1 },
    run: (k, r) => {
      k.eigencamMap(r.f32.a, 9, 6, r.f32.scratch, r.f32.out);
      k.eigencamMap(r.f32.a1, 1, 5, r.f32.s1, r.f32.out1);
    },
    expect: { out: zeros(9), out1: [0] }, tol: 0,
  });
  for (const [Z, K, seed] of [[13, 37, 41], [49, 64, 42], [30, 7, 43], [9, 9, 44]]) {
    const a = lowRank(Z, K, seed);
    cases.push({
      name: `eigencamMap: low rank + noise Z=${Z} K=${K} equals a float64 Jacobi eigensolver`,
      f32: { a, scratch: eigencamScratchLength(Z, K), out: Z },
      run: (k, r) => k.eigencamMap(r.f32.a, Z, K, r.f32.scratch, r.f32.out),
      expect: () => ({ out: eigenOracle(a, Z, K) }), tol: 1e-4,
    });
  }
  // Random post-ReLU activations have a small spectral gap (s2^2/s1^2 ~ 0.95 here): the power iteration is slowest
  // there; with EIGEN_TOL = 1e-7 it ends within ~1e-5 of the exact map (the peer-agreement budget is 2e-3).
  const aRand = Float32Array.from(uniform(49 * 64, -1, 1, 45), (v) => Math.max(v, 0));
  cases.push({
    name: 'eigencamMap: random post-ReLU activations (small spectral gap), Z=49 K=64, within 1e-4 of the Jacobi eigensolver',
    f32: { a: aRand, scratch: eigencamScratchLength(49, 64), out: 49 },
    run: (k, r) => k.eigencamMap(r.f32.a, 49, 64, r.f32.scratch, r.f32.out),
    expect: () => ({ out: eigenOracle(aRand, 49, 64) }), tol: 1e-4,
  });
}

// ------------------------------------------------------------------------------ Smooth Grad-CAM++
{
  const g = [1, -2, 0.5, 3, -1];
  cases.push({
    name: 'smoothgradcamppAccumulate: two copies of g -> 2g, 2g^2, 2g^3 (n=5, tail)',
    f32: { g, d1: zeros(5), d2: zeros(5), d3: zeros(5) }, // the caller zeroes the sums
    run: (k, r) => { for (let i = 0; i < 2; i++) k.smoothgradcamppAccumulate(r.f32.g, 5, r.f32.d1, r.f32.d2, r.f32.d3); },
    expect: { d1: g.map((x) => 2 * x), d2: g.map((x) => 2 * x * x), d3: g.map((x) => 2 * x ** 3) }, tol: 0,
  });
  // samples = 1 is Grad-CAM++: the constant-g hand case of test/kernels.test.ts (guards included).
  const ak = [3, 1, -2, 0.5, 4], gk = [0.25, 0, 0.25, -0.5, 0.125];
  const a = per(4, 5, (_, k) => ak[k]), gc = per(4, 5, (_, k) => gk[k]);
  cases.push({
    name: 'smoothgradcamppWeights, samples=1: equals Grad-CAM++ by hand (g == 0, zero denominator with g > 0, g < 0)',
    f32: { a, g: gc, d1: zeros(20), d2: zeros(20), d3: zeros(20), scratch: 5, w: 5, wpp: 5 },
    run: (k, r) => {
      const f = r.f32;
      k.smoothgradcamppAccumulate(f.g, 20, f.d1, f.d2, f.d3);
      k.smoothgradcamppWeights(f.a, f.d1, f.d2, f.d3, 4, 5, 1, f.scratch, f.w);
      k.gradcamppWeights(f.a, f.g, 4, 5, f.scratch, f.wpp);
    },
    expect: { w: [0.2, 0, 0, 0, 0.125], wpp: [0.2, 0, 0, 0, 0.125] }, tol: 1e-7,
  });
  // Z=1, sumA = 2, copies g = 1 and 3: D1 = 2, D2 = 5, D3 = 14; alpha = 5 / (10 + 28) = 1/7.6; w = 2 / 7.6.
  cases.push({
    name: 'smoothgradcamppWeights: two copies by hand (Z=1, K=5): alpha = D2 / (2 D2 + sumA D3), w = alpha D1',
    f32: { a: fill(5, 2), g1: fill(5, 1), g2: fill(5, 3), d1: zeros(5), d2: zeros(5), d3: zeros(5), scratch: 5, w: 5 },
    run: (k, r) => {
      const f = r.f32;
      k.smoothgradcamppAccumulate(f.g1, 5, f.d1, f.d2, f.d3);
      k.smoothgradcamppAccumulate(f.g2, 5, f.d1, f.d2, f.d3);
      k.smoothgradcamppWeights(f.a, f.d1, f.d2, f.d3, 1, 5, 2, f.scratch, f.w);
    },
    expect: { w: fill(5, 2 / 7.6) }, tol: 1e-6,
  });
  cases.push({
    name: 'smoothgradcamppWeights: zero gradients in every copy -> 0 (D2 == 0 guard, no 0/0)',
    f32: { a: uniform(35, 0, 1, 51), d1: zeros(35), d2: zeros(35), d3: zeros(35), scratch: 7, w: 7 },
    run: (k, r) => k.smoothgradcamppWeights(r.f32.a, r.f32.d1, r.f32.d2, r.f32.d3, 5, 7, 3, r.f32.scratch, r.f32.w),
    expect: { w: zeros(7) }, tol: 0,
  });
  const Z = 16, K = 11;
  const ar = uniform(Z * K, 0, 2, 52), gs = [53, 54, 55, 56].map((s) => uniform(Z * K, -0.05, 0.05, s));
  cases.push({
    name: 'smoothgradcamppWeights: 4 random copies (K=11) equal the float64 formula',
    f32: { a: ar, g0: gs[0], g1: gs[1], g2: gs[2], g3: gs[3], d1: zeros(Z * K), d2: zeros(Z * K), d3: zeros(Z * K), scratch: K, w: K },
    run: (k, r) => {
      const f = r.f32;
      for (const g of [f.g0, f.g1, f.g2, f.g3]) k.smoothgradcamppAccumulate(g, Z * K, f.d1, f.d2, f.d3);
      k.smoothgradcamppWeights(f.a, f.d1, f.d2, f.d3, Z, K, 4, f.scratch, f.w);
    },
    expect: { w: smoothOracle(ar, gs, Z, K) }, tol: 1e-5,
  });
}

// ----------------------------------------------------------------------- Score-CAM helpers, fusion
cases.push({
  name: 'channelPlanes: HWC -> K planes (Z=3, K=5), exact',
  f32: { a: Array.from({ length: 15 }, (_, i) => i), out: 15 },
  run: (k, r) => k.channelPlanes(r.f32.a, 3, 5, r.f32.out),
  expect: { out: [0, 5, 10, 1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14] }, tol: 0,
});
cases.push({
  name: 'normalizePlanes: min-max per plane; a constant plane -> zeros; negative values; n=4 and n=5 (tail)',
  f32: { x: [1, 2, 3, 5, 4, 4, 4, 4, -2, 0, 2, -1], y: [0, 1, 2, 3, 8, 7, 7, 7, 7, 7] },
  run: (k, r) => { k.normalizePlanes(r.f32.x, 4, 3); k.normalizePlanes(r.f32.y, 5, 2); },
  expect: { x: [0, 0.25, 0.5, 1, 0, 0, 0, 0, 0, 0.5, 1, 0.25], y: [0, 0.125, 0.25, 0.375, 1, 0, 0, 0, 0, 0] }, tol: 0,
});
cases.push({
  name: 'fuseMaps: mean of the layers then min-max (n=4, and n=5 with a tail, 3 layers); one layer = reluNormalize',
  f32: {
    m2: [0, 0.5, 1, 0.25, 1, 0.5, 0, 0.25], o2: 4,
    m3: [0, 1, 0.5, 0.5, 0.2, 0, 1, 0.5, 0.1, 0.2, 0, 1, 0.5, 0.3, 0.2], o3: 5,
    m1: [-1, 2, 4, 0, 1], o1: 5,
  },
  run: (k, r) => { k.fuseMaps(r.f32.m2, 4, 2, r.f32.o2); k.fuseMaps(r.f32.m3, 5, 3, r.f32.o3); k.fuseMaps(r.f32.m1, 5, 1, r.f32.o1); },
  expect: { o2: [1, 1, 1, 0], o3: [0, 1, 0.5, 0.3, 0.2], o1: [0, 0.5, 1, 0, 0.25] }, tol: 1e-6,
});

// ------------------------------------------------------------------ random inputs: wasm equals js
for (const [Z, K] of [[49, 2048], [196, 512], [9, 7], [13, 5], [1, 6]]) {
  const s = Z * K;
  const a = uniform(s, 0, 1, s + 1), g = uniform(s, -1e-3, 1e-3, s + 2), g2 = uniform(s, -1e-3, 1e-3, s + 3);
  cases.push({
    name: `random Z=${Z} K=${K}: xgradcam, element-wise maps, smooth grad-cam++ (2 copies), planes, fusion match js`,
    f32: { a, g, g2, wx: K, scratch: K, hi: Z, el: Z, ly: Z, d1: s, d2: s, d3: s, ws: K, planes: s, fused: Z },
    run: (k, r) => {
      const f = r.f32;
      k.xgradcamWeights(f.a, f.g, Z, K, f.scratch, f.wx);
      k.hirescamMap(f.a, f.g, Z, K, f.hi);
      k.gradcamElementwiseMap(f.a, f.g, Z, K, f.el);
      k.layercamMap(f.a, f.g, Z, K, f.ly);
      f.d1.fill(0); f.d2.fill(0); f.d3.fill(0);
      k.smoothgradcamppAccumulate(f.g, s, f.d1, f.d2, f.d3);
      k.smoothgradcamppAccumulate(f.g2, s, f.d1, f.d2, f.d3);
      k.smoothgradcamppWeights(f.a, f.d1, f.d2, f.d3, Z, K, 2, f.scratch, f.ws);
      k.channelPlanes(f.a, Z, K, f.planes);
      k.normalizePlanes(f.planes, Z, K);
      k.fuseMaps(f.planes, Z, Math.min(K, 8), f.fused);
    },
    sameAsJs: ['wx', 'hi', 'el', 'ly', 'd1', 'd2', 'd3', 'ws', 'planes', 'fused'], tol: 1e-5, only: 'wasm',
  });
}
for (const [Z, K, seed] of [[49, 256, 61], [196, 64, 62], [64, 16, 63]]) {
  const a = lowRank(Z, K, seed);
  cases.push({
    name: `random eigencamMap Z=${Z} K=${K} (low rank + noise) matches js`,
    f32: { a, scratch: eigencamScratchLength(Z, K), out: Z },
    run: (k, r) => k.eigencamMap(r.f32.a, Z, K, r.f32.scratch, r.f32.out),
    sameAsJs: ['out'], tol: 1e-4, only: 'wasm',
  });
}

test('the float64 oracles are not trivially zero', () => {
  if (!eigenOracle(lowRank(9, 9, 44), 9, 9).some((v) => Math.abs(v) > 0.1)) throw new Error('eigen oracle');
  if (!smoothOracle([1], [[f32(0.5)]], 1, 1).every((v) => v > 0)) throw new Error('smooth oracle');
  if (!hires([1], [2], 1, 1).every((v) => v === 2) || elementwise([1], [-2], 1, 1)[0] !== 0 || layer([-1], [2], 1, 1)[0] !== -2) throw new Error('maps');
  if (Math.abs(xgradOracle([2], [3], 1, 1)[0] - 3) > 1e-6) throw new Error('xgrad');
});

runCases(cases);
test.run();
