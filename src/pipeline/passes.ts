/**
 * The inputs of one layer for the methods: A copied into kernel memory (checked), and the gradient pass
 * (dS/dA for one target, via src/plan/pass.ts) copied next to it.
 */
import * as tf from '@tensorflow/tfjs';
import { copyTensorInto } from '../kernels/tensor-io.js';
import { InvalidInputError, NumericalError } from '../errors.js';
import type { BodyResult, Plan } from '../plan/plan.js';
import { runHeadWithGrad, type TargetFunction } from '../plan/pass.js';
import { checkFinite, type LayerInputs, type Regions } from './maps.js';

/** Views of the regions sized for this layer, with A copied in. */
export function layerInputs(plan: Plan, r: Regions, body: BodyResult): LayerInputs {
  const ZK = plan.camHeight * plan.camWidth * plan.channels;
  const view = (v: Float32Array, n: number) => v.length ? v.subarray(0, n) : v;
  const a = view(r.a, ZK);
  copyTensorInto(body.a, a);
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
export function gradientInto(plan: Plan, body: BodyResult, target: number | TargetFunction, g: Float32Array):
  { logits: Float32Array; score: number } {
  const res = runHeadWithGrad(plan, body, target);
  if (res.error !== null) throw targetError(res.error);
  try {
    checkLogits(res.logits);
    copyTensorInto(res.grad!, g);
  } finally {
    res.grad!.dispose();
  }
  if (!Number.isFinite(res.score)) {
    throw new NumericalError(`The target function returned ${res.score}; it must return a finite score.`);
  }
  checkFinite(g, () => `The gradients at "${plan.layer}" hold NaN or Infinity for this input. ` +
    'Check the model weights and the preprocessing.');
  return { logits: res.logits, score: res.score };
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
