/**
 * Eigen-CAM: the plain-TypeScript twin of assembly/eigencam.ts, in float64. It always iterates on the K x K
 * covariance C^T C (the AS kernel uses the smaller of C^T C and C C^T), so the two routes check each other.
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

/**
 * Eigen-CAM (Muhammad & Yeasin 2020, arXiv 2008.00299): out = C v, C = a with centred columns, v the top
 * eigenvector of C^T C by power iteration (EIGEN_MAX_ITER, EIGEN_TOL); sign: positive correlation with the
 * channel-mean map, else the first largest |out| positive. scratch is not used by the twin (its arrays are
 * its own) but has the contract's length.
 */
export function eigencamMap(a: Float32Array, Z: number, K: number, _scratch: Float32Array, out: Float32Array): void {
  const mean = new Float64Array(K);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) mean[k] += a[p * K + k];
  for (let k = 0; k < K; k++) mean[k] /= Z;
  const cov = new Float64Array(K * K);
  const c = new Float64Array(K);
  for (let p = 0; p < Z; p++) {
    for (let k = 0; k < K; k++) c[k] = a[p * K + k] - mean[k];
    for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) cov[k * K + l] += c[k] * c[l];
  }
  let v = eigenStartVector(K);
  let ok = true;
  for (let it = 0; it < EIGEN_MAX_ITER; it++) {
    const y = new Float64Array(K);
    for (let k = 0; k < K; k++) { let s = 0; for (let l = 0; l < K; l++) s += cov[k * K + l] * v[l]; y[k] = s; }
    const norm = Math.hypot(...y);
    if (!(norm > 0)) { ok = false; break; }
    let change = 0;
    for (let k = 0; k < K; k++) { y[k] /= norm; change = Math.max(change, Math.abs(y[k] - v[k])); }
    v = y;
    if (change < EIGEN_TOL) break;
  }
  if (!ok) { out.fill(0, 0, Z); return; }
  const proj = new Float64Array(Z), rowMean = new Float64Array(Z);
  for (let p = 0; p < Z; p++) {
    let s = 0, r = 0;
    for (let k = 0; k < K; k++) { s += (a[p * K + k] - mean[k]) * v[k]; r += a[p * K + k]; }
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
