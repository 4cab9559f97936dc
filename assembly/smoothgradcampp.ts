// Smooth Grad-CAM++ (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/smoothgradcampp.ts. Layout: see weights.ts.
import { f4 } from './simd';

/**
 * The running sums of Smooth Grad-CAM++ (Omeiza et al. 2019, arXiv 1908.01224): for one noisy copy's gradient
 * g (n floats), d1 += g, d2 += g^2, d3 += g^3 element-wise. The caller zeroes d1, d2, d3 before the first
 * copy. Tolerance against the float64 twin: 1e-6 of the largest |d| (float32 rounding of g^2, g^3).
 */
export function smoothgradcamppAccumulate(g: usize, n: i32, d1: usize, d2: usize, d3: usize): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = f4(i);
    const gv = v128.load(g + o);
    const g2 = f32x4.mul(gv, gv);
    v128.store(d1 + o, f32x4.add(v128.load(d1 + o), gv));
    v128.store(d2 + o, f32x4.add(v128.load(d2 + o), g2));
    v128.store(d3 + o, f32x4.add(v128.load(d3 + o), f32x4.mul(g2, gv)));
  }
  for (; i < n; i++) {
    const o = f4(i);
    const gv = load<f32>(g + o);
    const g2: f32 = gv * gv;
    store<f32>(d1 + o, load<f32>(d1 + o) + gv);
    store<f32>(d2 + o, load<f32>(d2 + o) + g2);
    store<f32>(d3 + o, load<f32>(d3 + o) + g2 * gv);
  }
}

/**
 * alpha of four channels: D2 / (2 D2 + sumA D3) = 1 / (2 + sumA * D3 / D2) where D2 > 0; 0 where D2 == 0
 * (no gradient at that position in any copy) or |2 + sumA * D3 / D2| < eps. The mask is applied after the
 * divisions, so 0/0 and 1/0 never reach the output.
 */
@inline function alpha4(sumA: v128, d2: v128, d3: v128, two: v128, eps: v128, zero: v128): v128 {
  const d = f32x4.add(two, f32x4.mul(sumA, f32x4.div(d3, d2)));
  const keep = v128.and(f32x4.gt(d2, zero), f32x4.ge(f32x4.abs(d), eps));
  return v128.and(f32x4.div(f32x4.splat(1), d), keep);
}
@inline function alpha1(sumA: f32, d2: f32, d3: f32, eps: f32): f32 {
  if (!(d2 > 0)) return 0;
  const d: f32 = <f32>2 + sumA * (d3 / d2);
  if (!(Mathf.abs(d) >= eps)) return 0;
  return <f32>1 / d;
}

/**
 * Smooth Grad-CAM++ weights (Omeiza et al. 2019, arXiv 1908.01224: Grad-CAM++'s alpha (Chattopadhyay 2018, Eq. 19) and weights with
 * the gradient powers averaged over n noisy copies of the input, D1 = mean g, D2 = mean g^2, D3 = mean g^3):
 *   scratch[k] = sumA[k] = sum_p a[p*K + k]          (A of the clean input)
 *   alpha[p,k] = D2 / (2 D2 + sumA[k] D3)            guarded as alpha4
 *   out[k] = sum_p alpha[p,k] * max(D1[p,k], 0)
 * d1, d2, d3 are the SUMS of smoothgradcamppAccumulate over `samples` copies: alpha is a ratio (the 1/n
 * cancels) and D1 = d1 / samples. With samples = 1 (d1 = g, d2 = g^2, d3 = g^3) this is Grad-CAM++'s
 * gradcamppWeights exactly (D3 / D2 = g; the same guards with the same EPS). As there, exp(S) is dropped
 * (it only scales every weight by one positive factor).
 * Tolerance against the float64 twin: 1e-5 of the largest |w|.
 */
export function smoothgradcamppWeights(a: usize, d1: usize, d2: usize, d3: usize, Z: i32, K: i32, samples: i32,
  scratch: usize, out: usize, eps: f32): void {
  const K4 = K & ~3;
  const zero = f32x4.splat(0);
  for (let k = 0; k < K4; k += 4) {
    v128.store(scratch + f4(k), zero);
    v128.store(out + f4(k), zero);
  }
  for (let k = K4; k < K; k++) {
    store<f32>(scratch + f4(k), 0);
    store<f32>(out + f4(k), 0);
  }
  for (let p = 0; p < Z; p++) {
    const row = a + f4(p * K);
    for (let k = 0; k < K4; k += 4) v128.store(scratch + f4(k), f32x4.add(v128.load(scratch + f4(k)), v128.load(row + f4(k))));
    for (let k = K4; k < K; k++) store<f32>(scratch + f4(k), load<f32>(scratch + f4(k)) + load<f32>(row + f4(k)));
  }
  const two = f32x4.splat(2);
  const vEps = f32x4.splat(eps);
  for (let p = 0; p < Z; p++) {
    const base = f4(p * K);
    for (let k = 0; k < K4; k += 4) {
      const o = base + f4(k);
      const al = alpha4(v128.load(scratch + f4(k)), v128.load(d2 + o), v128.load(d3 + o), two, vEps, zero);
      v128.store(out + f4(k), f32x4.add(v128.load(out + f4(k)), f32x4.mul(al, f32x4.max(v128.load(d1 + o), zero))));
    }
    for (let k = K4; k < K; k++) {
      const o = base + f4(k);
      const al = alpha1(load<f32>(scratch + f4(k)), load<f32>(d2 + o), load<f32>(d3 + o), eps);
      store<f32>(out + f4(k), load<f32>(out + f4(k)) + al * Mathf.max(load<f32>(d1 + o), 0));
    }
  }
  const inv: f32 = <f32>1 / <f32>samples;
  for (let k = 0; k < K; k++) store<f32>(out + f4(k), load<f32>(out + f4(k)) * inv);
}
