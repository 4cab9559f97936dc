/**
 * Time-axis kernels of sequence explanations: the plain-TypeScript twin of assembly/frames.ts.
 * A spatio-temporal map is T frames of n = h * w floats, x[t * n + p].
 */
import { resizeBilinear } from './resize.js';

/** dst[t] (H x W) = resizeBilinear(src[t] (h x w)), frame by frame, half-pixel centres. */
export function resizeFrames(src: Float32Array, T: number, h: number, w: number, dst: Float32Array, H: number, W: number): void {
  const n = h * w, N = H * W;
  for (let t = 0; t < T; t++) resizeBilinear(src.subarray(t * n, (t + 1) * n), h, w, dst.subarray(t * N, (t + 1) * N), H, W);
}

function frameSum(x: Float32Array, t: number, n: number): number {
  let s = 0;
  for (let p = 0; p < n; p++) s += x[t * n + p];
  return s;
}

/**
 * out[t] = (sum of frame t) / (sum of every frame), float64 sums in ascending order; all zeros where the total
 * is not > 0 (an all-zero map).
 */
export function frameProfile(x: Float32Array, T: number, n: number, out: Float32Array): void {
  let total = 0;
  for (let t = 0; t < T; t++) total += frameSum(x, t, n);
  for (let t = 0; t < T; t++) out[t] = total > 0 ? frameSum(x, t, n) / total : 0;
}
