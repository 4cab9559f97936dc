// XGrad-CAM channel weights (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/xgradcam.ts.
// Layout and conventions: see weights.ts (HWC, x[p * K + k]; byte offsets; no allocation).
import { f4 } from './simd';

/**
 * XGrad-CAM (Fu et al., BMVC 2020, "Axiom-based Grad-CAM", arXiv 2008.02312; its channel weights):
 *   scratch[k] = sumA[k] = sum_p a[p*K + k]
 *   out[k] = sum_p g[p*K + k] * a[p*K + k] / (sumA[k] + eps)
 * (the activation-weighted gradient, normalised by the channel's total activation). eps is EPS of
 * src/constants.ts, added to a sum of activations (harmless: not to a gradient). Where sumA[k] + eps == 0
 * exactly, out[k] = 0 (never Infinity or NaN). One pass over a and g (both sums per channel), then one division.
 * Tolerance against the float64 twin: 1e-5 of the largest |w|.
 */
export function xgradcamWeights(a: usize, g: usize, Z: i32, K: i32, scratch: usize, out: usize, eps: f32): void {
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
    const ra = a + f4(p * K), rg = g + f4(p * K);
    for (let k = 0; k < K4; k += 4) {
      const av = v128.load(ra + f4(k));
      const s = scratch + f4(k), o = out + f4(k);
      v128.store(s, f32x4.add(v128.load(s), av));
      v128.store(o, f32x4.add(v128.load(o), f32x4.mul(av, v128.load(rg + f4(k)))));
    }
    for (let k = K4; k < K; k++) {
      const av = load<f32>(ra + f4(k));
      const s = scratch + f4(k), o = out + f4(k);
      store<f32>(s, load<f32>(s) + av);
      store<f32>(o, load<f32>(o) + av * load<f32>(rg + f4(k)));
    }
  }
  const vEps = f32x4.splat(eps);
  for (let k = 0; k < K4; k += 4) {
    const o = out + f4(k);
    const d = f32x4.add(v128.load(scratch + f4(k)), vEps);
    v128.store(o, v128.and(f32x4.div(v128.load(o), d), f32x4.ne(d, zero)));
  }
  for (let k = K4; k < K; k++) {
    const o = out + f4(k);
    const d: f32 = load<f32>(scratch + f4(k)) + eps;
    store<f32>(o, d != 0 ? load<f32>(o) / d : 0);
  }
}
