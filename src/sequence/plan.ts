/**
 * Where to cut a clip model: a tf.LayersModel whose input is a clip [batch, T, H, W, C] and whose target layer
 * outputs a sequence of feature maps [batch, T, h, w, K] (a ConvLSTM with returnSequences, or a time-distributed
 * convolution). The body runs the model's own layers up to the target (and any skip tensors the head reads); the
 * head runs the rest, from the target to the logits, under tf.grad. The same graph walk as the image plans
 * (src/plan/graph.ts), with a 5-D target.
 */
import * as tf from '@tensorflow/tfjs';
import { buildGraph, downstreamOf, evaluate, type SymTensor } from '../plan/graph.js';
import { logitsOf, makeOverride } from '../plan/layers-plan.js';
import { isGraphModel, isLayersModel, type CamHead, type SplitTarget } from '../plan/plan.js';
import { NoTargetLayerError, UnknownLayerError, UnsupportedModelError } from '../errors.js';

/** The target sequence A [1, T, h, w, K] and the other tensors the head reads; owned by the caller. */
export interface SequenceBody {
  readonly a: tf.Tensor;
  readonly skips: tf.Tensor[];
  dispose(): void;
}

export interface SequencePlan extends SplitTarget {
  /** The target's frames T (null: as many as the clip has); camHeight x camWidth x channels per frame. */
  readonly frames: number | null;
  body(x: tf.Tensor): SequenceBody;
  /** (A, the body's skips) -> logits [1, numClasses]: tfjs ops on `a`, so it runs under tf.grad. */
  head(body: SequenceBody, a: tf.Tensor): tf.Tensor2D;
}

const SEQUENCE_KIND = 'Layers with a sequence output [T, h, w, K]';

/** A ConvLSTM2D, or a Bidirectional wrapper of one. */
function isConvLstm(layer: tf.layers.Layer): boolean {
  const forward = (layer as unknown as { forwardLayer?: tf.layers.Layer }).forwardLayer;
  return layer.getClassName() === 'ConvLSTM2D' || (layer.getClassName() === 'Bidirectional' && forward?.getClassName() === 'ConvLSTM2D');
}

/** Layers whose output is a sequence of feature maps [batch, T, h, w, K] with h * w > 1, in topological order. */
function sequenceTensors(order: SymTensor[]): SymTensor[] {
  return order.filter((t) => {
    if (t.sourceLayer.getClassName() === 'InputLayer' || t.shape.length !== 5) return false;
    const [, , h, w] = t.shape;
    return h == null || w == null || h * w > 1;
  });
}

/** The layers explainSequence accepts as `layer` for this model (sequence outputs that feed the class scores). */
export function sequenceCandidates(model: tf.LayersModel): string[] {
  return [...new Set(sequenceTensors(buildGraph(model).order).map((t) => t.sourceLayer.name))];
}

export function makeSequencePlan(model: unknown, layerName?: string): SequencePlan {
  if (!isLayersModel(model)) {
    throw new UnsupportedModelError('explainSequence explains a tf.LayersModel (tf.model, tf.loadLayersModel, a layers-model ' +
      'folder through loadModel) whose input is a clip [batch, T, H, W, C] and which has a ConvLSTM2D with returnSequences: true ' +
      '(or another layer with a 5-D sequence output [batch, T, h, w, K]); ' +
      (isGraphModel(model) ? 'this is a tf.GraphModel, whose recurrent layers are not visible as layers: load or convert the Keras model as a layers model.'
        : 'graph models are not supported for sequences.'));
  }
  const graph = buildGraph(model);
  const inShape = graph.input.shape;
  if (inShape.length !== 5) {
    throw new UnsupportedModelError(`explainSequence needs a model whose input is a clip [batch, T, H, W, C]; this one takes ` +
      `[${inShape.join(', ')}]. Explain image models with explainWasm or createExplainer.`);
  }
  const out = graph.output;
  if (out.shape.length !== 2 || out.shape[1] == null) {
    throw new UnsupportedModelError(`The model output has shape [${out.shape.join(', ')}]; explanations need class scores [batch, classes].`);
  }
  const numClasses = out.shape[1];
  const { logits, outputActivation, fused } = logitsOf(out);
  const candidates = sequenceTensors(graph.order);
  const names = [...new Set(candidates.map((t) => t.sourceLayer.name))];
  // default: the last ConvLSTM2D, plain or bidirectional (CONVLSTM_TARGET of src/models/convlstm.ts), else the last sequence layer
  const lstm = candidates.filter((t) => isConvLstm(t.sourceLayer));
  const wanted = layerName ?? (lstm.length ? lstm[lstm.length - 1] : candidates[candidates.length - 1])?.sourceLayer.name;
  if (wanted == null) {
    throw new NoTargetLayerError('The model has no layer whose output is a sequence of feature maps [batch, T, h, w, K] ' +
      '(a ConvLSTM2D with returnSequences: true, or a time-distributed convolution), so there is nothing to localise over time.');
  }
  const matches = candidates.filter((t) => t.sourceLayer.name === wanted);
  const target = matches[matches.length - 1];
  if (!target) {
    const layer = model.layers.find((l) => l.name === wanted);
    const why = layer ? ` (its output ${JSON.stringify(layer.outputShape)} is not a sequence of feature maps [batch, T, h, w, K])` : '';
    throw new UnknownLayerError(`${wanted}${why}`, names, SEQUENCE_KIND);
  }
  const down = downstreamOf(graph, target);
  if (!down.has(logits.id)) throw new UnknownLayerError(`${wanted} (not upstream of the class scores)`, names, SEQUENCE_KIND);
  const [, T, h, w, k] = target.shape;
  if (h == null || w == null || k == null) {
    throw new UnsupportedModelError(`Layer "${wanted}" has an unknown output size [${target.shape.join(', ')}]; build the model with a fixed frame size.`);
  }
  const skips = new Map<number, SymTensor>();
  for (const t of graph.order) {
    if (!down.has(t.id)) continue;
    for (const s of t.inputs) if (!down.has(s.id) && s.id !== target.id) skips.set(s.id, s);
  }
  const skipList = [...skips.values()];
  const override = makeOverride(fused);
  const camHead = findSequenceCamHead(graph.order, target, logits, down);
  return {
    layer: target.sourceLayer.name, inputShape: inShape, frames: T, camHeight: h, camWidth: w, channels: k,
    numClasses, outputActivation,
    cam: 'reason' in camHead ? camHead : { kernel: () => (camHead.dense.getWeights()[0].dataSync() as Float32Array).slice() },
    body(x) {
      const [a, ...rest] = tf.tidy(() => evaluate(graph, new Map([[graph.input.id, x]]), [target, ...skipList]));
      return { a, skips: rest, dispose: () => tf.dispose([a, ...rest]) };
    },
    head(body, a) {
      const known = new Map<number, tf.Tensor>([[target.id, a]]);
      skipList.forEach((s, i) => known.set(s.id, body.skips[i]));
      return evaluate(graph, known, [logits], override)[0] as tf.Tensor2D;
    },
  };
}

const PASS_THROUGH = new Set(['Dropout', 'Flatten']);

/**
 * CAM over time needs: target -> TimeDistributed(GlobalAveragePooling2D) -> GlobalAveragePooling1D ->
 * (Dropout | Flatten)* -> Dense (the class scores): then S_c = sum_k W[k,c] (1/(T h w)) sum_{t,i,j} A[t,i,j,k].
 */
function findSequenceCamHead(order: SymTensor[], target: SymTensor, logits: SymTensor, down: Set<number>):
  { dense: tf.layers.Layer } | { reason: string } {
  const head = order.filter((t) => down.has(t.id));
  const name = target.sourceLayer.name;
  const fix = `CAM over time needs ${name} -> TimeDistributed(GlobalAveragePooling2D) -> GlobalAveragePooling1D -> Dense ` +
    "(class scores). Use 'gradcam' or 'gradcam++', which apply to any clip model.";
  const cls = (t: SymTensor) => t.sourceLayer.getClassName();
  const inner = (t: SymTensor) => (t.sourceLayer as unknown as { layer?: tf.layers.Layer }).layer?.getClassName();
  const describe = (t: SymTensor) => `"${t.sourceLayer.name}" (${cls(t)}${inner(t) ? ` of ${inner(t)}` : ''})`;
  const chain = head.every((t, i) => t.inputs.length === 1 && t.inputs[0].id === (i === 0 ? target.id : head[i - 1].id));
  if (!chain) return { reason: `CAM is not applicable: the head after "${name}" is not a chain of layers. ${fix}` };
  const [space, time, ...rest] = head;
  if (!space || cls(space) !== 'TimeDistributed' || inner(space) !== 'GlobalAveragePooling2D') {
    return { reason: `CAM is not applicable: after "${name}" comes ${space ? describe(space) : 'nothing'}, not global average pooling over each frame. ${fix}` };
  }
  if (!time || cls(time) !== 'GlobalAveragePooling1D') {
    return { reason: `CAM is not applicable: after the per-frame pooling comes ${time ? describe(time) : 'nothing'}, not global average pooling over time. ${fix}` };
  }
  for (const t of rest) {
    if (cls(t) === 'Dense') {
      return t.id === logits.id ? { dense: t.sourceLayer }
        : { reason: `CAM is not applicable: ${describe(t)} is a hidden Dense layer between the pooling and the class scores. ${fix}` };
    }
    if (!PASS_THROUGH.has(cls(t))) return { reason: `CAM is not applicable: ${describe(t)} sits between the pooling and the class scores. ${fix}` };
  }
  return { reason: `CAM is not applicable: no Dense layer gives the class scores. ${fix}` };
}
