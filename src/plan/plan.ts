/**
 * Where to cut a model, whatever its kind: the target (a layer of a tf.LayersModel, a node of a
 * tf.GraphModel), the body that computes the target activation A from the input, and the head that maps A
 * to the class scores (logits) and runs under tf.grad. The pipeline (src/explainer.ts, src/plan/pass.ts)
 * sees only this interface; the two implementations are layers-plan.ts and graph-plan.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { DisposedError, UnsupportedModelError } from '../errors.js';
import { layersCandidates, makeLayersPlan } from './layers-plan.js';
import { graphCandidates, makeGraphPlan } from './graph-plan.js';
import type { SymTensor } from './graph.js';

export type OutputActivation = 'softmax' | 'sigmoid' | 'linear';

/** A model the library explains. */
export type ExplainableModel = tf.LayersModel | tf.GraphModel;

export interface CamHead {
  /** The final linear layer's kernel [K, numClasses], row-major: CAM's w_k^c = kernel[k, c] (Zhou 2016, Eq. 2). */
  kernel(): Float32Array;
}

/** The target activation [1, h, w, k] and the other tensors the head reads; owned by the caller. */
export interface BodyResult {
  readonly a: tf.Tensor4D;
  readonly skips: tf.Tensor[];
  dispose(): void;
}

/** How a plan is made. */
export interface PlanOptions {
  /**
   * LayersModel: fold each BatchNormalization into the convolution before it (and a ReLU/ReLU6 after it into the
   * same fused kernel), at split time, inference only (src/plan/fold.ts). Default true; false runs the model's
   * layers as they are. GraphModels are run as converted (the converter usually folds already).
   */
  foldBatchNorm?: boolean;
}

/** What an image plan and a sequence plan (src/sequence/plan.ts) share: the target, its size, the classes. */
export interface SplitTarget {
  /** The target's name: a layer name (LayersModel) or a node name (GraphModel). */
  readonly layer: string;
  /** The model input [batch, H, W, C] (a sequence model: [batch, T, H, W, C]); null where the size is not fixed. */
  readonly inputShape: readonly (number | null)[];
  /** Size of the target activation (per frame, for a sequence): camHeight x camWidth x channels. */
  readonly camHeight: number;
  readonly camWidth: number;
  readonly channels: number;
  readonly numClasses: number;
  /** The activation the model applies to the logits (the explained scores are always the logits). */
  readonly outputActivation: OutputActivation;
  /** The CAM head (target -> global average pooling (over time too, for a sequence) -> linear class scores), or why CAM does not apply. */
  readonly cam: CamHead | { reason: string };
}

export interface Plan extends SplitTarget {
  readonly kind: 'layers' | 'graph';
  /** Input batch [1, H, W, C] -> A and the skip tensors. */
  body(x: tf.Tensor4D): BodyResult;
  /** (A, the body's skips) -> logits [n, numClasses]. Pure tfjs ops on `a`, so it runs under tf.grad. */
  head(body: BodyResult, a: tf.Tensor): tf.Tensor2D;
  /** How many BatchNormalization layers run folded into a convolution (0 without folding). */
  readonly foldedBatchNorms?: number;
  /** Frees what the plan owns (folded weights); the model is the caller's. */
  dispose?(): void;
  /**
   * A LayersModel head without skips, as the chain of its tensors from the target (excluded) to the logits;
   * `linear` is the output layer run with a linear activation (a fused softmax/sigmoid), if any.
   * src/plan/head-grad.ts differentiates such a head by hand.
   */
  readonly chain?: { readonly tensors: readonly SymTensor[]; readonly linear: tf.layers.Layer | null };
}

/** True for a tf.GraphModel (tf.loadGraphModel); a LayersModel has layers, a GraphModel has an executor. */
export function isGraphModel(model: unknown): model is tf.GraphModel {
  if (model instanceof tf.GraphModel) return true;
  const m = model as { execute?: unknown; layers?: unknown; outputNodes?: unknown };
  return !!m && typeof m === 'object' && typeof m.execute === 'function' && !Array.isArray(m.layers) &&
    Array.isArray(m.outputNodes);
}

/** True for a tf.LayersModel (tf.sequential, tf.model, tf.loadLayersModel). */
export function isLayersModel(model: unknown): model is tf.LayersModel {
  if (model instanceof tf.LayersModel) return true;
  const m = model as { layers?: unknown; inputs?: unknown; outputs?: unknown; apply?: unknown };
  return !!m && typeof m === 'object' && Array.isArray(m.layers) && Array.isArray(m.inputs) &&
    Array.isArray(m.outputs) && typeof m.apply === 'function';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof tf.Tensor) return 'a tf.Tensor';
  return typeof x === 'object' ? `an object (${(x as object).constructor?.name ?? 'no class'})` : `a ${typeof x}`;
}

/** Validates a model argument: a live LayersModel or GraphModel, else a typed error saying what was passed. */
export function checkModel(model: unknown): asserts model is ExplainableModel {
  if (isLayersModel(model)) {
    // tfjs marks a disposed layer with a zero reference count; using it throws deep inside tfjs.
    const dead = model.layers.find((l) => (l as unknown as { _refCount: number | null })._refCount === 0);
    if (dead) throw new DisposedError(`The model (its layer "${dead.name}")`);
    const gone = model.weights.find((w) => (w as unknown as { val?: tf.Tensor }).val?.isDisposed);
    if (gone) throw new DisposedError(`The model's weight "${gone.name}"`);
    return;
  }
  if (isGraphModel(model)) {
    const weights = Object.values(model.weights ?? {}).flat();
    if (weights.some((t) => t.isDisposed)) throw new DisposedError('The graph model');
    return;
  }
  throw new UnsupportedModelError(`Expected a tfjs model (tf.LayersModel from tf.sequential / tf.model / ` +
    `tf.loadLayersModel, or tf.GraphModel from tf.loadGraphModel); got ${describe(model)}.`);
}

/** The plan for `layer` (default: the last 4-D target of spatial size > 1 that feeds the class scores). */
export function makePlan(model: ExplainableModel, layer?: string, options: PlanOptions = {}): Plan {
  checkModel(model);
  return isGraphModel(model) ? makeGraphPlan(model, layer) : makeLayersPlan(model, layer, options);
}

/**
 * The names usable as `layer`, in topological order: layers (LayersModel) or nodes (GraphModel) with a 4-D
 * output of spatial size > 1 that feed the class scores.
 */
export function candidateLayers(model: ExplainableModel): string[] {
  checkModel(model);
  return isGraphModel(model) ? graphCandidates(model) : layersCandidates(model);
}
