/**
 * The kernel side of a sequence explanation, for every method of the registry that reads only A, dS/dA or the
 * CAM head. The target sequence A [T, h, w, K] is channel-last with positions p = t*h*w + i*w + j, so a method's
 * hook over Z = T*h*w positions sums over (t, i, j) — Grad-CAM: w_k = (1/(T h w)) sum_{t,i,j} g; Grad-CAM++ (Eq. 19
 * with the sums over t as well): alpha = 1 / (2 + sum_{t,a,b} A * g) — and the rest follows:
 *   weightedSum -> one map [T, h, w] -> ReLU + min-max over the WHOLE clip (reluNormalize over T*h*w) ->
 *   resizeFrames (each frame bilinearly to H x W) -> frameProfile (per-frame share of the map).
 * With T = 1 this is exactly the image pipeline (src/pipeline/maps.ts: layerMap).
 */
import { eigencamScratchLength } from '../kernels/table.js';
import type { Kernels } from '../kernels/contract.js';
import type { Method, MethodContext } from '../methods/types.js';
import { checkFinite } from '../pipeline/maps.js';

export interface SequenceDims {
  /** Frames, per-frame map size, channels, classes. */
  T: number; h: number; w: number; K: number; numClasses: number;
  /** Output frame size. */
  H: number; W: number;
}

export interface SequenceRegions {
  readonly a: Float32Array; readonly g: Float32Array; readonly dense: Float32Array;
  readonly w: Float32Array; readonly scratch: Float32Array; readonly cam: Float32Array;
  readonly heat: Float32Array; readonly profile: Float32Array;
}

/** Kernel regions of one sequence explanation (views valid until the next reserve() of these kernels). */
export function reserveSequence(kernels: Kernels, d: SequenceDims, needs: { gradients: boolean; camHead: boolean }): SequenceRegions {
  const Z = d.T * d.h * d.w;
  const r = kernels.reserve({
    a: Z * d.K, g: needs.gradients ? Z * d.K : 0, dense: needs.camHead ? d.K * d.numClasses : 0, w: d.K,
    scratch: Math.max(d.K, eigencamScratchLength(Z, d.K)), cam: Z, heat: d.T * d.H * d.W, profile: d.T,
  });
  return r.f32 as unknown as SequenceRegions;
}

export interface SequenceMap {
  /** [T, h, w] after ReLU and min-max over the whole clip. */
  cam: Float32Array;
  /** T frames of H x W, each `cam`'s frame upsampled. */
  heatmaps: Float32Array[];
  /** T values: each frame's share of the map (sum 1; all zeros for an all-zero map). */
  profile: Float32Array;
  /** K channel weights ('channel' methods); empty otherwise. */
  weights: Float32Array;
}

/**
 * The map of method `m` over the clip, from A (and g, the CAM kernel) already in r; returns copies.
 * `layer` and `classIndex` only word the error when the map is not finite.
 */
export function sequenceMap(kernels: Kernels, r: SequenceRegions, m: Method, d: SequenceDims, classIndex: number, layer: string): SequenceMap {
  const n = d.h * d.w, Z = d.T * n, { K } = d;
  const weighted = m.kind === 'channel' || m.kind === 'perturbation';
  const cam = r.cam.subarray(0, Z);
  const out = weighted ? r.w.subarray(0, K) : cam;
  const none = new Float32Array(0);
  const ctx: MethodContext = {
    kernels, a: r.a, g: r.g, d1: none, d2: none, d3: none, samples: 0, scores: none, Z, K, scratch: r.scratch,
    classIndex, denseKernel: r.dense, numClasses: d.numClasses, out,
  };
  m.compute(ctx);
  if (weighted) kernels.weightedSum(r.a, out, Z, K, cam);
  checkFinite(cam, () => `The ${m.title} map of class ${classIndex} has non-finite values: the model's activations or gradients ` +
    `at "${layer}" are too large for float32. Check the weights and the preprocessing.`);
  kernels.reluNormalize(cam, Z);
  kernels.resizeFrames(cam, d.T, d.h, d.w, r.heat, d.H, d.W);
  kernels.frameProfile(cam, d.T, n, r.profile);
  const N = d.H * d.W;
  return {
    cam: cam.slice(),
    heatmaps: Array.from({ length: d.T }, (_, t) => r.heat.slice(t * N, (t + 1) * N)),
    profile: r.profile.slice(),
    weights: weighted ? out.slice() : none,
  };
}
