/**
 * Smooth Grad-CAM++'s passes (Omeiza et al. 2019, arXiv:1908.01224): for `samples` noisy copies
 * X + N(0, sigma^2) of the model input X (after preprocess), sigma = noise * (max X - min X), a body pass and a
 * gradient pass each; the sums of g, g^2 and g^3 over the copies go to d1, d2, d3 (the kernels'
 * smoothgradcamppAccumulate). A stays the clean input's. The noise comes from the project's one RNG
 * (src/rng.ts: mulberry32, Box-Muller normals) seeded with `seed`, restarted for every layer and target,
 * so the same seed gives byte-identical maps.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.js';
import type { Kernels } from '../kernels/contract.js';
import type { Plan } from '../plan/plan.js';
import type { TargetFunction } from '../plan/pass.js';
import type { LayerInputs } from './maps.js';
import { gradientInto } from './passes.js';

/** Fills x.d1..d3 (x.g is the scratch of each pass); returns the number of copies. */
export function noisySums(kernels: Kernels, plan: Plan, batch: tf.Tensor4D, target: number | TargetFunction,
  o: { samples: number; noise: number; seed: number }, x: LayerInputs): number {
  const clean = batch.dataSync() as Float32Array;
  let lo = Infinity, hi = -Infinity;
  for (const v of clean) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const sigma = o.noise * (hi - lo);
  const rng = new Rng(o.seed);
  x.d1.fill(0); x.d2.fill(0); x.d3.fill(0);
  const noisy = new Float32Array(clean.length);
  for (let s = 0; s < o.samples; s++) {
    for (let i = 0; i < clean.length; i++) noisy[i] = clean[i] + sigma * rng.gaussian();
    const xt = tf.tensor4d(noisy.slice(), batch.shape);
    const body = (() => { try { return plan.body(xt); } finally { xt.dispose(); } })();
    try {
      gradientInto(kernels, plan, body, target, x.g);
    } finally {
      body.dispose();
    }
    const g = x.g;   // re-read after the passes: the zero-copy view of this pass's gradient
    kernels.smoothgradcamppAccumulate(g, g.length, x.d1, x.d2, x.d3);
  }
  return o.samples;
}
