/**
 * The pipeline, written once for every method:
 *   tfjs (wasm backend): body pass -> A; head pass under tf.grad -> logits, dS_c/dA
 *   kernels (AssemblyScript SIMD, or the TS twins): channel weights (the method's hook) -> weighted sum
 *   -> ReLU -> min-max to [0,1] -> bilinear upsampling (half-pixel centres) to the image size.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from './backend.js';
import { getKernels } from './kernels/index.js';
import type { Kernels } from './kernels/contract.js';
import { copyTensorInto } from './kernels/tensor-io.js';
import { DEFAULT_METHOD } from './constants.js';
import {
  BackendError, DisposedError, InvalidInputError, MethodNotApplicableError, NumericalError, UnknownMethodError,
} from './errors.js';
import { imageSize, toBatch, type ImageInput } from './image.js';
import { METHODS, METHOD_NAMES, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import { labelsOf } from './model/labels.js';
import { checkModel, makePlan, type ExplainableModel, type Plan } from './model/plan.js';
import { runHead, runHeadWithGrad, type TargetFunction } from './model/pass.js';
import {
  checkBackend, checkCommonOptions, checkLabels, checkOptions, kindOf, resolveMethods, resolveTargets, sizeOf,
  type ExplainerOptions, type ExplainOptions, type ExplainRequest, type Targets,
} from './options.js';

export type { TargetFunction };
export type { ExplainerOptions, ExplainOptions, ExplainRequest, OutputSize } from './options.js';

export interface Explanation {
  readonly method: MethodName;
  /** The explained class; -1 for a function target. */
  readonly classIndex: number;
  /** The class name, when labels are known (undefined for a function target). */
  readonly label?: string;
  /** The explained score S: the class score before softmax/sigmoid, or the target function's value. */
  readonly logit: number;
  /** softmax (or sigmoid, for a sigmoid output) of the logits at classIndex; NaN for a function target (no class). */
  readonly probability: number;
  readonly layer: string;
  /** The low-resolution map after ReLU, min-max normalised to [0,1], row-major camHeight x camWidth. */
  readonly cam: Float32Array;
  readonly camWidth: number;
  readonly camHeight: number;
  /** `cam` upsampled (bilinear, half-pixel centres) to width x height, in [0,1]. */
  readonly heatmap: Float32Array;
  readonly width: number;
  readonly height: number;
  /** The K channel weights w_k^c of the method. */
  readonly weights: Float32Array;
}

export interface Prediction { classIndex: number; logit: number; probability: number; label?: string }

export interface ImageExplanations {
  readonly layer: string;
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
  /** The top-5 classes, highest first. */
  readonly top: Prediction[];
  /** One per (class, method), classes in the order explained. */
  readonly explanations: Explanation[];
  /** Milliseconds: input preparation, forward (body), head + gradients, kernels (maps), total. */
  readonly timings: { prepare: number; forward: number; gradients: number; maps: number; total: number };
  /** The explanation of one method (and class; default the first explained; -1 for a function target). */
  get(method: MethodName, classIndex?: number): Explanation | undefined;
}

export function probabilities(logits: Float32Array, activation: Plan['outputActivation']): Float32Array {
  const p = new Float32Array(logits.length);
  if (activation === 'sigmoid') {
    for (let i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp(-logits[i]));
    return p;
  }
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += Math.exp(logits[i] - max);
  for (let i = 0; i < p.length; i++) p[i] = Math.exp(logits[i] - max) / sum;
  return p;
}

function topClasses(logits: Float32Array, k: number): number[] {
  return Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, k);
}

function checkFinite(v: Float32Array, what: () => string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new NumericalError(what());
}

export class Explainer {
  readonly plan: Plan;
  readonly layer: string;
  readonly kernels: Kernels;
  readonly model: ExplainableModel;
  readonly labels: readonly string[] | undefined;
  private readonly options: ExplainerOptions;
  private disposed = false;

  private constructor(model: ExplainableModel, plan: Plan, kernels: Kernels, options: ExplainerOptions) {
    this.model = model;
    this.plan = plan;
    this.layer = plan.layer;
    this.kernels = kernels;
    this.options = options;
    this.labels = checkLabels(options.labels ?? labelsOf(model), plan.numClasses);
  }

  static async create(model: ExplainableModel, options: ExplainerOptions = {}): Promise<Explainer> {
    checkOptions(options, 'The options');
    checkCommonOptions(options);
    checkModel(model);
    await tf.ready();
    if (options.backend === 'wasm' && tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
      throw new BackendError("backend: 'wasm' was asked for, but the tfjs wasm backend could not be initialised.");
    }
    // registers the gradient kernels the wasm backend lacks (it switches nothing: wasm is active here)
    if (tf.getBackend() === 'wasm') await useWasmBackend();
    checkBackend(options.backend);
    const kernels = await getKernels(options.kernels ?? 'wasm');
    return new Explainer(model, makePlan(model, options.layer), kernels, { ...options });
  }

  /** Methods that apply to this model, and why the others do not. */
  applicable(): { method: MethodName; ok: boolean; reason?: string }[] {
    return METHODS.map((m) => (m.needsCamHead && 'reason' in this.plan.cam
      ? { method: m.name, ok: false, reason: this.plan.cam.reason }
      : { method: m.name, ok: true }));
  }

  async explain(images: ImageInput | readonly ImageInput[], request: ExplainRequest = {}): Promise<ImageExplanations[]> {
    if (this.disposed) throw new DisposedError('This explainer');
    checkOptions(request, 'The request');
    checkBackend(this.options.backend);
    checkModel(this.model);
    const list = Array.isArray(images) ? images as ImageInput[] : [images as ImageInput];
    if (list.length === 0) throw new InvalidInputError('No images to explain (an empty list).');
    list.forEach((image) => imageSize(image));
    const methods = resolveMethods(request.methods);
    for (const m of methods) {
      if (m.needsCamHead && 'reason' in this.plan.cam) throw new MethodNotApplicableError(m.name, this.plan.cam.reason);
    }
    const targets = resolveTargets(request, this.plan.numClasses);
    const camOnly = methods.find((m) => !m.needsGradients);
    if (targets.kind === 'function' && camOnly) {
      throw new MethodNotApplicableError(camOnly.name, `${camOnly.title} explains a class, not a target function: ` +
        'pass a class index as target, or use a gradient method (gradcam, gradcam++).');
    }
    if (request.preprocess != null && typeof request.preprocess !== 'function') {
      throw new InvalidInputError(`preprocess must be a function (batch: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(request.preprocess)}.`);
    }
    const labels = request.labels != null ? checkLabels(request.labels, this.plan.numClasses) : this.labels;
    return list.map((image) => this.explainOne(image, methods, targets, request, labels));
  }

  private explainOne(image: ImageInput, methods: Method[], targets: Targets, request: ExplainRequest,
    labels: readonly string[] | undefined): ImageExplanations {
    const { plan, kernels } = this;
    const t0 = performance.now();
    const out = sizeOf(request.outputSize ?? this.options.outputSize, imageSize(image));
    const batch = toBatch(image, plan.inputShape, request.preprocess ?? this.options.preprocess);
    const t1 = performance.now();
    const body = (() => { try { return plan.body(batch); } finally { batch.dispose(); } })();
    const t2 = performance.now();
    try {
      const Z = plan.camHeight * plan.camWidth, K = plan.channels, N = plan.numClasses;
      const needGrad = methods.some((m) => m.needsGradients);
      const needCam = methods.some((m) => m.needsCamHead);
      const r = kernels.reserve({
        a: Z * K, g: needGrad ? Z * K : 0, w: K, scratch: K, cam: Z, heat: out.height * out.width,
        dense: needCam ? K * N : 0,
      });
      const { a, g, w, scratch, cam, heat, dense } = r.f32;
      copyTensorInto(body.a, a);
      checkFinite(a, () => `The activations at "${plan.layer}" hold NaN or Infinity for this input (the model overflowed). ` +
        'Check the pixel range and the preprocessing (e.g. scale pixels as the model was trained).');
      if (needCam && !('reason' in plan.cam)) dense.set(plan.cam.kernel());

      // Decide what to explain first (a forward pass, when the top classes are asked for), then differentiate.
      let logits: Float32Array | null = null;
      if (targets.kind === 'top' || !needGrad) {
        logits = runHead(plan, body);
        checkLogits(logits);
      }
      const order: (number | TargetFunction)[] = targets.kind === 'top' ? topClasses(logits!, targets.k)
        : targets.kind === 'classes' ? targets.classes : [targets.fn];
      let tGrad = 0, tMaps = 0;
      const explanations: Explanation[] = [];
      for (const target of order) {
        let s = performance.now();
        let score: number;
        if (needGrad) {
          const res = runHeadWithGrad(plan, body, target);
          if (res.error !== null) throw targetError(res.error);
          try {
            checkLogits(res.logits);
            copyTensorInto(res.grad!, g);
          } finally {
            res.grad!.dispose();
          }
          logits ??= res.logits;
          score = res.score;
          if (!Number.isFinite(score)) {
            throw new NumericalError(`The target function returned ${score}; it must return a finite score.`);
          }
          checkFinite(g, () => `The gradients at "${plan.layer}" hold NaN or Infinity for this input. ` +
            'Check the model weights and the preprocessing.');
        } else {
          score = logits![target as number];
        }
        tGrad += performance.now() - s;
        s = performance.now();
        const probs = probabilities(logits!, plan.outputActivation);
        const c = typeof target === 'number' ? target : -1;
        for (const m of methods) {
          m.channelWeights({ kernels, a, g, Z, K, scratch, classIndex: c, denseKernel: dense, numClasses: N, out: w });
          kernels.weightedSum(a, w, Z, K, cam);
          checkFinite(cam, () => `The ${m.title} map${c >= 0 ? ` of class ${c}` : ''} has non-finite values: the model's activations ` +
            `or gradients at "${plan.layer}" are too large for float32. Check the weights and the preprocessing.`);
          kernels.reluNormalize(cam, Z);
          kernels.resizeBilinear(cam, plan.camHeight, plan.camWidth, heat, out.height, out.width);
          explanations.push({
            method: m.name as MethodName, classIndex: c, label: c >= 0 ? labels?.[c] : undefined, logit: score,
            probability: c >= 0 ? probs[c] : NaN, layer: plan.layer,
            cam: cam.slice(), camWidth: plan.camWidth, camHeight: plan.camHeight,
            heatmap: heat.slice(), width: out.width, height: out.height, weights: w.slice(),
          });
        }
        tMaps += performance.now() - s;
      }
      const probs = probabilities(logits!, plan.outputActivation);
      const top = topClasses(logits!, Math.min(5, N)).map((k) => ({
        classIndex: k, logit: logits![k], probability: probs[k], ...(labels ? { label: labels[k] } : {}),
      }));
      const total = performance.now() - t0;
      return {
        layer: plan.layer, logits: logits!, probabilities: probs, top, explanations,
        timings: { prepare: t1 - t0, forward: t2 - t1, gradients: tGrad, maps: tMaps, total },
        get: (method, classIndex) =>
          explanations.find((e) => e.method === method && (classIndex == null || e.classIndex === classIndex)),
      };
    } finally {
      body.dispose();
      kernels.release();   // after a huge outputSize, give the kernel memory back (the outputs are copies)
    }
  }

  dispose(): void {
    this.disposed = true;
  }
}

function targetError(e: unknown): Error {
  const bad = (e as { badResult?: string } | null)?.badResult;
  if (bad) {
    return new InvalidInputError(`The target function must return a float32 scalar (e.g. logits.gather(3) or ` +
      `logits.slice(0, 2).sum()); it returned ${bad}.`);
  }
  return e instanceof Error ? e : new InvalidInputError(`The target function threw ${String(e)}.`);
}

function checkLogits(l: Float32Array): void {
  checkFinite(l, () => 'The model produced non-finite class scores (NaN or Infinity) for this input. ' +
    'Check the model weights and the preprocessing (e.g. scale pixels as the model was trained).');
}

/** Prepares the split model once and explains many images. Accepts a tf.LayersModel or a tf.GraphModel. */
export function createExplainer(model: ExplainableModel, options: ExplainerOptions = {}): Promise<Explainer> {
  return Explainer.create(model, options);
}

/** Explainers of explainWasm, per model and per the options that shape them (layer, kernels, backend). */
const cache = new WeakMap<object, Map<string, Promise<Explainer>>>();

/**
 * Explains one image with one method. The split of the model is prepared on the first call and cached per
 * model, layer, kernels and backend; every other option (preprocess, outputSize, target, labels) applies to
 * this call only.
 *
 * @example
 * const e = await explainWasm(model, image, { method: 'gradcam++' });
 * // e.heatmap: Float32Array in [0,1], e.width x e.height; e.classIndex, e.probability
 */
export async function explainWasm(model: ExplainableModel, image: ImageInput, options: ExplainOptions = {}): Promise<Explanation> {
  checkOptions(options, 'The options');
  checkCommonOptions(options);
  checkModel(model);
  if (options.method != null && typeof options.method !== 'string') throw new UnknownMethodError(kindOf(options.method), METHOD_NAMES);
  if (Array.isArray(options.target)) {
    throw new InvalidInputError('explainWasm explains one target; for several classes use ' +
      'createExplainer(model).explain(image, { target: [...] }).');
  }
  const key = `${options.layer ?? ''}|${options.kernels ?? 'wasm'}|${options.backend ?? ''}`;
  let byKey = cache.get(model);
  if (!byKey) cache.set(model, (byKey = new Map()));
  let pending = byKey.get(key);
  if (!pending) {
    pending = createExplainer(model, { layer: options.layer, kernels: options.kernels, backend: options.backend });
    byKey.set(key, pending);
    pending.catch(() => byKey!.delete(key));
  }
  const explainer = await pending;
  // backend: 'wasm' asks for the switch on every call (the app may have switched away since the first)
  if (options.backend === 'wasm' && tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  const [res] = await explainer.explain(image, {
    methods: [options.method ?? (DEFAULT_METHOD as MethodName)],
    target: options.target, classIndex: options.classIndex, preprocess: options.preprocess,
    outputSize: options.outputSize, labels: options.labels,
  });
  return res.explanations[0];
}
