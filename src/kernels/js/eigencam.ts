/**
 * Eigen-CAM: the plain-TypeScript twin of assembly/eigencam.ts (the same algorithm in float64). The tests check
 * both against a float64 Jacobi eigensolver, on both routes (Z <= K and Z > K).
 */
import { EIGEN_MAX_ITER, EIGEN_TOL } from '../../constants.js';

/** The start vector of the power iteration: the same 32-bit xorshift numbers as the AS kernel, normalised. */
export function eigenStartVector(n: number): Float64Array {
  const x = new Float64Array(n);
  let s = 0x9e3779b9 >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    x[i] = Math.fround(s / 2147483648 - 1);
  }
  const norm = Math.hypot(...x);
  for (let i = 0; i < n; i++) x[i] /= norm;
  return x;
}

/** The top eigenvector of the symmetric n x n M by power iteration from eigenStartVector; null if M x == 0. */
function powerIteration(M: Float64Array, n: number): Float64Array | null {
  let x = eigenStartVector(n);
  for (let it = 0; it < EIGEN_MAX_ITER; it++) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += M[i * n + j] * x[j]; y[i] = s; }
    const norm = Math.hypot(...y);
    if (!(norm > 0)) return null;
    let change = 0;
    for (let i = 0; i < n; i++) { y[i] /= norm; change = Math.max(change, Math.abs(y[i] - x[i])); }
    x = y;
    if (change < EIGEN_TOL) break;
  }
  return x;
}

/**
 * Eigen-CAM (Muhammad & Yeasin 2020, arXiv 2008.00299): out = C v, C = a with centred columns, v the first
 * right singular vector of C: by power iteration (EIGEN_MAX_ITER, EIGEN_TOL) on the smaller of C^T C (K x K)
 * and C C^T (Z x Z; then v = C^T u / ||C^T u||), as the AS kernel. Sign: positive correlation with the
 * channel-mean map, else the first largest |out| positive. The twin's arrays are its own (scratch unused).
 */
export function eigencamMap(a: Float32Array, Z: number, K: number, _scratch: Float32Array, out: Float32Array): void {
  const mean = new Float64Array(K);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) mean[k] += a[p * K + k];
  for (let k = 0; k < K; k++) mean[k] /= Z;
  const C = Float64Array.from({ length: Z * K }, (_, i) => a[i] - mean[i % K]);
  let v: Float64Array | null;
  if (Z <= K) {
    const G = new Float64Array(Z * Z);
    for (let p = 0; p < Z; p++) {
      for (let q = 0; q < Z; q++) { let s = 0; for (let k = 0; k < K; k++) s += C[p * K + k] * C[q * K + k]; G[p * Z + q] = s; }
    }
    const u = powerIteration(G, Z);
    v = null;
    if (u) {
      const w = new Float64Array(K);
      for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) w[k] += u[p] * C[p * K + k];
      const norm = Math.hypot(...w);
      if (norm > 0) v = w.map((x) => x / norm);
    }
  } else {
    const M = new Float64Array(K * K);
    for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) M[k * K + l] += C[p * K + k] * C[p * K + l];
    v = powerIteration(M, K);
  }
  if (!v) { out.fill(0, 0, Z); return; }
  const proj = new Float64Array(Z), rowMean = new Float64Array(Z);
  for (let p = 0; p < Z; p++) {
    let s = 0, r = 0;
    for (let k = 0; k < K; k++) { s += C[p * K + k] * v[k]; r += a[p * K + k]; }
    proj[p] = s;
    rowMean[p] = r / K;
  }
  const meanOfRows = rowMean.reduce((s, x) => s + x, 0) / Z;
  let corr = 0;
  for (let p = 0; p < Z; p++) corr += proj[p] * (rowMean[p] - meanOfRows);
  let flip = corr < 0;
  if (corr === 0) {
    let best = 0, bestVal = 0;
    for (let p = 0; p < Z; p++) if (Math.abs(proj[p]) > best) { best = Math.abs(proj[p]); bestVal = proj[p]; }
    flip = bestVal < 0;
  }
  for (let p = 0; p < Z; p++) out[p] = flip ? -proj[p] : proj[p];
}
