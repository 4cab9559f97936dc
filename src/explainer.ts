/**
 * The pipeline, written once for every method:
 *   tfjs (wasm backend): body pass -> A; then, only for the methods asked that read them (Method.input), one head
 *   pass under tf.grad -> logits, dS_c/dA; noisy copies' gradient sums (Smooth Grad-CAM++); masked forward
 *   passes (Score-CAM)
 *   kernels (AssemblyScript SIMD, or the TS twins): the method's hook by kind (src/pipeline/maps.ts)
 *   -> ReLU -> min-max to [0,1] -> bilinear upsampling (half-pixel centres) to the image size;
 *   several layers: each layer's heatmap, then fuseMaps.
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from './backend/index.js';
import { getKernels, type KernelPath } from './kernels/index.js';
import type { Kernels } from './kernels/contract.js';
import { DEFAULT_METHOD, EXPLAIN_BATCH_SIZE } from './constants.js';
import { BackendError, DisposedError, InvalidInputError, MethodNotApplicableError, UnknownMethodError } from './errors.js';
import { imageSize, toBatch, type ImageInput } from './image.js';
import { METHODS, METHOD_NAMES, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import { labelsOf } from './plan/labels.js';
import { checkModel, makePlan, type BodyResult, type ExplainableModel, type Plan } from './plan/plan.js';
import { headPass, prepareHeadGrad, releaseHeadGrad, type GradResult, type HeadPass, type Target, type TargetFunction } from './plan/pass.js';
import {
  checkBackend, checkCommonOptions, checkLabels, checkOptions, kindOf, layerList, passOptions, resolveMethods,
  resolveTargets, sizeOf, type ExplainerOptions, type ExplainOptions, type ExplainRequest, type Targets,
} from './options.js';
import { layerMap, reserveRegions, type LayerMap } from './pipeline/maps.js';
import { checkGradients, checkLogits, gradientAt, layerInputs } from './pipeline/passes.js';
import { noisySums } from './pipeline/smooth.js';
import { maskedScores } from './pipeline/masked.js';

export type { TargetFunction };
export type { ExplainerOptions, ExplainOptions, ExplainRequest, OutputSize, PassOptions } from './options.js';

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
  /** The target layer; several fused layers are joined by '+'. */
  readonly layer: string;
  /** The target layers (one, or the fused ones). */
  readonly layers: readonly string[];
  /** The low-resolution map (for fused layers: the fused map at the output size) after ReLU, min-max normalised to [0,1], row-major camHeight x camWidth. */
  readonly cam: Float32Array;
  readonly camWidth: number;
  readonly camHeight: number;
  /** `cam` upsampled (bilinear, half-pixel centres) to width x height, in [0,1]. */
  readonly heatmap: Float32Array;
  readonly width: number;
  readonly height: number;
  /** The K channel weights w_k^c ('channel' and 'perturbation' methods, one layer); empty otherwise. */
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
  /**
   * Milliseconds: input preparation, forward (the body, and the head's forward when the classes are chosen from the
   * logits), gradients (the head's backward; with the head's forward when no logits were needed first; the noisy and
   * masked passes), kernels (maps), total. Images explained in one batch share its passes: each gets 1/n of them.
   */
  readonly timings: {
    prepare: number; forward: number; gradients: number; maps: number; total: number;
    /** How activations and gradients reached the kernels: read in place in tfjs-wasm's heap, or copied once. */
    path: KernelPath;
  };
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

/** One image, prepared: its output size, its model input [1, H, W, C] (owned), the preparation time (ms). */
interface Prepared { out: { height: number; width: number }; batch: tf.Tensor4D; prepare: number }

function topClasses(logits: Float32Array, k: number): number[] {
  return Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, k);
}

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
    const results: ImageExplanations[] = [];
    for (let s = 0; s < list.length; s += EXPLAIN_BATCH_SIZE) {
      results.push(...this.explainChunk(list.slice(s, s + EXPLAIN_BATCH_SIZE), methods, targets, request, labels));
    }
    return results;
  }

  /**
   * Prepares the images of one chunk, groups those of the same prepared size (one group per image when a target
   * is a graph-model node: a graph's reshapes may fix the batch size) and explains each group in one batch.
   */
  private explainChunk(images: ImageInput[], methods: Method[], targets: Targets, request: ExplainRequest,
    labels: readonly string[] | undefined): ImageExplanations[] {
    const prepared: Prepared[] = [];
    try {
      for (const image of images) {
        const t0 = performance.now();
        const out = sizeOf(request.outputSize ?? this.options.outputSize, imageSize(image));
        const batch = toBatch(image, this.plan.inputShape, request.preprocess ?? this.options.preprocess);
        prepared.push({ out, batch, prepare: performance.now() - t0 });
      }
      const batched = this.plans.every((p) => p.kind === 'layers');
      const groups = new Map<string, number[]>();
      prepared.forEach((p, i) => {
        const key = batched ? p.batch.shape.join(',') : String(i);
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      const results: ImageExplanations[] = new Array(images.length);
      for (const idx of groups.values()) {
        const res = this.explainBatch(idx.map((i) => prepared[i]), methods, targets, request, labels);
        idx.forEach((i, j) => { results[i] = res[j]; });
      }
      return results;
    } finally {
      // a float Tensor4D input is used as is (src/image.ts): it stays the caller's
      prepared.forEach((p, i) => { if (p.batch !== images[i]) p.batch.dispose(); });
    }
  }

  /** Images of one prepared size: one body pass and, per target rank, one head gradient for all; kernels per image. */
  private explainBatch(group: Prepared[], methods: Method[], targets: Targets, request: ExplainRequest,
    labels: readonly string[] | undefined): ImageExplanations[] {
    const { plans, kernels } = this;
    const plan0 = plans[0];
    const n = group.length, N = plan0.numClasses;
    const t1 = performance.now();
    const bodies: BodyResult[] = [];
    const heads: HeadPass[] = [];
    const x = n === 1 ? group[0].batch : tf.concat(group.map((g) => g.batch)) as tf.Tensor4D;
    try {
      for (const p of plans) bodies.push(p.body(x));
      const t2 = performance.now();
      const inputs = new Set(methods.map((m) => m.input));
      // a function target's score comes from the gradient pass, whatever the methods
      const needGrad = inputs.has('gradients') || inputs.has('noisy-gradients') || targets.kind === 'function';
      if (needGrad) inputs.add('gradients');
      const fusing = plans.length > 1;
      const [, inH, inW, inC] = x.shape;
      const passes = passOptions(request);
      const outPixels = Math.max(...group.map((g) => g.out.height * g.out.width));
      const r = reserveRegions(kernels, {
        plans, inputs, out: outPixels, fused: fusing ? methods.length * plans.length : 0,
        inputPixels: inH * inW, inputChannels: inC, batchSize: passes.batchSize,
      });
      const layer = plans.map((p) => p.layer).join('+');
      plans.forEach((p, li) => heads.push(headPass(p, bodies[li])));
      // CAM's Dense kernels, read from tfjs once per batch (ResNet-50's is 8 MB)
      const camKernels = plans.map((p) => (inputs.has('cam-head') && !('reason' in p.cam) ? p.cam.kernel() : null));

      // Decide what to explain first (a forward pass, when the top classes are asked for), then differentiate.
      let logits: Float32Array | null = null;
      // the head's forward for the logits counts as forward (with the body: the model's forward pass)
      let tHead = performance.now();
      if (targets.kind === 'top' || !needGrad) {
        logits = heads[0].logits();
        checkLogits(logits);
      }
      tHead = performance.now() - tHead;
      let tShared = 0;
      const orders: Target[][] = group.map((_, i) => targets.kind === 'top'
        ? topClasses(logits!.subarray(i * N, (i + 1) * N), targets.k)
        : targets.kind === 'classes' ? targets.classes : [targets.fn]);
      const tGrad = new Array<number>(n).fill(0), tMaps = new Array<number>(n).fill(0);
      const explanations: Explanation[][] = group.map(() => []);
      for (let t = 0; t < orders[0].length; t++) {
        const tt = orders.map((o) => o[t]);
        const grads: GradResult[] = [];
        try {
          let s = performance.now();
          if (needGrad) {
            for (const h of heads) {
              grads.push(h.grad(tt));
              checkGradients(grads[grads.length - 1]);
            }
            logits ??= grads[0].logits;
          }
          tShared += performance.now() - s;
          for (const [i, { out, batch }] of group.entries()) {
            const target = tt[i];
            const c = typeof target === 'number' ? target : -1;
            const li0 = logits!.subarray(i * N, (i + 1) * N);
            let score = c >= 0 ? li0[c] : NaN;
            const perLayer: LayerMap[][] = [];
            const nOut = out.height * out.width;
            for (const [li, plan] of plans.entries()) {
              s = performance.now();
              const x = layerInputs(kernels, plan, r, bodies[li], i);
              // the noisy passes use x.g as scratch: before the clean gradient, which leaves its g there
              // (x's views are getters, re-taken after tfjs ops: never spread x before the last tfjs op)
              const samples = inputs.has('noisy-gradients') ? noisySums(kernels, plan, batch, target, passes, x) : 0;
              if (needGrad) score = gradientAt(kernels, plan, grads[li], i, x.g);
              if (inputs.has('masked-scores')) maskedScores(kernels, plan, batch, c, passes.batchSize, x, r);
              if (camKernels[li]) x.denseKernel.set(camKernels[li]!);
              tGrad[i] += performance.now() - s;
              s = performance.now();
              perLayer.push(methods.map((m, mi) => {
                const heat = fusing ? r.fused.subarray((mi * plans.length + li) * nOut, (mi * plans.length + li + 1) * nOut)
                  : r.heat.subarray(0, nOut);
                const lm = layerMap(kernels, r, m, { ...x, samples, classIndex: c }, heat, out.height, out.width);
                return fusing ? lm : { ...lm, heatmap: heat.slice() };
              }));
              tMaps[i] += performance.now() - s;
            }
            s = performance.now();
            const probs = probabilities(li0, plan0.outputActivation);
            for (const [mi, m] of methods.entries()) {
              let cam = perLayer[0][mi].cam, weights = perLayer[0][mi].weights;
              let camHeight = plan0.camHeight, camWidth = plan0.camWidth;
              if (fusing) {
                const heat = r.heat.subarray(0, nOut);
                kernels.fuseMaps(r.fused.subarray(mi * plans.length * nOut, (mi + 1) * plans.length * nOut), nOut, plans.length, heat);
                cam = heat.slice();
                weights = new Float32Array(0);
                camHeight = out.height;
                camWidth = out.width;
              }
              explanations[i].push({
                method: m.name as MethodName, classIndex: c, label: c >= 0 ? labels?.[c] : undefined, logit: score,
                probability: c >= 0 ? probs[c] : NaN, layer, layers: plans.map((p) => p.layer),
                cam, camWidth, camHeight, heatmap: fusing ? cam.slice() : perLayer[0][mi].heatmap!, width: out.width, height: out.height, weights,
              });
            }
            tMaps[i] += performance.now() - s;
          }
        } finally {
          grads.forEach((g) => g.grad?.dispose());
        }
      }
      const shared = (performance.now() - t1) / n;
      return group.map((g, i) => {
        const li = logits!.slice(i * N, (i + 1) * N);
        const probs = probabilities(li, plan0.outputActivation);
        const top = topClasses(li, Math.min(5, N)).map((k) => ({
          classIndex: k, logit: li[k], probability: probs[k], ...(labels ? { label: labels[k] } : {}),
        }));
        const ex = explanations[i];
        return {
          layer, logits: li, probabilities: probs, top, explanations: ex,
          timings: {
            prepare: g.prepare, forward: (t2 - t1 + tHead) / n, gradients: tShared / n + tGrad[i], maps: tMaps[i],
            total: g.prepare + shared, path: kernels.path,
          },
          get: (method: MethodName, classIndex?: number) =>
            ex.find((e) => e.method === method && (classIndex == null || e.classIndex === classIndex)),
        };
      });
    } finally {
      if (x !== group[0].batch) x.dispose();
      heads.forEach((h) => h.dispose());
      bodies.forEach((b) => b.dispose());
      kernels.release();   // after a huge outputSize, give the kernel memory back (the outputs are copies)
    }
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
