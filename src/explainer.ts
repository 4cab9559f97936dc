/**
 * The Explainer: checks the model, the options and each request, makes one plan per target layer, and hands the
 * images to the pipeline, written once for every method (src/pipeline/batch.ts):
 *   tfjs (wasm backend): body pass -> A; then, only for the methods asked that read them (Method.input), one head
 *   pass under tf.grad -> logits, dS_c/dA; noisy copies' gradient sums (Smooth Grad-CAM++); masked forward
 *   passes (Score-CAM)
 *   kernels (AssemblyScript SIMD, or the TS twins): the method's hook by kind (src/pipeline/maps.ts)
 *   -> ReLU -> min-max to [0,1] -> bilinear upsampling (half-pixel centres) to the image size;
 *   several layers: each layer's heatmap, then fuseMaps.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from './backend/index.js';
import { getKernels } from './kernels/index.js';
import type { Kernels } from './kernels/contract.js';
import { DEFAULT_METHOD, EXPLAIN_BATCH_SIZE } from './constants.js';
import { BackendError, DisposedError, InvalidInputError, MethodNotApplicableError, UnknownMethodError } from './errors.js';
import { imageSize, type ImageInput } from './image.js';
import { METHODS, METHOD_NAMES, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import { labelsOf } from './plan/labels.js';
import { checkModel, makePlan, type ExplainableModel, type Plan } from './plan/plan.js';
import { prepareHeadGrad, releaseHeadGrad, type TargetFunction } from './plan/pass.js';
import {
  checkBackend, checkCommonOptions, checkLabels, checkOptions, kindOf, layerList, passOptions, resolveMethods,
  resolveTargets, type ExplainerOptions, type ExplainOptions, type ExplainRequest,
} from './options.js';
import { explainImages, type BatchContext } from './pipeline/batch.js';
import type { Explanation, ImageExplanations } from './pipeline/types.js';

export type { TargetFunction };
export type { ExplainerOptions, ExplainOptions, ExplainRequest, OutputSize, PassOptions } from './options.js';
export type { Explanation, ImageExplanations, Prediction } from './pipeline/types.js';
export { probabilities } from './pipeline/batch.js';

export class Explainer {
  /** The plan of the (first) target layer. */
  readonly plan: Plan;
  /** One plan per target layer (several: their maps are fused). */
  readonly plans: readonly Plan[];
  /** The target layer; several are joined by '+'. */
  readonly layer: string;
  readonly kernels: Kernels;
  readonly model: ExplainableModel;
  readonly labels: readonly string[] | undefined;
  private readonly options: ExplainerOptions;
  private disposed = false;

  private constructor(model: ExplainableModel, plans: Plan[], kernels: Kernels, options: ExplainerOptions) {
    this.model = model;
    this.plans = plans;
    this.plan = plans[0];
    this.layer = plans.map((p) => p.layer).join('+');
    this.kernels = kernels;
    this.options = options;
    this.labels = checkLabels(options.labels ?? labelsOf(model), this.plan.numClasses);
  }

  /**
   * `cacheKernels` (internal): keep the head's Dense kernels transposed for the hand-written head gradient, until
   * dispose(). explainWasm's cached explainers, which nobody disposes, run without that copy.
   */
  static async create(model: ExplainableModel, options: ExplainerOptions = {}, cacheKernels = true): Promise<Explainer> {
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
    const plans: Plan[] = [];
    try {
      for (const l of layerList(options.layer)) {
        plans.push(makePlan(model, l, { foldBatchNorm: options.foldBatchNorm }));
        prepareHeadGrad(plans[plans.length - 1], cacheKernels);
      }
      return new Explainer(model, plans, kernels, { ...options });
    } catch (e) {
      // the folded weights and cached head kernels of the plans made so far
      plans.forEach((p) => { releaseHeadGrad(p); p.dispose?.(); });
      throw e;
    }
  }

  /** Methods that apply to this model, and why the others do not. */
  applicable(): { method: MethodName; ok: boolean; reason?: string }[] {
    return METHODS.map((m) => {
      const reason = this.whyNot(m);
      return reason === true ? { method: m.name, ok: true } : { method: m.name, ok: false, reason };
    });
  }

  /** Method.applies over every target layer: true, or the first reason. */
  private whyNot(m: Method, target: 'class' | 'function' = 'class'): true | string {
    for (const p of this.plans) {
      const r = m.applies(p, target);
      if (r !== true) return r;
    }
    return true;
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
    const targets = resolveTargets(request, this.plan.numClasses);
    for (const m of methods) {
      const reason = this.whyNot(m, targets.kind === 'function' ? 'function' : 'class');
      if (reason !== true) throw new MethodNotApplicableError(m.name, reason);
    }
    passOptions(request);
    if (request.preprocess != null && typeof request.preprocess !== 'function') {
      throw new InvalidInputError(`preprocess must be a function (batch: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(request.preprocess)}.`);
    }
    const labels = request.labels != null ? checkLabels(request.labels, this.plan.numClasses) : this.labels;
    const ctx: BatchContext = { plans: this.plans, kernels: this.kernels, options: this.options };
    const results: ImageExplanations[] = [];
    for (let s = 0; s < list.length; s += EXPLAIN_BATCH_SIZE) {
      results.push(...explainImages(ctx, list.slice(s, s + EXPLAIN_BATCH_SIZE), methods, targets, request, labels));
    }
    return results;
  }

  /** Frees what the explainer owns (the folded BatchNorm weights, the transposed head kernels); the model stays the caller's. */
  dispose(): void {
    if (!this.disposed) this.plans.forEach((p) => { releaseHeadGrad(p); p.dispose?.(); });
    this.disposed = true;
  }
}

/** Prepares the split model once and explains many images. Accepts a tf.LayersModel or a tf.GraphModel. */
export function createExplainer(model: ExplainableModel, options: ExplainerOptions = {}): Promise<Explainer> {
  return Explainer.create(model, options);
}

/** Explainers of explainWasm, per model and per the options that shape them (layer, kernels, backend). */
const cache = new WeakMap<object, Map<string, Promise<Explainer>>>();
/** The explainers of explainWasm; one whose model has been disposed since is disposed at the next call (folded weights). */
const made = new Set<Explainer>();
function sweep(): void {
  for (const e of made) {
    try { checkModel(e.model); } catch { e.dispose(); made.delete(e); }
  }
}

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
  sweep();
  checkModel(model);
  if (options.method != null && typeof options.method !== 'string') throw new UnknownMethodError(kindOf(options.method), METHOD_NAMES);
  if (Array.isArray(options.target)) {
    throw new InvalidInputError('explainWasm explains one target; for several classes use ' +
      'createExplainer(model).explain(image, { target: [...] }).');
  }
  const key = `${JSON.stringify(options.layer ?? '')}|${options.kernels ?? 'wasm'}|${options.backend ?? ''}|${options.foldBatchNorm ?? true}`;
  let byKey = cache.get(model);
  if (!byKey) cache.set(model, (byKey = new Map()));
  let pending = byKey.get(key);
  if (!pending) {
    pending = Explainer.create(model, { layer: options.layer, kernels: options.kernels, backend: options.backend, foldBatchNorm: options.foldBatchNorm }, false);
    byKey.set(key, pending);
    pending.catch(() => byKey!.delete(key));
  }
  const explainer = await pending;
  made.add(explainer);
  // backend: 'wasm' asks for the switch on every call (the app may have switched away since the first)
  if (options.backend === 'wasm' && tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  const [res] = await explainer.explain(image, {
    methods: [options.method ?? (DEFAULT_METHOD as MethodName)],
    target: options.target, classIndex: options.classIndex, preprocess: options.preprocess,
    outputSize: options.outputSize, labels: options.labels,
    samples: options.samples, noise: options.noise, seed: options.seed, batchSize: options.batchSize,
  });
  return res.explanations[0];
}
