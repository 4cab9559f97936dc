// Element-wise maps: HiResCAM, Grad-CAM element-wise, Layer-CAM (AssemblyScript, f32x4 SIMD). These methods
// have no channel weights: the map comes from A and g position by position. Each writes the Z-length map
// BEFORE the shared ReLU / min-max / upsampling (reluNormalize, resizeBilinear do those).
// Layout and conventions: see weights.ts. Twin: src/kernels/js/elementwise.ts.
import { f4 } from './simd';

const HIRES: i32 = 0;
const ELEMENTWISE: i32 = 1;
const LAYER: i32 = 2;

/** The term of one method for four channels (mode is a compile-time constant after inlining). */
@inline function term4(mode: i32, av: v128, gv: v128, zero: v128): v128 {
  if (mode == HIRES) return f32x4.mul(gv, av);
  if (mode == ELEMENTWISE) return f32x4.max(f32x4.mul(gv, av), zero);
  return f32x4.mul(f32x4.max(gv, zero), av);
}
@inline function term1(mode: i32, av: f32, gv: f32): f32 {
  if (mode == HIRES) return gv * av;
  if (mode == ELEMENTWISE) return Mathf.max(gv * av, 0);
  return Mathf.max(gv, 0) * av;
}

/** out[p] = sum_k term(a[p*K+k], g[p*K+k]): four accumulators over blocks of 16 channels, then 4, then the tail. */
@inline function mapOf(mode: i32, a: usize, g: usize, Z: i32, K: i32, out: usize): void {
  const K16 = K & ~15, K4 = K & ~3;
  const zero = f32x4.splat(0);
  for (let p = 0; p < Z; p++) {
    const ra = a + f4(p * K), rg = g + f4(p * K);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    let k = 0;
    for (; k < K16; k += 16) {
      const oa = ra + f4(k), og = rg + f4(k);
      s0 = f32x4.add(s0, term4(mode, v128.load(oa), v128.load(og), zero));
      s1 = f32x4.add(s1, term4(mode, v128.load(oa, 16), v128.load(og, 16), zero));
      s2 = f32x4.add(s2, term4(mode, v128.load(oa, 32), v128.load(og, 32), zero));
      s3 = f32x4.add(s3, term4(mode, v128.load(oa, 48), v128.load(og, 48), zero));
    }
    for (; k < K4; k += 4) s0 = f32x4.add(s0, term4(mode, v128.load(ra + f4(k)), v128.load(rg + f4(k)), zero));
    const v = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    let s: f32 = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
    for (; k < K; k++) s += term1(mode, load<f32>(ra + f4(k)), load<f32>(rg + f4(k)));
    store<f32>(out + f4(p), s);
  }
}

/**
 * HiResCAM (Draelos & Carin 2020, arXiv 2011.08891): out[p] = sum_k g[p*K+k] * a[p*K+k]
 * (the gradient multiplied element-wise with the activation, no spatial averaging).
 * Tolerance against the float64 twin: 1e-5 of the largest |out|.
 */
export function hirescamMap(a: usize, g: usize, Z: i32, K: i32, out: usize): void {
  mapOf(HIRES, a, g, Z, K, out);
}

/**
 * Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise; HiResCAM with a ReLU per term):
 * out[p] = sum_k max(g[p*K+k] * a[p*K+k], 0). Tolerance: 1e-5 of the largest |out|.
 */
export function gradcamElementwiseMap(a: usize, g: usize, Z: i32, K: i32, out: usize): void {
  mapOf(ELEMENTWISE, a, g, Z, K, out);
}

/**
 * Layer-CAM (Jiang et al., IEEE TIP 2021, "LayerCAM: Exploring Hierarchical Class Activation Maps"): out[p] = sum_k max(g[p*K+k], 0) * a[p*K+k]
 * (each position weighted by its own positive gradient). Tolerance: 1e-5 of the largest |out|.
 */
export function layercamMap(a: usize, g: usize, Z: i32, K: i32, out: usize): void {
  mapOf(LAYER, a, g, Z, K, out);
}
