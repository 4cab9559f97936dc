/**
 * The tfjs passes of the pipeline, for any Plan: one body pass (a batch of n inputs -> the target activation A
 * [n, h, w, k] and the skip tensors), then per body pass one HeadPass: the logits without gradients (to choose
 * the classes), and dS_i/dA for every image i and its own target (a class, or a user function of its logits).
 * The images are independent at inference, so one backward pass of S = sum_i S_i gives every image its gradient.
 *
 * The backward pass: written out by hand (src/plan/head-grad.ts: one tape-free forward, kept for every target)
 * when the head is a chain of known layers and the explainer prepared it (prepareHeadGrad); else tf.grad over
 * the head. Nothing here throws inside a tf.grad callback: an exception there would leave the tape's saved
 * tensors behind (tfjs frees them only after a completed backward pass). Checks run before or after.
 */
import * as tf from '@tensorflow/tfjs';
import { withCorrectMaxPoolGrad } from '../backend/max-pool-grad.js';
import { makeHeadGrad, type HeadGrad, type HeadRun } from './head-grad.js';
import type { BodyResult, Plan } from './plan.js';

export type { BodyResult };

/** A score to explain, as a function of the logits [numClasses] (pytorch-grad-cam calls these targets). */
export type TargetFunction = (logits: tf.Tensor1D) => tf.Scalar | tf.Tensor;
/** One image's target: a class index (S = its logit) or a function of its logits. */
export type Target = number | TargetFunction;

export function runBody(plan: Plan, x: tf.Tensor4D): BodyResult {
  return plan.body(x);
}

/** The logits [n * numClasses], without gradients. */
export function runHead(plan: Plan, body: BodyResult): Float32Array {
  return tf.tidy(() => plan.head(body, body.a).dataSync() as Float32Array).slice();
}

export interface GradResult {
  /** The logits of this pass, [n * numClasses] row-major. */
  readonly logits: Float32Array;
  /** The explained score S_i of every image (its class's logit, or its target function's value). */
  readonly scores: Float32Array;
  /** dS_i/dA_i for every image, [n, h, w, k], owned by the caller; null when a target failed (then `error` says why). */
  readonly grad: tf.Tensor4D | null;
  /** An error raised by a target function, or a description of its bad result; thrown by the caller. */
  readonly error: unknown;
}

/** The head passes of one body pass. dispose() frees what the passes kept (not the body). */
export interface HeadPass {
  /** The logits [n * numClasses] (the head's forward pass, run once). */
  logits(): Float32Array;
  /** dS_i/dA for targets[i], i = 0..n-1. */
  grad(targets: readonly Target[]): GradResult;
  dispose(): void;
}

const prepared = new WeakMap<Plan, HeadGrad>();

/**
 * Prepares the hand-written head gradient of `plan` (with `cacheKernels`, its transposed Dense kernels are created
 * here, once, and freed by releaseHeadGrad). Returns false when the head needs tf.grad (not a chain of known layers).
 */
export function prepareHeadGrad(plan: Plan, cacheKernels = true): boolean {
  if (!prepared.has(plan)) {
    const h = makeHeadGrad(plan, cacheKernels);
    if (h) prepared.set(plan, h);
  }
  return prepared.has(plan);
}

export function releaseHeadGrad(plan: Plan): void {
  prepared.get(plan)?.dispose();
  prepared.delete(plan);
}

export function headPass(plan: Plan, body: BodyResult): HeadPass {
  const h = prepared.get(plan);
  return h ? handPass(h, body) : tapePass(plan, body);
}

/** dS/dA for one image's target (a batch of one): the single-image form of headPass(...).grad. */
export function runHeadWithGrad(plan: Plan, body: BodyResult, target: Target): GradResult {
  const pass = headPass(plan, body);
  try {
    return pass.grad([target]);
  } finally {
    pass.dispose();
  }
}

interface Record { scores: Float32Array; error: unknown }

/**
 * S = sum_i S_i over the logits s [n, N] (inside a tf.grad callback: records errors, never throws); null when a
 * target function failed. Classes only: a one-hot mask (its gradient is the mask, exactly; one image: a slice).
 */
function totalScore(s: tf.Tensor2D, logits: Float32Array, targets: readonly Target[], rec: Record): tf.Scalar | null {
  const [n, N] = s.shape;
  if (targets.every((t) => typeof t === 'number')) {
    const cs = targets as readonly number[];
    cs.forEach((c, i) => { rec.scores[i] = logits[i * N + c]; });
    if (n === 1) return tf.sum(tf.slice(s, [0, cs[0]], [1, 1])) as tf.Scalar; // slice (not gather): its gradient is a pad
    const mask = new Float32Array(n * N);
    cs.forEach((c, i) => { mask[i * N + c] = 1; });
    return tf.sum(tf.mul(s, tf.tensor2d(mask, [n, N]))) as tf.Scalar;
  }
  let total: tf.Scalar | null = null;
  for (const [i, t] of targets.entries()) {
    let y: tf.Tensor;
    if (typeof t === 'number') {
      rec.scores[i] = logits[i * N + t];
      y = tf.slice(s, [i, t], [1, 1]);
    } else {
      y = t(tf.reshape(tf.slice(s, [i, 0], [1, N]), [-1]) as tf.Tensor1D) as tf.Tensor;
      if (!(y instanceof tf.Tensor && y.size === 1 && y.dtype === 'float32')) {
        rec.error = { badResult: y instanceof tf.Tensor ? `a ${y.dtype} tensor of shape [${y.shape.join(', ')}]` : describeValue(y) };
        return null;
      }
      rec.scores[i] = y.dataSync()[0];
    }
    const sy = tf.sum(y) as tf.Scalar;
    total = total ? tf.add(total, sy) as tf.Scalar : sy;
  }
  return total;
}

/** tf.grad of `score(x)` at x, never throwing inside: an error is recorded and a zero gradient completes the pass. */
function safeGrad(x: tf.Tensor, rec: Record, score: (x: tf.Tensor) => tf.Scalar | null): tf.Tensor {
  return tf.grad((v: tf.Tensor) => {
    try {
      const s = score(v);
      if (s) return s;
    } catch (e) {
      rec.error = e;
    }
    // Complete the backward pass (which frees the tape) with a score that depends on `v`; the caller throws.
    return tf.mul(tf.sum(v), 0) as tf.Scalar;
  })(x);
}

function result(logits: Float32Array, rec: Record, grad: tf.Tensor): GradResult {
  if (rec.error !== null) {
    grad.dispose();
    return { logits, scores: rec.scores, grad: null, error: rec.error };
  }
  return { logits, scores: rec.scores, grad: grad as tf.Tensor4D, error: null };
}

/** tf.grad through the whole head, re-run under the tape for every target. */
function tapePass(plan: Plan, body: BodyResult): HeadPass {
  let logits: Float32Array | null = null;
  return {
    logits: () => (logits ??= runHead(plan, body)),
    grad(targets) {
      const rec: Record = { scores: new Float32Array(targets.length).fill(NaN), error: null };
      let l = new Float32Array(0);
      // tfjs-wasm's own MaxPoolGrad drops the gradient of all-zero windows: the correct one, for this call only.
      const g = withCorrectMaxPoolGrad(() => safeGrad(body.a, rec, (a) => {
        const s = plan.head(body, a);
        l = (s.dataSync() as Float32Array).slice();
        return totalScore(s, l, targets, rec);
      }));
      logits ??= l;
      return result(l, rec, g);
    },
    dispose: () => {},
  };
}

/** The hand-written backward (head-grad.ts): one forward, kept for every target; tf.grad only through a target function. */
function handPass(h: HeadGrad, body: BodyResult): HeadPass {
  let run: HeadRun | null = null;
  let logits: Float32Array | null = null;
  const forward = () => {
    run ??= h.forward(body.a);
    return (logits ??= (run.logits.dataSync() as Float32Array).slice());
  };
  return {
    logits: forward,
    grad(targets) {
      const l = forward();
      const rec: Record = { scores: new Float32Array(targets.length).fill(NaN), error: null };
      const dLogits = safeGrad(run!.logits, rec, (s) => totalScore(s as tf.Tensor2D, l, targets, rec));
      try {
        if (rec.error !== null) return result(l, rec, dLogits.clone());
        return result(l, rec, run!.backward(dLogits as tf.Tensor2D));
      } finally {
        dLogits.dispose();
      }
    },
    dispose: () => { run?.dispose(); },
  };
}

function describeValue(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
