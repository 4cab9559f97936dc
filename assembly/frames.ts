// Time-axis kernels of sequence explanations (AssemblyScript). Twin: src/kernels/js/frames.ts.
//
// A spatio-temporal map is T frames of n = h * w floats, frame after frame: x[t * n + p] (the layout of a
// ConvLSTM's output sequence [T, h, w, K] with the channels summed away). The channel weights need no
// kernel of their own: with positions p = t * h * w + i * w + j, the image kernels over Z = T * h * w
// positions (gradcamWeights, gradcamppWeights, weightedSum, reluNormalize) are the sums over (t, i, j).
import { f4 } from './simd';
import { resizeBilinear } from './resize';

/**
 * Per-frame bilinear upsampling: dst[t] (H x W) = resizeBilinear(src[t] (h x w)) for t in [0, T), half-pixel
 * centres (the SIMD resize of resize.ts, frame by frame; no frame reads another's pixels).
 */
export function resizeFrames(src: usize, T: i32, h: i32, w: i32, dst: usize, H: i32, W: i32): void {
  const n = h * w, N = H * W;
  for (let t = 0; t < T; t++) resizeBilinear(src + f4(t * n), h, w, dst + f4(t * N), H, W);
}

/** Sum of frame t (n floats), in float64, in ascending order. */
@inline function frameSum(x: usize, t: i32, n: i32): f64 {
  const row = x + f4(t * n);
  let s: f64 = 0;
  for (let p = 0; p < n; p++) s += <f64>load<f32>(row + f4(p));
  return s;
}

/**
 * Per-frame importance: out[t] = (sum_p x[t*n + p]) / (sum_t' sum_p x[t'*n + p]), for a non-negative map
 * (a ReLU'd, normalised one), so the T values sum to 1. All zeros where the total is not > 0 (an all-zero map:
 * no frame matters more than another, and a uniform 1/T would claim otherwise).
 * Sums in float64 in ascending order, as the twin: both give the same float32 bits. Scalar (not f32x4): the
 * sums are tiny (T * n floats) and a lane-wise order would differ from the twin's.
 */
export function frameProfile(x: usize, T: i32, n: i32, out: usize): void {
  let total: f64 = 0;
  for (let t = 0; t < T; t++) total += frameSum(x, t, n);
  const ok = total > 0;
  for (let t = 0; t < T; t++) store<f32>(out + f4(t), ok ? <f32>(frameSum(x, t, n) / total) : 0);
}
