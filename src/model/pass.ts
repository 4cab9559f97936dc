/**
 * One forward pass through the body (input -> target activation A and skip tensors), then the head
 * (A -> logits) under tf.grad for each explained class: dS_c/dA, the gradient of the logit S_c.
 */
import * as tf from '@tensorflow/tfjs';
import { evaluate } from './graph.js';
import type { Plan } from './plan.js';

export interface BodyResult {
  /** The target activation [1, h, w, k] and the skip tensors: owned by the caller (dispose()). */
  readonly a: tf.Tensor4D;
  readonly skips: tf.Tensor[];
  dispose(): void;
}

export function runBody(plan: Plan, x: tf.Tensor4D): BodyResult {
  const [a, ...skips] = tf.tidy(() => {
    const known = new Map<number, tf.Tensor>([[plan.graph.input.id, x]]);
    return evaluate(plan.graph, known, [plan.target, ...plan.skips]);
  });
  return { a: a as tf.Tensor4D, skips, dispose: () => tf.dispose([a, ...skips]) };
}

function headLogits(plan: Plan, body: BodyResult, a: tf.Tensor): tf.Tensor2D {
  const known = new Map<number, tf.Tensor>([[plan.target.id, a]]);
  plan.skips.forEach((s, i) => known.set(s.id, body.skips[i]));
  return evaluate(plan.graph, known, [plan.logits], plan.override)[0] as tf.Tensor2D;
}

/** The logits, without gradients. */
export function runHead(plan: Plan, body: BodyResult): Float32Array {
  return tf.tidy(() => headLogits(plan, body, body.a).dataSync() as Float32Array).slice();
}

/**
 * The logits and dS_c/dA (a tensor [1, h, w, k], owned by the caller). `pick` chooses the class from the
 * logits: it runs inside the forward pass, so choosing the top class costs no extra head pass.
 */
export function runHeadWithGrad(plan: Plan, body: BodyResult, pick: (logits: Float32Array) => number):
  { logits: Float32Array; classIndex: number; grad: tf.Tensor4D } {
  let logits: Float32Array | null = null;
  let classIndex = -1;
  const grad = tf.grad((a: tf.Tensor) => {
    const s = headLogits(plan, body, a);
    logits = (s.dataSync() as Float32Array).slice();
    classIndex = pick(logits);
    // slice (not gather): its gradient is a pad, which every backend has.
    return tf.sum(tf.slice(s, [0, classIndex], [1, 1]));
  })(body.a) as tf.Tensor4D;
  return { logits: logits!, classIndex, grad };
}
