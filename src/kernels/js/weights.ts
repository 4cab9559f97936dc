/**
 * Channel weights of CAM, Grad-CAM and Grad-CAM++: the plain-TypeScript twin of assembly/weights.ts,
 * written for clarity and used as the test oracle. Sums are accumulated in float64 (results are stored in
 * float32), so the AssemblyScript f32 kernels agree with these within 1e-5 of the largest output.
 * Layout: channel-last (HWC), x[p * K + k]; see src/kernels/contract.ts.
 */
import { EPS } from '../../constants.js';

/** CAM (Zhou et al. 2016, Eq. 2 there): out[k] = kernel[k * numClasses + c]. */
export function camWeights(kernel: Float32Array, K: number, numClasses: number, c: number, out: Float32Array): void {
  for (let k = 0; k < K; k++) out[k] = kernel[k * numClasses + c];
}

/** Grad-CAM (Selvaraju et al. 2017, Eq. 1): out[k] = (1/Z) * sum_p g[p*K + k]. */
export function gradcamWeights(g: Float32Array, Z: number, K: number, out: Float32Array): void {
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let p = 0; p < Z; p++) sum += g[p * K + k];
    out[k] = sum / Z;
  }
}

/** sumA[k] = sum_p a[p*K + k], written to the float32 array `sumA`. */
function sumOverPositions(a: Float32Array, Z: number, K: number, sumA: Float32Array): void {
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let p = 0; p < Z; p++) sum += a[p * K + k];
    sumA[k] = sum;
  }
}

/**
 * Grad-CAM++ alpha of one position and channel (Chattopadhyay et al. 2018, Eq. 19):
 * alpha = g^2 / (2 g^2 + sumA g^3), which for g != 0 is exactly 1 / (2 + sumA * g).
 * Guards (one EPS, src/constants.ts): alpha = 0 where g == 0, and where |2 + sumA * g| < EPS.
 */
export function gradcamppAlphaOf(sumA: number, g: number, eps: number = EPS): number {
  if (g === 0) return 0;
  const d = 2 + sumA * g;
  if (!(Math.abs(d) >= eps)) return 0;
  return 1 / d;
}

/**
 * Grad-CAM++ weights (Eq. 19 with the logit S; exp(S) cancels inside alpha and only scales every weight by
 * the same positive factor, so it is dropped):
 *   scratch[k] = sumA[k];  out[k] = sum_p alpha[p,k] * max(g[p*K + k], 0).
 */
export function gradcamppWeights(a: Float32Array, g: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void {
  sumOverPositions(a, Z, K, scratch);
  for (let k = 0; k < K; k++) {
    let w = 0;
    for (let p = 0; p < Z; p++) {
      const gv = g[p * K + k];
      w += gradcamppAlphaOf(scratch[k], gv) * Math.max(gv, 0);
    }
    out[k] = w;
  }
}
