/**
 * The batch pipeline of the Explainer (src/explainer.ts), written once for every method:
 *   explainImages: prepare a chunk's images, group those of the same prepared size, one batch per group;
 *   explainBatch: one body pass, the head passes the methods read (src/pipeline/passes.ts, smooth.ts, masked.ts),
 *   then per image the kernels' maps (src/pipeline/maps.ts), fused over several layers.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from '../kernels/contract.js';
import { imageSize, toBatch, type ImageInput } from '../image.js';
import type { MethodName } from '../methods/registry.js';
import type { Method } from '../methods/types.js';
import type { BodyResult, Plan } from '../plan/plan.js';
import { headPass, type GradResult, type HeadPass, type Target } from '../plan/pass.js';
import { passOptions, sizeOf, type ExplainerOptions, type ExplainRequest, type Targets } from '../options.js';
import { layerMap, reserveRegions, type LayerMap } from './maps.js';
import { checkGradients, checkLogits, gradientAt, layerInputs } from './passes.js';
import { noisySums } from './smooth.js';
import { maskedScores } from './masked.js';
import type { Explanation, ImageExplanations } from './types.js';

/** What the pipeline reads of an Explainer: its plans (one per target layer), its kernels, its options. */
export interface BatchContext {
  readonly plans: readonly Plan[];
  readonly kernels: Kernels;
  readonly options: ExplainerOptions;
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

/**
 * Prepares the images of one chunk, groups those of the same prepared size (one group per image when a target
 * is a graph-model node: a graph's reshapes may fix the batch size) and explains each group in one batch.
 */
export function explainImages(ctx: BatchContext, images: ImageInput[], methods: Method[], targets: Targets,
  request: ExplainRequest, labels: readonly string[] | undefined): ImageExplanations[] {
  const prepared: Prepared[] = [];
  try {
    for (const image of images) {
      const t0 = performance.now();
      const out = sizeOf(request.outputSize ?? ctx.options.outputSize, imageSize(image));
      const batch = toBatch(image, ctx.plans[0].inputShape, request.preprocess ?? ctx.options.preprocess);
      prepared.push({ out, batch, prepare: performance.now() - t0 });
    }
    const batched = ctx.plans.every((p) => p.kind === 'layers');
    const groups = new Map<string, number[]>();
    prepared.forEach((p, i) => {
      const key = batched ? p.batch.shape.join(',') : String(i);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const results: ImageExplanations[] = new Array(images.length);
    for (const idx of groups.values()) {
      const res = explainBatch(ctx, idx.map((i) => prepared[i]), methods, targets, request, labels);
      idx.forEach((i, j) => { results[i] = res[j]; });
    }
    return results;
  } finally {
    // a float Tensor4D input is used as is (src/image.ts): it stays the caller's
    prepared.forEach((p, i) => { if (p.batch !== images[i]) p.batch.dispose(); });
  }
}

/** Images of one prepared size: one body pass and, per target rank, one head gradient for all; kernels per image. */
function explainBatch(ctx: BatchContext, group: Prepared[], methods: Method[], targets: Targets, request: ExplainRequest,
  labels: readonly string[] | undefined): ImageExplanations[] {
  const { plans, kernels } = ctx;
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
