/**
 * The tfjs passes of the pipeline, for any Plan: one body pass (input -> target activation A and skip
 * tensors), head passes without gradients (the logits, to choose the classes), and one head pass under
 * tf.grad per explained target: dS/dA, S the target's score (a logit, or a user function of the logits).
 *
 * Nothing here throws inside the tf.grad callback: an exception there would leave the tape's saved
 * tensors behind (tfjs frees them only after a completed backward pass). Checks run before or after.
 */
import * as tf from '@tensorflow/tfjs';
import { withCorrectMaxPoolGrad } from '../backend/max-pool-grad.js';
import type { BodyResult, Plan } from './plan.js';

export type { BodyResult };

/** A score to explain, as a function of the logits [numClasses] (pytorch-grad-cam calls these targets). */
export type TargetFunction = (logits: tf.Tensor1D) => tf.Scalar | tf.Tensor;

export function runBody(plan: Plan, x: tf.Tensor4D): BodyResult {
  return plan.body(x);
}

/** The logits, without gradients. */
export function runHead(plan: Plan, body: BodyResult): Float32Array {
  return tf.tidy(() => plan.head(body, body.a).dataSync() as Float32Array).slice();
}

export interface GradResult {
  /** The logits of this pass. */
  readonly logits: Float32Array;
  /** The explained score S (the logit of the class, or the target function's value). */
  readonly score: number;
  /** dS/dA [1, h, w, k], owned by the caller; null when the target failed (then `error` says why). */
  readonly grad: tf.Tensor4D | null;
  /** An error raised by a target function, or a description of its bad result; thrown by the caller. */
  readonly error: unknown;
}

/**
 * dS/dA for one target: a class index (S = logit of that class) or a function of the logits.
 * The class is decided before this call; this pass only differentiates.
 */
export function runHeadWithGrad(plan: Plan, body: BodyResult, target: number | TargetFunction): GradResult {
  let logits = new Float32Array(0);
  let score = NaN;
  let error: unknown = null;
  // tfjs-wasm's own MaxPoolGrad drops the gradient of all-zero windows: the correct one, for this call only.
  const grad = withCorrectMaxPoolGrad(() => tf.grad((a: tf.Tensor) => {
    try {
      const s = plan.head(body, a);
      logits = (s.dataSync() as Float32Array).slice();
      if (typeof target === 'number') {
        score = logits[target];
        // slice (not gather): its gradient is a pad, which every backend has.
        return tf.sum(tf.slice(s, [0, target], [1, 1]));
      }
      const y = target(tf.reshape(s, [-1]) as tf.Tensor1D);
      if (y instanceof tf.Tensor && y.size === 1 && y.dtype === 'float32') {
        score = y.dataSync()[0];
        return tf.sum(y);
      }
      error = { badResult: y instanceof tf.Tensor ? `a ${y.dtype} tensor of shape [${y.shape.join(', ')}]` : describeValue(y) };
    } catch (e) {
      error = e;
    }
    // Complete the backward pass (which frees the tape) with a score that depends on `a`; the caller throws.
    return tf.mul(tf.sum(a), 0) as tf.Scalar;
  })(body.a)) as tf.Tensor4D;
  if (error !== null) {
    grad.dispose();
    return { logits, score, grad: null, error };
  }
  return { logits, score, grad, error: null };
}

function describeValue(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
