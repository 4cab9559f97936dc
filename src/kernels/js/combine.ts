/**
 * Weighted sum of channels and ReLU + min-max normalisation: the plain-TypeScript twin of
 * assembly/combine.ts (float64 arithmetic, float32 storage).
 */
import { EPS } from '../../constants.js';

/** out[p] = sum_k w[k] * a[p*K + k]  (the map before the ReLU). */
export function weightedSum(a: Float32Array, w: Float32Array, Z: number, K: number, out: Float32Array): void {
  for (let p = 0; p < Z; p++) {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += w[k] * a[p * K + k];
    out[p] = sum;
  }
}

/**
 * In place over x[0..n): x = max(x, 0); then (x - min) / (max - min). Where max - min <= EPS * max
 * (constant, all-zero or all-negative maps) every value becomes 0, never NaN.
 */
export function reluNormalize(x: Float32Array, n: number): void {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.max(x[i], 0);
    x[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  if (!(range > EPS * max)) {
    x.fill(0, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) x[i] = (x[i] - min) / range;
}
