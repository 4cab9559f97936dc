/**
 * One layer's maps for one target, every method: the kind dispatch, written once.
 *   'channel' | 'perturbation': the hook writes K weights w -> weightedSum(A, w) -> L
 *   'elementwise' | 'activation': the hook writes L
 * then for every kind: NaN check -> reluNormalize -> resizeBilinear to the output size.
 */
import { eigencamScratchLength } from '../kernels/table.js';
import type { Kernels } from '../kernels/contract.js';
import { NumericalError } from '../errors.js';
import type { Method, MethodContext, MethodInput } from '../methods/types.js';
import type { Plan } from '../plan/plan.js';

export function checkFinite(v: Float32Array, what: () => string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new NumericalError(what());
}

/** Kernel regions of one explanation: sized for the largest of its layers, reserved once per image. */
export interface Regions {
  readonly a: Float32Array; readonly g: Float32Array;
  readonly d1: Float32Array; readonly d2: Float32Array; readonly d3: Float32Array;
  readonly w: Float32Array; readonly scratch: Float32Array; readonly cam: Float32Array;
  readonly heat: Float32Array; readonly fused: Float32Array; readonly dense: Float32Array;
  /** Score-CAM: channel planes, upsampled masks, masked inputs, the input image. */
  readonly planes: Float32Array; readonly masks: Float32Array; readonly masked: Float32Array; readonly img: Float32Array;
}

export interface RegionSizes {
  plans: readonly Plan[];
  inputs: ReadonlySet<MethodInput>;
  /** Output pixels (height * width). */
  out: number;
  /** Methods x layers heatmaps kept for fusion (0 for one layer). */
  fused: number;
  /** Input pixels and channels of the model (Score-CAM), and the masked batch size. */
  inputPixels: number; inputChannels: number; batchSize: number;
}

export function reserveRegions(kernels: Kernels, s: RegionSizes): Regions {
  const max = (f: (p: Plan) => number) => Math.max(...s.plans.map(f));
  const ZK = max((p) => p.camHeight * p.camWidth * p.channels), K = max((p) => p.channels);
  const Z = max((p) => p.camHeight * p.camWidth);
  const grads = s.inputs.has('gradients') || s.inputs.has('noisy-gradients') ? ZK : 0;
  const noisy = s.inputs.has('noisy-gradients') ? ZK : 0;
  const masked = s.inputs.has('masked-scores');
  const copied = kernels.path === 'one-copy';   // zero-copy: A and dS/dA are read in place, no regions
  const r = kernels.reserve({
    a: copied ? ZK : 0, g: copied ? grads : 0, d1: noisy, d2: noisy, d3: noisy, w: K,
    scratch: max((p) => Math.max(p.channels, eigencamScratchLength(p.camHeight * p.camWidth, p.channels))),
    cam: Z, heat: s.out, fused: s.fused * s.out,
    dense: s.inputs.has('cam-head') ? max((p) => p.channels * p.numClasses) : 0,
    planes: masked ? ZK : 0, masks: masked ? s.batchSize * s.inputPixels : 0,
    masked: masked ? s.batchSize * s.inputPixels * s.inputChannels : 0,
    img: masked ? s.inputPixels * s.inputChannels : 0,
  });
  return r.f32 as unknown as Regions;
}

/**
 * What one layer gives every method for one target (views of the regions or of the inputs, sized for this
 * layer; from layerInputs they are getters, re-taken on every read).
 */
export interface LayerInputs {
  readonly plan: Plan;
  readonly a: Float32Array; readonly g: Float32Array;
  readonly d1: Float32Array; readonly d2: Float32Array; readonly d3: Float32Array; readonly samples: number;
  readonly scores: Float32Array; readonly denseKernel: Float32Array;
  readonly classIndex: number;
}

export interface LayerMap { cam: Float32Array; weights: Float32Array; heatmap?: Float32Array }

/**
 * The map of method `m` at this layer: the low-resolution map in r.cam (Z floats, after ReLU and min-max) and
 * the heatmap in `heat` (the output size). Returns copies of the map and of the weights ('channel' and
 * 'perturbation' kinds; empty otherwise).
 */
export function layerMap(kernels: Kernels, r: Regions, m: Method, x: LayerInputs, heat: Float32Array,
  outH: number, outW: number): LayerMap {
  const { plan } = x;
  const Z = plan.camHeight * plan.camWidth, K = plan.channels;
  const cam = r.cam.subarray(0, Z);
  const weighted = m.kind === 'channel' || m.kind === 'perturbation';
  const out = weighted ? r.w.subarray(0, K) : cam;
  const ctx: MethodContext = {
    kernels, a: x.a, g: x.g, d1: x.d1, d2: x.d2, d3: x.d3, samples: x.samples, scores: x.scores, Z, K,
    scratch: r.scratch, classIndex: x.classIndex, denseKernel: x.denseKernel, numClasses: plan.numClasses, out,
  };
  m.compute(ctx);
  if (weighted) kernels.weightedSum(x.a, out, Z, K, cam);
  const c = x.classIndex;
  checkFinite(cam, () => `The ${m.title} map${c >= 0 ? ` of class ${c}` : ''} has non-finite values: the model's activations ` +
    `or gradients at "${plan.layer}" are too large for float32. Check the weights and the preprocessing.`);
  kernels.reluNormalize(cam, Z);
  kernels.resizeBilinear(cam, plan.camHeight, plan.camWidth, heat, outH, outW);
  return { cam: cam.slice(), weights: weighted ? out.slice() : new Float32Array(0) };
}
