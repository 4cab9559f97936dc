/** Score-CAM helpers: the plain-TypeScript twin of assembly/scorecam.ts. */
import { EPS } from '../../constants.js';

/** out[k*Z + p] = a[p*K + k]. */
export function channelPlanes(a: Float32Array, Z: number, K: number, out: Float32Array): void {
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) out[k * Z + p] = a[p * K + k];
}

/**
 * In place, each of `count` planes of n floats: (x - min) / (max - min) (Score-CAM, Wang et al. 2020);
 * a plane with range <= EPS * max(|min|, |max|) becomes zeros.
 */
export function normalizePlanes(x: Float32Array, n: number, count: number): void {
  for (let c = 0; c < count; c++) {
    const plane = x.subarray(c * n, (c + 1) * n);
    let min = Infinity, max = -Infinity;
    for (const v of plane) { if (v < min) min = v; if (v > max) max = v; }
    const range = max - min;
    if (!(range > EPS * Math.max(Math.abs(min), Math.abs(max)))) { plane.fill(0); continue; }
    for (let i = 0; i < n; i++) plane[i] = (plane[i] - min) / range;
  }
}
