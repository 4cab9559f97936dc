/**
 * The plain-TypeScript kernels (kind 'js'): the twin of the AssemblyScript module, one file per kernel group
 * with the same names as assembly/*.ts. Used as test oracles and as a fallback; same contract and the same
 * checking wrapper (src/kernels/checks.ts) as the 'wasm' kernels.
 */
import type { KernelOps, Kernels, Regions } from '../contract.js';
import { checkReserve, withChecks } from '../checks.js';
import { camWeights, gradcamWeights, gradcamppWeights } from './weights.js';
import { xgradcamWeights } from './xgradcam.js';
import { hirescamMap, gradcamElementwiseMap, layercamMap } from './elementwise.js';
import { eigencamMap } from './eigencam.js';
import { smoothgradcamppAccumulate, smoothgradcamppWeights } from './smoothgradcampp.js';
import { channelPlanes, normalizePlanes } from './scorecam.js';
import { fuseMaps } from './fusion.js';
import { weightedSum, reluNormalize } from './combine.js';
import { resizeBilinear } from './resize.js';
import { resizeFrames, frameProfile } from './frames.js';
import { colormap, overlay, explanationMap } from './colormap.js';

export { JET_LUT, jetLut, jetIndex, roundHalfEven } from './colormap.js';
export { gradcamppAlphaOf } from './weights.js';
export { smoothAlphaOf } from './smoothgradcampp.js';
export { eigenStartVector } from './eigencam.js';

/** The twins, unchecked, with the signatures of the contract. */
export const twins: KernelOps = {
  camWeights, gradcamWeights, gradcamppWeights, xgradcamWeights, hirescamMap, gradcamElementwiseMap, layercamMap,
  eigencamMap, smoothgradcamppAccumulate, smoothgradcamppWeights, channelPlanes, normalizePlanes, fuseMaps,
  weightedSum, reluNormalize, resizeBilinear, resizeFrames, frameProfile, overlay, colormap, explanationMap,
};

/**
 * A new set of 'js' kernels with its own regions. reserve() keeps the array of a name while its length stays
 * the same (its data is kept), otherwise allocates a new zeroed one; names not in the latest reserve() are
 * dropped (so one huge call does not hold its arrays).
 */
export function createJsKernels(): Kernels {
  let f32Regions = new Map<string, Float32Array>();
  let u8Regions = new Map<string, Uint8Array>();

  function take<T extends Float32Array | Uint8Array>(old: Map<string, T>, now: Map<string, T>, name: string, n: number, make: (n: number) => T): T {
    const had = old.get(name);
    const view = had && had.length === n ? had : make(n);
    now.set(name, view);
    return view;
  }

  return {
    kind: 'js',
    ...withChecks(twins),
    reserve(f32: Record<string, number>, u8: Record<string, number> = {}): Regions {
      checkReserve(f32, u8);
      const nextF32 = new Map<string, Float32Array>(), nextU8 = new Map<string, Uint8Array>();
      const out: Regions = { f32: {}, u8: {} };
      for (const [name, n] of Object.entries(f32)) out.f32[name] = take(f32Regions, nextF32, name, n, (m) => new Float32Array(m));
      for (const [name, n] of Object.entries(u8)) out.u8[name] = take(u8Regions, nextU8, name, n, (m) => new Uint8Array(m));
      f32Regions = nextF32;
      u8Regions = nextU8;
      return out;
    },
    release() {
      f32Regions = new Map();
      u8Regions = new Map();
    },
    get memoryBytes() {
      let n = 0;
      for (const v of f32Regions.values()) n += v.byteLength;
      for (const v of u8Regions.values()) n += v.byteLength;
      return n;
    },
  };
}
