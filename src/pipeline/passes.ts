/**
 * The inputs of one layer for the methods: A handed to the kernels (checked), and the gradient pass (dS/dA for
 * the targets, via src/plan/pass.ts) next to it. Tensors of a batch [n, ...]: image i's part. kernels.input():
 * on the zero-copy path the kernels read both in place in tfjs-wasm's heap (image i: a view at its offset); on
 * the one-copy path they are copied into the regions a and g.
 * The views of LayerInputs are getters: tfjs may grow its memory in any op (which detaches views over it), so
 * each read re-takes the view; read x.a / x.g again after a tfjs op rather than keeping them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from '../kernels/contract.js';
import { InvalidInputError, NumericalError } from '../errors.js';
import type { BodyResult, Plan } from '../plan/plan.js';
import { runHeadWithGrad, type GradResult, type Target } from '../plan/pass.js';
import { checkFinite, type LayerInputs, type Regions } from './maps.js';

const view = (v: Float32Array, n: number) => v.length ? v.subarray(0, n) : v;
/** Image i of a batch tensor [n, ...] (the whole tensor when n = 1). */
const partOf = (t: tf.Tensor, i: number) => t.shape[0] === 1 ? undefined : { index: i, of: t.shape[0] };

/** Views of the regions sized for this layer (getters), with A of image i (of the body's batch) handed to the kernels (slot `a:<layer>`). */
export function layerInputs(kernels: Kernels, plan: Plan, r: Regions, body: BodyResult, image = 0): LayerInputs {
  const ZK = plan.camHeight * plan.camWidth * plan.channels;
  const a = kernels.input(`a:${plan.layer}`, body.a, view(r.a, ZK), partOf(body.a, image));
  checkFinite(a, () => `The activations at "${plan.layer}" hold NaN or Infinity for this input (the model overflowed). ` +
    'Check the pixel range and the preprocessing (e.g. scale pixels as the model was trained).');
  const scores = new Float32Array(plan.channels);
  return {
    plan, samples: 0, scores, classIndex: -1,
    get a() { return kernels.inputView(`a:${plan.layer}`)!; },
    get g() { return kernels.inputView(`g:${plan.layer}`) ?? view(r.g, ZK); },
    get d1() { return view(r.d1, ZK); },
    get d2() { return view(r.d2, ZK); },
    get d3() { return view(r.d3, ZK); },
    get denseKernel() { return view(r.dense, plan.channels * plan.numClasses); },
  };
}

export function checkLogits(l: Float32Array): void {
  checkFinite(l, () => 'The model produced non-finite class scores (NaN or Infinity) for this input. ' +
    'Check the model weights and the preprocessing (e.g. scale pixels as the model was trained).');
}

/**
 * dS/dA of one target handed to the kernels (slot `g:<layer>`; one-copy: into `g`), checked; returns the logits
 * and the score S of this pass. Read it as x.g (layerInputs) or kernels.inputView(`g:<layer>`).
 */
export function gradientInto(kernels: Kernels, plan: Plan, body: BodyResult, target: Target, g: Float32Array):
  { logits: Float32Array; score: number } {
  const res = runHeadWithGrad(plan, body, target);
  try {
    checkGradients(res);
    return { logits: res.logits, score: gradientAt(kernels, plan, res, 0, g) };
  } finally {
    res.grad?.dispose();
  }
}

/** Throws the typed error of a failed gradient pass (a target function's error, non-finite logits). */
export function checkGradients(res: GradResult): void {
  if (res.error !== null) throw targetError(res.error);
  checkLogits(res.logits);
}

/** Image i's dS/dA of a checked gradient pass handed to the kernels (slot `g:<layer>`; one-copy: into `g`), checked; returns its score S_i. */
export function gradientAt(kernels: Kernels, plan: Plan, res: GradResult, i: number, g: Float32Array): number {
  const score = res.scores[i];
  if (!Number.isFinite(score)) {
    throw new NumericalError(`The target function returned ${score}; it must return a finite score.`);
  }
  const view = kernels.input(`g:${plan.layer}`, res.grad!, g, partOf(res.grad!, i));
  checkFinite(view, () => `The gradients at "${plan.layer}" hold NaN or Infinity for this input. ` +
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
