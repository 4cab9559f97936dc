/** XGrad-CAM channel weights: the plain-TypeScript twin of assembly/xgradcam.ts (float64 sums, float32 storage). */
import { EPS } from '../../constants.js';

/**
 * XGrad-CAM (Fu et al. 2020, arXiv 2008.02312): scratch[k] = sumA[k] = sum_p a[p*K+k];
 * out[k] = sum_p g[p*K+k] * a[p*K+k] / (sumA[k] + EPS), and 0 where sumA[k] + EPS == 0.
 */
export function xgradcamWeights(a: Float32Array, g: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void {
  for (let k = 0; k < K; k++) {
    let sumA = 0, sumGA = 0;
    for (let p = 0; p < Z; p++) {
      sumA += a[p * K + k];
      sumGA += g[p * K + k] * a[p * K + k];
    }
    scratch[k] = sumA;
    const d = sumA + EPS;
    out[k] = d !== 0 ? sumGA / d : 0;
  }
}
