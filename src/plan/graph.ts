/**
 * A LayersModel seen as a graph of symbolic tensors, executed eagerly layer by layer.
 *
 * Splitting at a target layer: tensors downstream of the target form the "head"; everything the head
 * reads that is not downstream of the target (skip connections) is computed once, with the target
 * output, in the "body" pass and held constant while the head runs under tf.grad.
 * Works the same on Sequential and functional models (branches, Add/Concatenate, shared inputs).
 */
import * as tf from '@tensorflow/tfjs';
import { UnsupportedModelError } from '../errors.js';

/** The parts of tfjs-layers' SymbolicTensor and Layer we use (public fields, typed loosely by tfjs). */
export interface SymTensor {
  readonly id: number;
  readonly name: string;
  readonly shape: (number | null)[];
  readonly inputs: SymTensor[];
  readonly sourceLayer: tf.layers.Layer;
  readonly tensorIndex?: number;
}

export interface Graph {
  readonly model: tf.LayersModel;
  readonly input: SymTensor;
  readonly output: SymTensor;
  /** Every tensor the output depends on, inputs first (topological order). */
  readonly order: SymTensor[];
}

function isInputLayer(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}

export function buildGraph(model: tf.LayersModel): Graph {
  // A GraphModel has `inputs` and `outputs` too (as plain descriptions): `layers` tells the kinds apart.
  // src/plan/plan.ts sends GraphModels to graph-plan.ts; this guards direct callers.
  if (!model || !Array.isArray((model as { layers?: unknown }).layers) || !Array.isArray(model.outputs)) {
    throw new UnsupportedModelError('Expected a tfjs LayersModel (tf.sequential, tf.model or tf.loadLayersModel) here; ' +
      'a GraphModel (tf.loadGraphModel) is explained node by node: pass it to createExplainer / explainWasm.');
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedModelError(`The model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; ` +
      'explanations need one image input and one class-score output.');
  }
  const input = model.inputs[0] as unknown as SymTensor;
  const output = model.outputs[0] as unknown as SymTensor;
  const order: SymTensor[] = [];
  const seen = new Set<number>();
  // Iterative post-order DFS (deep nets such as ResNet-101 would make a recursive one deep).
  const stack: [SymTensor, boolean][] = [[output, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (seen.has(t.id)) continue;
    if (expanded || isInputLayer(t.sourceLayer)) {
      seen.add(t.id);
      order.push(t);
      continue;
    }
    stack.push([t, true]);
    for (let i = t.inputs.length - 1; i >= 0; i--) if (!seen.has(t.inputs[i].id)) stack.push([t.inputs[i], false]);
  }
  return { model, input, output, order };
}

/** Ids of the tensors that depend on `from` (excluding `from` itself). */
export function downstreamOf(graph: Graph, from: SymTensor): Set<number> {
  const down = new Set<number>([from.id]);
  for (const t of graph.order) if (t.inputs.some((s) => down.has(s.id))) down.add(t.id);
  down.delete(from.id);
  return down;
}

/** Applies one layer to concrete tensors, inference mode. `override` replaces a layer's computation. */
export type LayerOverride = (layer: tf.layers.Layer, inputs: tf.Tensor[]) => tf.Tensor | null;

export function applyLayer(t: SymTensor, inputs: tf.Tensor[], override?: LayerOverride): tf.Tensor {
  const layer = t.sourceLayer;
  const replaced = override?.(layer, inputs);
  if (replaced) return replaced;
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out[t.tensorIndex ?? 0] : out;
}

/**
 * Evaluates `wanted` tensors given known values (`known`: symbolic id -> tensor), computing only what is
 * needed, in topological order. Intermediate tensors are left to the caller's tf.tidy.
 */
export function evaluate(graph: Graph, known: Map<number, tf.Tensor>, wanted: SymTensor[],
  override?: LayerOverride): tf.Tensor[] {
  const need = new Set<number>();
  const stack = [...wanted];
  while (stack.length) {
    const t = stack.pop()!;
    if (need.has(t.id) || known.has(t.id)) continue;
    need.add(t.id);
    if (isInputLayer(t.sourceLayer)) {
      throw new UnsupportedModelError(`Input "${t.name}" has no value.`);
    }
    stack.push(...t.inputs);
  }
  for (const t of graph.order) {
    if (!need.has(t.id) || known.has(t.id)) continue;
    known.set(t.id, applyLayer(t, t.inputs.map((s) => known.get(s.id)!), override));
  }
  return wanted.map((t) => known.get(t.id)!);
}
