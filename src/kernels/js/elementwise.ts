/**
 * HiResCAM, Grad-CAM element-wise and Layer-CAM maps (before the shared ReLU / min-max / upsampling): the
 * plain-TypeScript twin of assembly/elementwise.ts (float64 sums, float32 storage).
 */

function mapOf(term: (a: number, g: number) => number, a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void {
  for (let p = 0; p < Z; p++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += term(a[p * K + k], g[p * K + k]);
    out[p] = s;
  }
}

/** HiResCAM (Draelos & Carin 2020): out[p] = sum_k g * a. */
export function hirescamMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void {
  mapOf((av, gv) => gv * av, a, g, Z, K, out);
}

/** Grad-CAM element-wise: out[p] = sum_k max(g * a, 0). */
export function gradcamElementwiseMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void {
  mapOf((av, gv) => Math.max(gv * av, 0), a, g, Z, K, out);
}

/** Layer-CAM (Jiang et al. 2021): out[p] = sum_k max(g, 0) * a. */
export function layercamMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void {
  mapOf((av, gv) => Math.max(gv, 0) * av, a, g, Z, K, out);
}
