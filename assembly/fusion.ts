// Multi-layer fusion (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/fusion.ts.
import { f4 } from './simd';
import { reluNormalize } from './combine';

/**
 * Fusion of the maps of several target layers (pytorch-grad-cam's multi-layer convention; Layer-CAM, Jiang et al.
 * 2021, fuses layers likewise): each layer's map already ReLU'd, min-max normalised and upsampled to one size
 * (reluNormalize + resizeBilinear, per layer), given as `count` consecutive maps of n floats at maps;
 *   out[i] = (1/count) sum_j maps[j*n + i], then ReLU + min-max to [0, 1] as reluNormalize (same eps rule).
 * Tolerance against the float64 twin: 1e-5 (absolute: the output is in [0, 1]).
 */
export function fuseMaps(maps: usize, n: i32, count: i32, out: usize, eps: f32): void {
  const n4 = n & ~3;
  const inv: f32 = <f32>1 / <f32>count;
  const vInv = f32x4.splat(inv);
  let i = 0;
  for (; i < n4; i += 4) {
    let s = f32x4.splat(0);
    for (let j = 0; j < count; j++) s = f32x4.add(s, v128.load(maps + <usize>j * f4(n) + f4(i)));
    v128.store(out + f4(i), f32x4.mul(s, vInv));
  }
  for (; i < n; i++) {
    let s: f32 = 0;
    for (let j = 0; j < count; j++) s += load<f32>(maps + <usize>j * f4(n) + f4(i));
    store<f32>(out + f4(i), s * inv);
  }
  reluNormalize(out, n, eps);
}
