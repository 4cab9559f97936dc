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
  ClassIndexError, DisposedError, InvalidInputError, MethodNotApplicableError, NumericalError,
} from './errors.js';
import { imageSize, toBatch, type ImageInput, type Preprocess } from './image.js';
import { getMethod, METHODS, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import { makePlan, type Plan } from './model/plan.js';
import { runBody, runHead, runHeadWithGrad } from './model/pass.js';

export type OutputSize = [height: number, width: number] | { width: number; height: number };

export interface ExplainerOptions {
  /** Target layer name; default: the last layer with a 4-D output of spatial size > 1. */
  layer?: string;
  /** Applied to the float32 [1, H, W, C] batch before the model (default: none). */
  preprocess?: Preprocess;
  /** Size of `heatmap`; default: the input image's size. */
  outputSize?: OutputSize;
  /** 'wasm' (AssemblyScript SIMD, default) or 'js' (the plain TypeScript reference kernels). */
  kernels?: 'wasm' | 'js';
  /** 'wasm' (default) selects the tfjs wasm backend; 'current' keeps whatever backend is active. */
  backend?: 'wasm' | 'current';
}

export interface ExplainOptions extends ExplainerOptions {
  /** 'cam' | 'gradcam' | 'gradcam++' (default 'gradcam++'). */
  method?: MethodName;
  /** The class to explain; default: the top-1 prediction. */
  classIndex?: number;
}

export interface ExplainRequest {
  /** Methods computed from ONE forward/backward pass per class; default ['gradcam++']. */
  methods?: readonly MethodName[];
  /** Class(es) to explain. Default: the top `topK` predictions. */
  classIndex?: number | readonly number[];
  /** Explain the top-k predicted classes (default 1); ignored when classIndex is given. */
  topK?: number;
  preprocess?: Preprocess;
  outputSize?: OutputSize;
}

export interface Explanation {
  readonly method: MethodName;
  readonly classIndex: number;
  /** The class score before softmax/sigmoid. */
  readonly logit: number;
  /** softmax (or sigmoid, for a sigmoid output) of the logits at classIndex. */
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

export interface Prediction { classIndex: number; logit: number; probability: number }

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
  /** The explanation of one method (and class; default the first explained). */
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

function sizeOf(size: OutputSize | undefined, fallback: { height: number; width: number }): { height: number; width: number } {
  const s = size == null ? fallback : Array.isArray(size) ? { height: size[0], width: size[1] } : size;
  if (!Number.isInteger(s.height) || !Number.isInteger(s.width) || s.height < 1 || s.width < 1) {
    throw new InvalidInputError(`outputSize must be positive integers, got ${JSON.stringify(size)}.`);
  }
  return s;
}

export class Explainer {
  readonly plan: Plan;
  readonly layer: string;
  readonly kernels: Kernels;
  private readonly options: ExplainerOptions;
  private disposed = false;

  private constructor(plan: Plan, kernels: Kernels, options: ExplainerOptions) {
    this.plan = plan;
    this.layer = plan.layer;
    this.kernels = kernels;
    this.options = options;
  }

  static async create(model: tf.LayersModel, options: ExplainerOptions = {}): Promise<Explainer> {
    if ((options.backend ?? 'wasm') === 'wasm') await useWasmBackend();
    const kernels = await getKernels(options.kernels ?? 'wasm');
    return new Explainer(makePlan(model, options.layer), kernels, options);
  }

  /** Methods that apply to this model, and why the others do not. */
  applicable(): { method: MethodName; ok: boolean; reason?: string }[] {
    return METHODS.map((m) => (m.needsCamHead && 'reason' in this.plan.cam
      ? { method: m.name, ok: false, reason: this.plan.cam.reason }
      : { method: m.name, ok: true }));
  }

  async explain(images: ImageInput | readonly ImageInput[], request: ExplainRequest = {}): Promise<ImageExplanations[]> {
    if (this.disposed) throw new DisposedError('This explainer');
    const list = Array.isArray(images) ? images : [images as ImageInput];
    const methods = (request.methods ?? [DEFAULT_METHOD as MethodName]).map((n) => getMethod(n));
    if (methods.length === 0) throw new InvalidInputError('methods is empty; pass at least one of cam, gradcam, gradcam++.');
    for (const m of methods) {
      if (m.needsCamHead && 'reason' in this.plan.cam) throw new MethodNotApplicableError(m.name, this.plan.cam.reason);
    }
    const classes = request.classIndex == null ? null : ([] as number[]).concat(request.classIndex as number | number[]);
    for (const c of classes ?? []) {
      if (!Number.isInteger(c) || c < 0 || c >= this.plan.numClasses) throw new ClassIndexError(c, this.plan.numClasses);
    }
    const topK = request.topK ?? 1;
    if (!Number.isInteger(topK) || topK < 1 || topK > this.plan.numClasses) {
      throw new InvalidInputError(`topK must be an integer in 1..${this.plan.numClasses}, got ${topK}.`);
    }
    return list.map((image) => this.explainOne(image, methods, classes, topK, request));
  }

  private explainOne(image: ImageInput, methods: Method[], classes: number[] | null, topK: number,
    request: ExplainRequest): ImageExplanations {
    const { plan, kernels } = this;
    const t0 = performance.now();
    const inputShape = plan.graph.input.shape;
    const out = sizeOf(request.outputSize ?? this.options.outputSize, imageSize(image));
    const batch = toBatch(image, inputShape, request.preprocess ?? this.options.preprocess);
    const t1 = performance.now();
    const body = (() => { try { return runBody(plan, batch); } finally { batch.dispose(); } })();
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
      if (needCam && !('reason' in plan.cam)) copyTensorInto(plan.cam.dense.getWeights()[0], dense);

      let logits: Float32Array | null = null;
      let order: number[] = classes ?? [];
      const pick = (l: Float32Array): number => {
        checkLogits(l);
        if (!classes) order = topClasses(l, topK);
        return order[0];
      };
      let tGrad = 0, tMaps = 0;
      const explanations: Explanation[] = [];
      let probs: Float32Array | null = null;
      for (let ci = 0; ; ci++) {
        let s = performance.now();
        let c: number;
        if (needGrad) {
          const res = runHeadWithGrad(plan, body, ci === 0 ? pick : () => order[ci]);
          try { copyTensorInto(res.grad, g); } finally { res.grad.dispose(); }
          logits ??= res.logits;
          c = res.classIndex;
        } else {
          logits ??= runHead(plan, body);
          if (ci === 0) pick(logits);
          c = order[ci];
        }
        probs ??= probabilities(logits, plan.outputActivation);
        tGrad += performance.now() - s;
        s = performance.now();
        for (const m of methods) {
          m.channelWeights({ kernels, a, g, Z, K, scratch, classIndex: c, denseKernel: dense, numClasses: N, out: w });
          kernels.weightedSum(a, w, Z, K, cam);
          for (let p = 0; p < Z; p++) {
            if (!Number.isFinite(cam[p])) {
              throw new NumericalError(`The ${m.title} map of class ${c} has non-finite values: the model's activations ` +
                `or gradients at "${plan.layer}" hold NaN or Infinity for this input. Check the weights and the preprocessing.`);
            }
          }
          kernels.reluNormalize(cam, Z);
          kernels.resizeBilinear(cam, plan.camHeight, plan.camWidth, heat, out.height, out.width);
          explanations.push({
            method: m.name as MethodName, classIndex: c, logit: logits[c], probability: probs[c], layer: plan.layer,
            cam: cam.slice(), camWidth: plan.camWidth, camHeight: plan.camHeight,
            heatmap: heat.slice(), width: out.width, height: out.height, weights: w.slice(),
          });
        }
        tMaps += performance.now() - s;
        if (ci + 1 >= order.length) break;
      }
      const top = topClasses(logits!, Math.min(5, N)).map((k) => ({ classIndex: k, logit: logits![k], probability: probs![k] }));
      const total = performance.now() - t0;
      return {
        layer: plan.layer, logits: logits!, probabilities: probs!, top, explanations,
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

function checkLogits(l: Float32Array): void {
  for (const v of l) {
    if (!Number.isFinite(v)) {
      throw new NumericalError('The model produced non-finite class scores (NaN or Infinity) for this input. ' +
        'Check the model weights and the preprocessing (e.g. scale pixels as the model was trained).');
    }
  }
}

/** Prepares the split model once and explains many images. */
export function createExplainer(model: tf.LayersModel, options: ExplainerOptions = {}): Promise<Explainer> {
  return Explainer.create(model, options);
}

const cache = new WeakMap<tf.LayersModel, Map<string, Explainer>>();

/**
 * Explains one image with one method. The split of the model is prepared on the first call and cached
 * per model and layer.
 *
 * @example
 * const e = await explainWasm(model, image, { method: 'gradcam++' });
 * // e.heatmap: Float32Array in [0,1], e.width x e.height; e.classIndex, e.probability
 */
export async function explainWasm(model: tf.LayersModel, image: ImageInput, options: ExplainOptions = {}): Promise<Explanation> {
  const key = `${options.layer ?? ''}|${options.kernels ?? 'wasm'}|${options.backend ?? 'wasm'}`;
  let byKey = cache.get(model);
  if (!byKey) cache.set(model, (byKey = new Map()));
  let explainer = byKey.get(key);
  if (!explainer) byKey.set(key, (explainer = await createExplainer(model, options)));
  const [res] = await explainer.explain(image, {
    methods: [options.method ?? (DEFAULT_METHOD as MethodName)],
    classIndex: options.classIndex, preprocess: options.preprocess, outputSize: options.outputSize,
  });
  return res.explanations[0];
}
