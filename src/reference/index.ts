/**
 * The plain-TypeScript kernels (kind 'js'): the twin of the AssemblyScript module, one file per kernel group
 * with the same names as assembly/*.ts. Used as test oracles and as a fallback; same contract and same
 * argument checks as the 'wasm' kernels (src/bindings/checks.ts).
 */
import type { Kernels, Regions } from '../bindings/types.js';
import { check, checkReserve } from '../bindings/checks.js';
import * as weights from './weights.js';
import * as combine from './combine.js';
import * as resize from './resize.js';
import * as colormap from './colormap.js';

export { JET_LUT, jetLut, jetIndex, roundHalfEven } from './colormap.js';
export { gradcamppAlphaOf } from './weights.js';

/**
 * A new set of 'js' kernels with its own regions. reserve() keeps the array of a name while its length stays
 * the same (its data is kept), otherwise allocates a new zeroed one.
 */
export function createReferenceKernels(): Kernels {
  const f32Regions = new Map<string, Float32Array>();
  const u8Regions = new Map<string, Uint8Array>();

  function region<T extends Float32Array | Uint8Array>(pool: Map<string, T>, name: string, n: number, make: (n: number) => T): T {
    let view = pool.get(name);
    if (!view || view.length !== n) {
      view = make(n);
      pool.set(name, view);
    }
    return view;
  }

  return {
    kind: 'js',
    reserve(f32: Record<string, number>, u8: Record<string, number> = {}): Regions {
      checkReserve(f32, u8);
      const out: Regions = { f32: {}, u8: {} };
      for (const [name, n] of Object.entries(f32)) out.f32[name] = region(f32Regions, name, n, (m) => new Float32Array(m));
      for (const [name, n] of Object.entries(u8)) out.u8[name] = region(u8Regions, name, n, (m) => new Uint8Array(m));
      return out;
    },
    camWeights(kernel, K, numClasses, c, out) {
      check.camWeights(kernel, K, numClasses, c, out);
      weights.camWeights(kernel, K, numClasses, c, out);
    },
    gradcamWeights(g, Z, K, out) {
      check.gradcamWeights(g, Z, K, out);
      weights.gradcamWeights(g, Z, K, out);
    },
    gradcamppWeights(a, g, Z, K, scratch, out) {
      check.gradcamppWeights('gradcamppWeights', a, g, Z, K, scratch, out, K);
      weights.gradcamppWeights(a, g, Z, K, scratch, out);
    },
    gradcamppAlpha(a, g, Z, K, scratch, out) {
      check.gradcamppWeights('gradcamppAlpha', a, g, Z, K, scratch, out, Z * K);
      weights.gradcamppAlpha(a, g, Z, K, scratch, out);
    },
    weightedSum(a, w, Z, K, out) {
      check.weightedSum(a, w, Z, K, out);
      combine.weightedSum(a, w, Z, K, out);
    },
    reluNormalize(x, n) {
      check.reluNormalize(x, n);
      combine.reluNormalize(x, n);
    },
    resizeBilinear(src, h, w, dst, H, W) {
      check.resizeBilinear(src, h, w, dst, H, W);
      resize.resizeBilinear(src, h, w, dst, H, W);
    },
    overlay(rgba, heat, n, alpha, out) {
      check.overlay(rgba, heat, n, alpha, out);
      colormap.overlay(rgba, heat, n, alpha, out);
    },
    colormap(heat, n, out) {
      check.colormap(heat, n, out);
      colormap.colormap(heat, n, out);
    },
    explanationMap(img, heat, n, C, out) {
      check.explanationMap(img, heat, n, C, out);
      colormap.explanationMap(img, heat, n, C, out);
    },
  };
}

/** The process-wide 'js' kernels (what getKernels('js') returns). */
export const referenceKernels: Kernels = createReferenceKernels();
