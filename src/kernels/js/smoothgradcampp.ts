/** Smooth Grad-CAM++: the plain-TypeScript twin of assembly/smoothgradcampp.ts (float64 arithmetic, float32 storage). */
import { EPS } from '../../constants.js';

/** d1 += g, d2 += g^2, d3 += g^3 over n floats (Omeiza et al. 2019: the running sums over noisy copies). */
export function smoothgradcamppAccumulate(g: Float32Array, n: number, d1: Float32Array, d2: Float32Array, d3: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const gv = g[i];
    d1[i] += gv;
    d2[i] += gv * gv;
    d3[i] += gv * gv * gv;
  }
}

/**
 * alpha = d2 / (2 d2 + sumA d3), written 1 / (2 + sumA * d3 / d2) where d2 > 0; 0 where d2 == 0 or
 * |2 + sumA * d3 / d2| < EPS (Grad-CAM++'s guards with D3/D2 for g).
 */
export function smoothAlphaOf(sumA: number, d2: number, d3: number, eps: number = EPS): number {
  if (!(d2 > 0)) return 0;
  const d = 2 + sumA * (d3 / d2);
  if (!(Math.abs(d) >= eps)) return 0;
  return 1 / d;
}

/**
 * Smooth Grad-CAM++ weights (Omeiza et al. 2019, arXiv 1908.01224) from the sums of `samples` copies:
 * scratch[k] = sumA[k]; out[k] = sum_p alpha * max(d1 / samples, 0).
 */
export function smoothgradcamppWeights(a: Float32Array, d1: Float32Array, d2: Float32Array, d3: Float32Array, Z: number,
  K: number, samples: number, scratch: Float32Array, out: Float32Array): void {
  for (let k = 0; k < K; k++) {
    let sumA = 0;
    for (let p = 0; p < Z; p++) sumA += a[p * K + k];
    scratch[k] = sumA;
  }
  for (let k = 0; k < K; k++) {
    let w = 0;
    for (let p = 0; p < Z; p++) {
      const i = p * K + k;
      w += smoothAlphaOf(scratch[k], d2[i], d3[i]) * Math.max(d1[i], 0);
    }
    out[k] = w / samples;
  }
}
