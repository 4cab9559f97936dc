/**
 * Score-CAM's passes (Wang et al. 2020, arXiv:1910.01279, Eq. 5-6 there; the authors' official code):
 * M_k = A_k upsampled to the model input (bilinear, half-pixel centres) and min-max normalised to [0, 1];
 * the masked inputs X o M_k (X the model input after preprocess) go through the WHOLE model, `batchSize` at a
 * time; w_k = the probability of class c on X o M_k (softmax of the logits; sigmoid for a sigmoid output).
 * pytorch-grad-cam instead takes the logit of class c on each masked input and then a softmax over the K
 * channels, and upsamples its masks with align_corners=True (docs/methods.md).
 * Everything but the forward passes runs in the kernels: channelPlanes, resizeBilinear, normalizePlanes,
 * explanationMap.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from '../kernels/contract.js';
import type { Plan } from '../plan/plan.js';
import { checkFinite, type LayerInputs, type Regions } from './maps.js';
import { checkLogits, forward } from './passes.js';

/** Fills x.scores with w_k, k = 0..K-1. */
export function maskedScores(kernels: Kernels, plan: Plan, batch: tf.Tensor4D, c: number, batchSize: number,
  x: LayerInputs, r: Regions): void {
  const [, H, W, C] = batch.shape;
  const h = plan.camHeight, w = plan.camWidth, Z = h * w, K = plan.channels, HW = H * W;
  r.img.subarray(0, HW * C).set(batch.dataSync() as Float32Array);
  kernels.channelPlanes(x.a, Z, K, r.planes.subarray(0, Z * K));
  for (let k0 = 0; k0 < K; k0 += batchSize) {
    const n = Math.min(batchSize, K - k0);
    // views re-taken after every forward pass (tfjs may grow its memory, where zero-copy regions live)
    const img = r.img.subarray(0, HW * C), planes = r.planes.subarray(0, Z * K);
    const masks = r.masks.subarray(0, n * HW), masked = r.masked.subarray(0, n * HW * C);
    for (let j = 0; j < n; j++) {
      kernels.resizeBilinear(planes.subarray((k0 + j) * Z, (k0 + j + 1) * Z), h, w, masks.subarray(j * HW, (j + 1) * HW), H, W);
    }
    kernels.normalizePlanes(masks, HW, n);
    for (let j = 0; j < n; j++) {
      kernels.explanationMap(img, masks.subarray(j * HW, (j + 1) * HW), HW, C, masked.subarray(j * HW * C, (j + 1) * HW * C));
    }
    const xt = tf.tensor4d(masked.slice(), [n, H, W, C]);
    let logits: Float32Array;
    try {
      logits = forward(plan, xt);
    } finally {
      xt.dispose();
    }
    checkLogits(logits);
    const N = plan.numClasses;
    for (let j = 0; j < n; j++) x.scores[k0 + j] = classProbability(logits.subarray(j * N, (j + 1) * N), c, plan.outputActivation);
  }
  checkFinite(x.scores, () => `The Score-CAM weights at "${plan.layer}" are not finite.`);
}

function classProbability(l: Float32Array, c: number, act: Plan['outputActivation']): number {
  if (act === 'sigmoid') return 1 / (1 + Math.exp(-l[c]));
  let max = -Infinity;
  for (const v of l) max = Math.max(max, v);
  let sum = 0;
  for (const v of l) sum += Math.exp(v - max);
  return Math.exp(l[c] - max) / sum;
}
