/**
 * The inputs of one layer for the methods: A copied into kernel memory (checked), and the gradient pass
 * (dS/dA for one target, via src/plan/pass.ts) copied next to it. Tensors of a batch [n, ...]: image i's slice.
 */
import * as tf from '@tensorflow/tfjs';
import { copyTensorInto } from '../kernels/tensor-io.js';
import { InvalidInputError, NumericalError } from '../errors.js';
import type { BodyResult, Plan } from '../plan/plan.js';
import { runHeadWithGrad, type GradResult, type Target } from '../plan/pass.js';
import { checkFinite, type LayerInputs, type Regions } from './maps.js';

/** Image i of a batch tensor [n, ...] into `dst` (the tensor itself when n = 1). */
function copyImageInto(t: tf.Tensor, i: number, dst: Float32Array): void {
  if (t.shape[0] === 1) return copyTensorInto(t, dst);
  const s = tf.slice(t, i, 1);
  try {
    copyTensorInto(s, dst);
  } finally {
    s.dispose();
  }
}

/** Views of the regions sized for this layer, with A of image i (of the body's batch) copied in. */
export function layerInputs(plan: Plan, r: Regions, body: BodyResult, image = 0): LayerInputs {
  const ZK = plan.camHeight * plan.camWidth * plan.channels;
  const view = (v: Float32Array, n: number) => v.length ? v.subarray(0, n) : v;
  const a = view(r.a, ZK);
  copyImageInto(body.a, image, a);
  checkFinite(a, () => `The activations at "${plan.layer}" hold NaN or Infinity for this input (the model overflowed). ` +
    'Check the pixel range and the preprocessing (e.g. scale pixels as the model was trained).');
  return {
    plan, a, g: view(r.g, ZK), d1: view(r.d1, ZK), d2: view(r.d2, ZK), d3: view(r.d3, ZK), samples: 0,
    scores: new Float32Array(plan.channels),
    denseKernel: view(r.dense, plan.channels * plan.numClasses), classIndex: -1,
  };
}

export function checkLogits(l: Float32Array): void {
  checkFinite(l, () => 'The model produced non-finite class scores (NaN or Infinity) for this input. ' +
    'Check the model weights and the preprocessing (e.g. scale pixels as the model was trained).');
}

/** dS/dA of one target into `g` (checked); returns the logits and the score S of this pass. */
export function gradientInto(plan: Plan, body: BodyResult, target: Target, g: Float32Array):
  { logits: Float32Array; score: number } {
  const res = runHeadWithGrad(plan, body, target);
  try {
    checkGradients(res);
    return { logits: res.logits, score: gradientAt(plan, res, 0, g) };
  } finally {
    res.grad?.dispose();
  }
}

/** Throws the typed error of a failed gradient pass (a target function's error, non-finite logits). */
export function checkGradients(res: GradResult): void {
  if (res.error !== null) throw targetError(res.error);
  checkLogits(res.logits);
}

/** Image i's dS/dA of a checked gradient pass into `g` (checked); returns its score S_i. */
export function gradientAt(plan: Plan, res: GradResult, i: number, g: Float32Array): number {
  const score = res.scores[i];
  if (!Number.isFinite(score)) {
    throw new NumericalError(`The target function returned ${score}; it must return a finite score.`);
  }
  copyImageInto(res.grad!, i, g);
  checkFinite(g, () => `The gradients at "${plan.layer}" hold NaN or Infinity for this input. ` +
    'Check the model weights and the preprocessing.');
  return score;
}

function targetError(e: unknown): Error {
  const bad = (e as { badResult?: string } | null)?.badResult;
  if (bad) {
    return new InvalidInputError(`The target function must return a float32 scalar (e.g. logits.gather(3) or ` +
      `logits.slice(0, 2).sum()); it returned ${bad}.`);
  }
  return e instanceof Error ? e : new InvalidInputError(`The target function threw ${String(e)}.`);
}

/** The logits of a batch of inputs [n, H, W, C] through the whole model (body then head), no gradients. */
export function forward(plan: Plan, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => {
    const body = plan.body(x);
    try {
      return plan.head(body, body.a).dataSync() as Float32Array;
    } finally {
      body.dispose();
    }
  }).slice();
}
