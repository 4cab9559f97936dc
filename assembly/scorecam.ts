// Score-CAM helpers (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/scorecam.ts.
// Score-CAM (Wang et al., CVPR-W 2020, arXiv 1910.01279): each channel A_k is upsampled to the input size and
// min-max normalised to [0, 1] (the mask M_k); the image masked by M_k is scored by the model; the weights are
// those scores. The host runs: channelPlanes (HWC -> K planes), resizeBilinear of each plane (batched),
// normalizePlanes (the paper normalises after upsampling), explanationMap (image x mask), the forward passes,
// then weightedSum of the weights with A.
import { f4, hmin, hmax } from './simd';

/** out[k*Z + p] = a[p*K + k]: the K channel maps of an HWC activation as contiguous planes of Z floats. Exact. */
export function channelPlanes(a: usize, Z: i32, K: i32, out: usize): void {
  for (let p = 0; p < Z; p++) {
    const row = a + f4(p * K);
    for (let k = 0; k < K; k++) store<f32>(out + f4(k * Z + p), load<f32>(row + f4(k)));
  }
}

/**
 * In place, for each of `count` planes of n floats at x: x = (x - min) / (max - min) (Score-CAM's
 * normalisation s(.) of each upsampled channel map). A plane whose range max - min <= eps * max(|min|, |max|)
 * (constant, all zero) becomes all zeros: never NaN for finite input; the largest value becomes exactly 1.
 * No ReLU (a channel map may be negative where the target is not after a ReLU). Tolerance against the
 * float64 twin: 1e-6 (absolute: the output is in [0, 1]).
 */
export function normalizePlanes(x: usize, n: i32, count: i32, eps: f32): void {
  const n4 = n & ~3;
  for (let c = 0; c < count; c++) {
    const base = x + <usize>c * f4(n);
    let vmin = f32x4.splat(Infinity), vmax = f32x4.splat(-Infinity);
    let i = 0;
    for (; i < n4; i += 4) {
      const v = v128.load(base + f4(i));
      vmin = f32x4.min(vmin, v);
      vmax = f32x4.max(vmax, v);
    }
    let mn = hmin(vmin);
    let mx = hmax(vmax);
    for (; i < n; i++) {
      const v = load<f32>(base + f4(i));
      mn = Mathf.min(mn, v);
      mx = Mathf.max(mx, v);
    }
    const range: f32 = mx - mn;
    if (!(range > eps * Mathf.max(Mathf.abs(mn), Mathf.abs(mx)))) {
      for (i = 0; i < n4; i += 4) v128.store(base + f4(i), f32x4.splat(0));
      for (; i < n; i++) store<f32>(base + f4(i), 0);
      continue;
    }
    const vmn = f32x4.splat(mn), vr = f32x4.splat(range);
    for (i = 0; i < n4; i += 4) v128.store(base + f4(i), f32x4.div(f32x4.sub(v128.load(base + f4(i)), vmn), vr));
    for (; i < n; i++) store<f32>(base + f4(i), (load<f32>(base + f4(i)) - mn) / range);
  }
}
