/**
 * The Plan of a tf.LayersModel: the target layer, the head that maps it to the class scores (logits), and
 * whether the CAM pattern (target -> global average pooling -> Dense) is there.
 * Body and head are evaluated layer by layer on the model's own layers (src/plan/graph.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { buildGraph, downstreamOf, evaluate, type Graph, type LayerOverride, type SymTensor } from './graph.js';
import { makeFolding } from './fold.js';
import { NoTargetLayerError, UnknownLayerError, UnsupportedModelError } from '../errors.js';
import type { BodyResult, OutputActivation, Plan, PlanOptions } from './plan.js';

const SQUASH = new Set(['softmax', 'sigmoid']);
const PASS_THROUGH = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout', 'Flatten']);

function activationName(layer: tf.layers.Layer): string | undefined {
  const act = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return act?.getClassName?.().toLowerCase();
}

/** Layers with a 4-D output of spatial size > 1 (unknown sizes count as > 1), in topological order. */
export function candidateTensors(graph: Graph): SymTensor[] {
  return graph.order.filter((t) => {
    if (t.sourceLayer.getClassName() === 'InputLayer' || t.shape.length !== 4) return false;
    const [, h, w] = t.shape;
    return h == null || w == null || h * w > 1;
  });
}

export function layersCandidates(model: tf.LayersModel): string[] {
  return [...new Set(candidateTensors(buildGraph(model)).map((t) => t.sourceLayer.name))];
}

/**
 * The layer override used in the head:
 * - the layer that produces the model output with a fused softmax/sigmoid runs with a linear activation,
 *   so gradients are of the logit (methods-and-protocol: gradients of the logit, not the probability);
 * - BatchNormalization with scale: false runs as explicit ops, because tfjs's FusedBatchNorm gradient
 *   fails on its undefined scale (platform-facts: all of Keras InceptionV3).
 */
export function makeOverride(fusedOutputLayer: tf.layers.Layer | null): LayerOverride {
  const linear = (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown }).activation;
  return (layer, inputs) => {
    if (layer === fusedOutputLayer) {
      const l = layer as unknown as { activation: unknown };
      const saved = l.activation;
      l.activation = linear;
      try {
        return layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor;
      } finally {
        l.activation = saved;
      }
    }
    if (layer.getClassName() === 'BatchNormalization') {
      const bn = layer as unknown as {
        scale: boolean; center: boolean; epsilon: number; axis: number;
        movingMean: { read(): tf.Tensor }; movingVariance: { read(): tf.Tensor }; beta?: { read(): tf.Tensor };
      };
      const x = inputs[0];
      const axis = bn.axis < 0 ? x.rank + bn.axis : bn.axis;
      if (bn.scale || axis !== x.rank - 1) return null;
      // y = (x - mean) / sqrt(var + eps) + beta   (gamma = 1)
      let y = tf.mul(tf.sub(x, bn.movingMean.read()), tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon)));
      if (bn.center && bn.beta) y = tf.add(y, bn.beta.read());
      return y;
    }
    return null;
  };
}

/**
 * The logits of a model output: skip a final softmax/sigmoid Activation layer, or run a fused one linearly
 * (`fused`: the layer to run with a linear activation, see makeOverride). Also used by src/sequence/.
 */
export function logitsOf(out: SymTensor): { logits: SymTensor; outputActivation: OutputActivation; fused: tf.layers.Layer | null } {
  const outLayer = out.sourceLayer;
  const outAct = outLayer.getClassName() === 'Softmax' ? 'softmax' : activationName(outLayer);
  if (!outAct || !SQUASH.has(outAct)) return { logits: out, outputActivation: 'linear', fused: null };
  const separate = outLayer.getClassName() === 'Activation' || outLayer.getClassName() === 'Softmax';
  return { logits: separate ? out.inputs[0] : out, outputActivation: outAct as OutputActivation, fused: separate ? null : outLayer };
}

export function makeLayersPlan(model: tf.LayersModel, layerName?: string, options: PlanOptions = {}): Plan {
  const graph = buildGraph(model);
  const out = graph.output;
  if (out.shape.length !== 2 || out.shape[1] == null) {
    throw new UnsupportedModelError(`The model output has shape [${out.shape.join(', ')}]; ` +
      'explanations need class scores of shape [batch, classes].');
  }
  const numClasses = out.shape[1];
  const { logits, outputActivation, fused } = logitsOf(out);

  const candidates = candidateTensors(graph);
  const names = [...new Set(candidates.map((t) => t.sourceLayer.name))];
  let target: SymTensor | undefined;
  if (layerName == null) {
    target = candidates[candidates.length - 1];
    if (!target) {
      throw new NoTargetLayerError('The model has no layer with a 4-D output of spatial size > 1 (a convolutional ' +
        'feature map), so there is nothing to localise. Explanations need a CNN.');
    }
  } else {
    const matches = candidates.filter((t) => t.sourceLayer.name === layerName);
    target = matches[matches.length - 1];
    if (!target) throw new UnknownLayerError(layerName, names);
  }

  const down = downstreamOf(graph, target);
  if (!down.has(logits.id)) {
    throw new UnknownLayerError(`${layerName ?? target.sourceLayer.name} (not upstream of the class scores)`, names);
  }
  const skips = new Map<number, SymTensor>();
  for (const t of graph.order) {
    if (!down.has(t.id)) continue;
    for (const s of t.inputs) if (!down.has(s.id) && s.id !== target.id) skips.set(s.id, s);
  }

  const [, h, w, k] = target.shape;
  if (h == null || w == null || k == null) {
    throw new UnsupportedModelError(`Layer "${target.sourceLayer.name}" has an unknown output size [${target.shape.join(', ')}]; ` +
      'build the model with a fixed input size.');
  }

  const skipList = [...skips.values()];
  // BatchNorm folded into the convolutions (src/plan/fold.ts), in the body and in the head: both compute the
  // same function (the head's gradient too, test/fold.test.ts); tensors with a value of their own stay apart.
  const folding = options.foldBatchNorm === false ? null
    : makeFolding(graph, new Set([target.id, logits.id, out.id, ...skipList.map((s) => s.id)]));
  const base = makeOverride(fused);
  const override: LayerOverride = folding ? (l, i) => folding.override(l, i) ?? base(l, i) : base;
  const camHead = findCamHead(graph, target, logits, down);
  return {
    kind: 'layers', layer: target.sourceLayer.name, inputShape: graph.input.shape,
    camHeight: h, camWidth: w, channels: k, numClasses, outputActivation,
    chain: skipList.length ? undefined : { tensors: chainOf(target, logits), linear: fused },
    cam: 'reason' in camHead ? camHead : { kernel: () => (camHead.dense.getWeights()[0].dataSync() as Float32Array).slice() },
    foldedBatchNorms: folding?.sites.length ?? 0,
    body(x: tf.Tensor4D): BodyResult {
      const [a, ...rest] = tf.tidy(() => {
        const known = new Map<number, tf.Tensor>([[graph.input.id, x]]);
        return evaluate(graph, known, [target, ...skipList], folding?.override);
      });
      // the input is the caller's (a float Tensor4D is used as is): never disposed here, whatever the layers return
      return { a: a as tf.Tensor4D, skips: rest, dispose: () => tf.dispose([a, ...rest].filter((t) => t !== x)) };
    },
    head(body: BodyResult, a: tf.Tensor): tf.Tensor2D {
      const known = new Map<number, tf.Tensor>([[target.id, a]]);
      skipList.forEach((s, i) => known.set(s.id, body.skips[i]));
      return evaluate(graph, known, [logits], override)[0] as tf.Tensor2D;
    },
    dispose: () => folding?.dispose(),
  };
}

/** The tensors from `target` (excluded) to `logits`, each the only input of the next (else empty). */
function chainOf(target: SymTensor, logits: SymTensor): SymTensor[] {
  const chain: SymTensor[] = [];
  for (let t: SymTensor | undefined = logits; t?.id !== target.id; t = t.inputs[0]) {
    if (!t || t.inputs.length !== 1) return [];
    chain.unshift(t);
  }
  return chain;
}

/** CAM needs: target -> GlobalAveragePooling2D -> (Dropout | Flatten)* -> Dense (the class scores). */
function findCamHead(graph: Graph, target: SymTensor, logits: SymTensor, down: Set<number>):
  { dense: tf.layers.Layer } | { reason: string } {
  const head = graph.order.filter((t) => down.has(t.id));
  const fix = `CAM needs the pattern ${target.sourceLayer.name} -> GlobalAveragePooling2D -> Dense (class scores). ` +
    `Use 'gradcam' or 'gradcam++', which apply to any model.`;
  const describe = (t: SymTensor) => `"${t.sourceLayer.name}" (${t.sourceLayer.getClassName()}${activationName(t.sourceLayer) ? ', ' + activationName(t.sourceLayer) : ''})`;
  const [gap] = head;
  if (!gap || gap.sourceLayer.getClassName() !== 'GlobalAveragePooling2D' || gap.inputs[0]?.id !== target.id) {
    return { reason: `CAM is not applicable: after "${target.sourceLayer.name}" comes ${gap ? describe(gap) : 'nothing'}, not global average pooling. ${fix}` };
  }
  let prev = gap;
  for (const t of head.slice(1)) {
    if (t.inputs.length !== 1 || t.inputs[0].id !== prev.id) {
      return { reason: `CAM is not applicable: the head after "${target.sourceLayer.name}" is not a chain (at ${describe(t)}). ${fix}` };
    }
    const cls = t.sourceLayer.getClassName();
    if (cls === 'Dense') {
      if (t.id !== logits.id) {
        return { reason: `CAM is not applicable: ${describe(t)} is a hidden Dense layer between the pooling and the class scores. ${fix}` };
      }
      return { dense: t.sourceLayer };
    }
    if (!PASS_THROUGH.has(cls)) {
      return { reason: `CAM is not applicable: ${describe(t)} sits between the pooling and the class scores. ${fix}` };
    }
    prev = t;
  }
  return { reason: `CAM is not applicable: no Dense layer gives the class scores. ${fix}` };
}
