/**
 * explainSequence: one spatio-temporal explanation of a clip model (a ConvLSTM, src/models/convlstm.ts).
 *   tfjs: body pass (clip -> A [T, h, w, K]) -> head pass under tf.grad (dS_c/dA, S_c the logit)
 *   kernels: the method's hook over Z = T*h*w positions -> one map [T, h, w], ReLU + min-max over the whole clip
 *   -> each frame upsampled (bilinear, half-pixel centres) -> per-frame importance profile (src/sequence/maps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../backend/index.js';
import { DEFAULT_METHOD, MAX_OUTPUT_PIXELS } from '../constants.js';
import { BackendError, ClassIndexError, InvalidInputError, MethodNotApplicableError, UnknownMethodError } from '../errors.js';
import type { Preprocess } from '../image.js';
import { getKernels } from '../kernels/index.js';
import { METHODS, getMethod, type MethodName } from '../methods/registry.js';
import type { Method } from '../methods/types.js';
import { checkBackend, checkLabels, checkOptions, kindOf, sizeOf, type OutputSize } from '../options.js';
import { probabilities } from '../pipeline/batch.js';
import { checkLogits, gradientInto } from '../pipeline/passes.js';
import { checkFinite } from '../pipeline/maps.js';
import { labelsOf } from '../plan/labels.js';
import { runHead, type TargetFunction } from '../plan/pass.js';
import { checkModel, type BodyResult, type ExplainableModel, type Plan } from '../plan/plan.js';
import { clipSize, toClipBatch, type ClipInput } from './clip.js';
import { reserveSequence, sequenceMap } from './maps.js';
import { withCorrectUnpackGrad } from './unpack-grad.js';
import { makeSequencePlan, type SequencePlan } from './plan.js';

export interface SequenceOptions {
  /** A method of SEQUENCE_METHOD_NAMES (default 'gradcam++'). 'cam' applies only where the head allows it. */
  method?: MethodName;
  /** The target layer: its output is a sequence [T, h, w, K]; default the last ConvLSTM2D, plain or Bidirectional ('convlstm' of buildConvLstm). */
  layer?: string;
  /**
   * The class to explain, 'top' (default: the top-1 prediction), or a function of the logits [numClasses] returning
   * the float32 scalar score S to differentiate (as the image explainer's target; then classIndex is -1, probability NaN).
   */
  target?: number | 'top' | TargetFunction;
  /** Class names, one per class: the result carries `label` (default: labels found next to the model). */
  labels?: readonly string[];
  /** Size of each heatmap frame; default the clip's frame size. At most MAX_OUTPUT_PIXELS over all frames (T x H x W). */
  outputSize?: OutputSize;
  /** Applied to the float32 frames [T, H, W, C] before the model (default none). */
  preprocess?: Preprocess;
  /** 'wasm' (AssemblyScript SIMD, default) or 'js' (the TypeScript reference kernels). */
  kernels?: 'wasm' | 'js';
  /** As ExplainerOptions.backend: unset = the wasm backend must be active; 'wasm' switches to it; 'current' runs on any. */
  backend?: 'wasm' | 'current';
}

export interface SequenceExplanation {
  readonly method: MethodName;
  readonly layer: string;
  /** The explained class; -1 for a function target. */
  readonly classIndex: number;
  /** The class name, when labels are known (none for a function target). */
  readonly label?: string;
  /** The explained score S (the logit S_c, or the target function's value) and the softmax (sigmoid) probability of c (NaN for a function target). */
  readonly logit: number;
  readonly probability: number;
  /** T, and the size of each frame of the target map. */
  readonly frames: number;
  readonly camHeight: number;
  readonly camWidth: number;
  /** [T, camHeight, camWidth], frame-major: ReLU, then min-max normalised to [0, 1] over the WHOLE clip. */
  readonly cam: Float32Array;
  /** Size of each heatmap frame. */
  readonly width: number;
  readonly height: number;
  /** T frames, each cam's frame upsampled (bilinear, half-pixel centres) to width x height; values in [0, 1]. */
  readonly heatmaps: Float32Array[];
  /** T per-frame importances: the frame's sum of cam over the clip's sum (sums to 1; all zeros for an all-zero map). */
  readonly profile: Float32Array;
  /** The K channel weights ('channel' methods: cam, gradcam, gradcam++, xgradcam); empty otherwise. */
  readonly weights: Float32Array;
  /** Milliseconds: input preparation, forward to the target, head + gradient, kernels, total. */
  readonly timings: { prepare: number; forward: number; gradients: number; maps: number; total: number };
}

/** Methods whose inputs a sequence explanation computes (A, dS/dA, the CAM head): all but the multi-pass ones. */
function sequenceInput(m: Method): boolean {
  return m.input === 'activations' || m.input === 'gradients' || m.input === 'cam-head';
}

/** The methods explainSequence runs (Score-CAM and Smooth Grad-CAM++, which need extra passes, are not among them). */
export const SEQUENCE_METHOD_NAMES: readonly MethodName[] = METHODS.filter(sequenceInput).map((m) => m.name);

/** Plans per model and layer (the split is the same for every clip). */
const plans = new WeakMap<object, Map<string, SequencePlan>>();

function planOf(model: ExplainableModel, layer: string | undefined): SequencePlan {
  let byLayer = plans.get(model);
  if (!byLayer) plans.set(model, (byLayer = new Map()));
  const key = layer ?? '';
  let plan = byLayer.get(key);
  if (!plan) byLayer.set(key, (plan = makeSequencePlan(model, layer)));
  return plan;
}

function checkSequenceOptions(o: SequenceOptions): void {
  if (o.layer != null && typeof o.layer !== 'string') throw new InvalidInputError(`layer must be a layer name (one); got ${kindOf(o.layer)}.`);
  if (o.kernels != null && o.kernels !== 'wasm' && o.kernels !== 'js') {
    throw new InvalidInputError(`kernels must be 'wasm' (AssemblyScript SIMD) or 'js' (TypeScript reference); got ${kindOf(o.kernels)}.`);
  }
  if (o.backend != null && o.backend !== 'wasm' && o.backend !== 'current') {
    throw new InvalidInputError(`backend must be 'wasm' or 'current' (or unset); got ${kindOf(o.backend)}.`);
  }
  if (o.preprocess != null && typeof o.preprocess !== 'function') {
    throw new InvalidInputError(`preprocess must be a function (frames: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(o.preprocess)}.`);
  }
  if (o.method != null && typeof o.method !== 'string') throw new UnknownMethodError(kindOf(o.method), SEQUENCE_METHOD_NAMES);
  const t = o.target;
  if (t != null && t !== 'top' && typeof t !== 'function' && !(typeof t === 'number' && Number.isInteger(t))) {
    throw new InvalidInputError(`target must be a class index (an integer), 'top' or a function of the logits returning a scalar; got ${kindOf(t)}` +
      (typeof t === 'string' && /^\d+$/.test(t) ? ` (write ${t}, not '${t}').` : '.'));
  }
}

/**
 * Explains a clip with one method over time: one map [T, h, w] normalised over the whole clip, its frames
 * upsampled, and the per-frame importance profile. The split of the model is prepared on the first call per
 * model and layer and cached; every other option applies to this call only.
 *
 * @example
 * const e = await explainSequence(model, clip, { method: 'gradcam++' });   // clip: tf.Tensor4D [T, H, W, C]
 * // e.heatmaps[t]: Float32Array in [0,1], e.width x e.height; e.profile[t]: frame t's share; e.classIndex
 */
export async function explainSequence(model: ExplainableModel, clip: ClipInput, options: SequenceOptions = {}): Promise<SequenceExplanation> {
  const t0 = performance.now();
  checkOptions(options, 'The options');
  checkSequenceOptions(options);
  if (options.outputSize != null) sizeOf(options.outputSize, { height: 1, width: 1 });
  checkModel(model);
  const method = getMethod(options.method ?? DEFAULT_METHOD);
  if (!sequenceInput(method)) {
    throw new MethodNotApplicableError(method.name, `${method.title} is not available for sequences (it needs extra passes over ` +
      `modified clips); use one of ${SEQUENCE_METHOD_NAMES.join(', ')}.`);
  }
  const plan = planOf(model, options.layer);
  const target = options.target ?? 'top';
  const why = method.applies(plan as unknown as Plan, typeof target === 'function' ? 'function' : 'class');
  if (why !== true) throw new MethodNotApplicableError(method.name, why);
  if (typeof target === 'number' && (target < 0 || target >= plan.numClasses)) throw new ClassIndexError(target, plan.numClasses);
  const labels = checkLabels(options.labels ?? labelsOf(model), plan.numClasses);
  const size = clipSize(clip);
  const out = sizeOf(options.outputSize, size);
  if (size.frames * out.height * out.width > MAX_OUTPUT_PIXELS) {
    throw new InvalidInputError(`The clip's ${size.frames} heatmaps of ${out.width} x ${out.height} would hold ` +
      `${size.frames * out.height * out.width} pixels, more than the ${MAX_OUTPUT_PIXELS} (8192 x 8192) a call may produce; ` +
      'pass a smaller outputSize and upscale the heatmaps.');
  }

  await tf.ready();
  if (options.backend === 'wasm' && tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new BackendError("backend: 'wasm' was asked for, but the tfjs wasm backend could not be initialised.");
  }
  if (tf.getBackend() === 'wasm') await useWasmBackend();   // registers the gradient kernels wasm lacks
  checkBackend(options.backend);
  const kernels = await getKernels(options.kernels ?? 'wasm');

  const x = toClipBatch(clip, plan.inputShape, options.preprocess);
  const t1 = performance.now();
  let body: ReturnType<SequencePlan['body']> | null = null;
  try {
    body = plan.body(x);
    const t2 = performance.now();
    const [, T, h, w, K] = body.a.shape;
    const d = { T, h, w, K, numClasses: plan.numClasses, H: out.height, W: out.width };
    // a function target's score comes from the gradient pass, whatever the method
    const gradients = method.input === 'gradients' || typeof target === 'function';
    const r = reserveSequence(kernels, d, { gradients, camHead: method.input === 'cam-head' });
    // the shared image passes, on the 5-D target (they only read plan.head/layer and body.a/skips)
    const asPlan = plan as unknown as Plan, asBody = body as unknown as BodyResult;
    let logits: Float32Array | null = null;
    if (target === 'top' || !gradients) {
      logits = runHead(asPlan, asBody);
      checkLogits(logits);
    }
    const c = target === 'top' ? argmax(logits!) : typeof target === 'number' ? target : -1;
    // zero-copy on tfjs-wasm: the kernels read A (and g below) in place; else one copy into r.a / r.g
    const a = kernels.input(`a:${plan.layer}`, body.a, r.a);
    checkFinite(a, () => `The activations at "${plan.layer}" hold NaN or Infinity for this clip (the model overflowed). ` +
      'Check the pixel range and the preprocessing.');
    let score = logits && c >= 0 ? logits[c] : NaN;
    if (gradients) {
      const res = withCorrectUnpackGrad(() => gradientInto(kernels, asPlan, asBody, c >= 0 ? c : target as TargetFunction, r.g));
      logits = res.logits;
      score = res.score;
    }
    if (method.input === 'cam-head' && !('reason' in plan.cam)) r.dense.set(plan.cam.kernel());
    const t3 = performance.now();
    const inputs = {
      get a() { return kernels.inputView(`a:${plan.layer}`)!; },
      get g() { return kernels.inputView(`g:${plan.layer}`) ?? r.g; },
    };
    const map = sequenceMap(kernels, r, inputs, method, d, c, plan.layer);
    const t4 = performance.now();
    return {
      method: method.name as MethodName, layer: plan.layer, classIndex: c, ...(labels && c >= 0 ? { label: labels[c] } : {}),
      logit: score, probability: c >= 0 ? probabilities(logits!, plan.outputActivation)[c] : NaN,
      frames: T, camHeight: h, camWidth: w, cam: map.cam, width: out.width, height: out.height,
      heatmaps: map.heatmaps, profile: map.profile, weights: map.weights,
      timings: { prepare: t1 - t0, forward: t2 - t1, gradients: t3 - t2, maps: t4 - t3, total: t4 - t0 },
    };
  } finally {
    x.dispose();
    body?.dispose();
    kernels.release();
  }
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
