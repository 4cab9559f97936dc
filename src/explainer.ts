/**
 * The pipeline, written once for every method:
 *   tfjs (wasm backend): body pass -> A; head pass under tf.grad -> logits, dS_c/dA
 *   kernels (AssemblyScript SIMD, or the TS twins): channel weights (the method's hook) -> weighted sum
 *   -> ReLU -> min-max to [0,1] -> bilinear upsampling (half-pixel centres) to the image size.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from './backend.js';
import { getKernels } from './bindings/index.js';
import type { Kernels } from './bindings/types.js';
import { copyTensorInto } from './bindings/tensor-io.js';
import { DEFAULT_METHOD, MAX_OUTPUT_PIXELS } from './constants.js';
import {
  BackendError, ClassIndexError, DisposedError, InvalidInputError, MethodNotApplicableError, NumericalError,
  UnknownMethodError,
} from './errors.js';
import { imageSize, toBatch, type ImageInput, type Preprocess } from './image.js';
import { getMethod, METHODS, METHOD_NAMES, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import { labelsOf } from './model/labels.js';
import { checkModel, makePlan, type ExplainableModel, type Plan } from './model/plan.js';
import { runHead, runHeadWithGrad, type TargetFunction } from './model/pass.js';

export type { TargetFunction };

export type OutputSize = [height: number, width: number] | { width: number; height: number };

export interface ExplainerOptions {
  /**
   * Target layer name (LayersModel) or node name (GraphModel); default: the last layer/node with a 4-D output
   * of spatial size > 1 that feeds the class scores.
   */
  layer?: string;
  /** Applied to the float32 [1, H, W, C] batch before the model (default: none). */
  preprocess?: Preprocess;
  /** Size of `heatmap`; default: the input image's size. At most MAX_OUTPUT_PIXELS (8192 x 8192) pixels. */
  outputSize?: OutputSize;
  /** 'wasm' (AssemblyScript SIMD, default) or 'js' (the plain TypeScript reference kernels). */
  kernels?: 'wasm' | 'js';
  /**
   * Which tfjs backend runs the model. Default (unset): the wasm backend must already be active (call
   * `await useWasmBackend()` once at start-up), else a BackendError; the library never switches an app's
   * backend by itself. 'wasm': switch to the wasm backend now (for the whole app, as tf.setBackend does).
   * 'current': run on whatever backend is active (webgl, cpu, ...), no check.
   */
  backend?: 'wasm' | 'current';
  /** Class names, one per class: results carry `label`. Default: the labels loadModel found next to the model. */
  labels?: readonly string[];
}

export interface ExplainOptions extends ExplainerOptions {
  /** A method of the registry (METHOD_NAMES); default 'gradcam++'. */
  method?: MethodName;
  /**
   * What to explain: a class index, or a function of the logits returning a scalar (the score S whose
   * gradient is taken). Default: the top-1 prediction.
   */
  target?: number | TargetFunction;
  /** The class to explain (the same as a numeric `target`). */
  classIndex?: number;
}

export interface ExplainRequest {
  /** Methods computed from ONE forward/backward pass per target; default ['gradcam++']. */
  methods?: readonly MethodName[];
  /**
   * What to explain: a class index, several, or a function `(logits: tf.Tensor1D) => tf.Scalar` (its value is
   * the score S; gradient methods only). Default: the top `topK` predictions.
   */
  target?: number | readonly number[] | TargetFunction;
  /** Class(es) to explain (the same as a numeric `target`). */
  classIndex?: number | readonly number[];
  /** Explain the top-k predicted classes (default 1); only without target/classIndex. */
  topK?: number;
  preprocess?: Preprocess;
  outputSize?: OutputSize;
  /** Class names for this request (default: the explainer's). */
  labels?: readonly string[];
}

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

function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : typeof x === 'string' ? `the string "${x}"` : `${typeof x} ${String(x)}`;
}

function sizeOf(size: OutputSize | undefined, fallback: { height: number; width: number }): { height: number; width: number } {
  const given = size != null;
  const s = !given ? fallback : Array.isArray(size) ? { height: size[0], width: size[1] } : typeof size === 'object'
    ? size as { height: number; width: number } : null;
  const text = given ? `outputSize ${JSON.stringify(size) ?? String(size)}` : `The image size ${fallback.width} x ${fallback.height}`;
  if (!s || (Array.isArray(size) && size.length !== 2) || !Number.isInteger(s.height) || !Number.isInteger(s.width) ||
    s.height < 1 || s.width < 1) {
    throw new InvalidInputError(`outputSize must be [height, width] or {width, height} of positive integers; got ${JSON.stringify(size) ?? String(size)}.`);
  }
  if (s.height * s.width > MAX_OUTPUT_PIXELS) {
    throw new InvalidInputError(`${text} has ${s.height * s.width} pixels, more than the ${MAX_OUTPUT_PIXELS} ` +
      '(8192 x 8192) a heatmap may have; pass a smaller outputSize and upscale the heatmap.');
  }
  return s;
}

function checkOptions(o: unknown, what: string): void {
  if (o != null && (typeof o !== 'object' || Array.isArray(o))) {
    throw new InvalidInputError(`${what} must be an object of options; got ${kindOf(o)}.`);
  }
}

function checkCommonOptions(o: ExplainerOptions): void {
  if (o.layer != null && typeof o.layer !== 'string') throw new InvalidInputError(`layer must be a layer (or node) name; got ${kindOf(o.layer)}.`);
  if (o.kernels != null && o.kernels !== 'wasm' && o.kernels !== 'js') {
    throw new InvalidInputError(`kernels must be 'wasm' (AssemblyScript SIMD) or 'js' (TypeScript reference); got ${kindOf(o.kernels)}.`);
  }
  if (o.backend != null && o.backend !== 'wasm' && o.backend !== 'current') {
    throw new InvalidInputError(`backend must be 'wasm' or 'current' (or unset); got ${kindOf(o.backend)}.`);
  }
  if (o.preprocess != null && typeof o.preprocess !== 'function') {
    throw new InvalidInputError(`preprocess must be a function (batch: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(o.preprocess)}.`);
  }
  if (o.outputSize != null) sizeOf(o.outputSize, { height: 1, width: 1 });
}

function checkLabels(labels: unknown, numClasses: number): readonly string[] | undefined {
  if (labels == null) return undefined;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
    throw new InvalidInputError(`labels must be an array of class names (strings); got ${kindOf(labels)}.`);
  }
  if (labels.length !== numClasses) {
    throw new InvalidInputError(`labels has ${labels.length} names but the model has ${numClasses} classes.`);
  }
  return labels;
}

/** The active backend, checked against the `backend` option (see ExplainerOptions.backend). */
function checkBackend(option: ExplainerOptions['backend']): void {
  if (option === 'current') return;
  const active = tf.getBackend();
  if (active === 'wasm') return;
  throw new BackendError(`The active tfjs backend is '${active}', not 'wasm'. The library does not switch your app's ` +
    "backend by itself: call `await useWasmBackend()` once at start-up, pass `backend: 'wasm'` to let this call " +
    `switch it, or \`backend: 'current'\` to explain on '${active}'.`);
}

type Targets = { kind: 'top'; k: number } | { kind: 'classes'; classes: number[] } | { kind: 'function'; fn: TargetFunction };

/** Validates target / classIndex / topK: class indices are integers in range, lists are not empty. */
function resolveTargets(request: ExplainRequest, numClasses: number): Targets {
  if (request.target != null && request.classIndex != null) {
    throw new InvalidInputError('Pass either target or classIndex, not both (a numeric target is a class index).');
  }
  const t = request.target ?? request.classIndex;
  const name = request.target != null ? 'target' : 'classIndex';
  if (t == null) {
    const k = request.topK ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > numClasses) {
      throw new InvalidInputError(`topK must be an integer in 1..${numClasses}; got ${kindOf(k)}.`);
    }
    return { kind: 'top', k };
  }
  if (typeof t === 'function') return { kind: 'function', fn: t as TargetFunction };
  const list = Array.isArray(t) ? t as unknown[] : [t];
  if (list.length === 0) {
    throw new InvalidInputError(`${name} is an empty list; pass a class index, several, or leave it unset for the top prediction.`);
  }
  for (const c of list) {
    if (typeof c !== 'number' || !Number.isInteger(c)) {
      throw new InvalidInputError(`${name} must be an integer class index (or a list of them, or a function of the logits); ` +
        `got ${kindOf(c)}` + (typeof c === 'string' && /^\d+$/.test(c) ? ` (write ${c}, not '${c}').` : '.'));
    }
    if (c < 0 || c >= numClasses) throw new ClassIndexError(c, numClasses);
  }
  return { kind: 'classes', classes: list as number[] };
}

function resolveMethods(names: unknown): Method[] {
  const list = names == null ? [DEFAULT_METHOD] : names;
  if (!Array.isArray(list)) throw new InvalidInputError(`methods must be an array of method names; got ${kindOf(names)}.`);
  if (list.length === 0) throw new InvalidInputError(`methods is empty; pass at least one of ${METHOD_NAMES.join(', ')}.`);
  return list.map((n) => {
    if (typeof n !== 'string') throw new UnknownMethodError(kindOf(n), METHOD_NAMES);
    return getMethod(n);
  });
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
