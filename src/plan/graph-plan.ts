/**
 * The Plan of a tf.GraphModel (tf.loadGraphModel: models converted from SavedModels and hubs).
 *
 * A graph model has no layers, only named nodes. The body executes the graph from the input to the target
 * node (and to every other node the head reads); the head executes it again from those nodes to the logit
 * node: `model.execute({[target]: A, ...skips}, logitNode)`, which tf.grad differentiates like any tfjs op.
 * The logits are the input of a final Softmax / Sigmoid node (Identity nodes around it are skipped).
 * Node shapes are not stored in graph-model files: one probe forward pass on zeros, at plan time, reads them.
 */
import * as tf from '@tensorflow/tfjs';
import { NoTargetLayerError, UnknownLayerError, UnsupportedModelError } from '../errors.js';
import type { BodyResult, CamHead, OutputActivation, Plan } from './plan.js';

/** The parts of tfjs-converter's parsed graph we read (GraphModel keeps it in `executor.graph`). */
interface GNode {
  readonly name: string;
  readonly op: string;
  readonly inputNames: string[];
  readonly children: GNode[];
  readonly attrParams: Record<string, { value: unknown } | undefined>;
}
interface GGraph { readonly nodes: Record<string, GNode> }

interface Probe { shape: number[]; dtype: string }

interface Analysis {
  readonly graph: GGraph;
  readonly weights: Record<string, tf.Tensor[]>;
  readonly input: { name: string; shape: (number | null)[]; dtype: tf.DataType };
  readonly logits: string;
  readonly outputActivation: OutputActivation;
  /** Non-weight ancestors of the logit node (the logit node included), topological order. */
  readonly order: GNode[];
  readonly shapes: Map<string, Probe>;
  /** Candidate targets, topological order. */
  readonly candidates: string[];
}

const SQUASH: Record<string, OutputActivation> = { Softmax: 'softmax', LogSoftmax: 'softmax', Sigmoid: 'sigmoid' };
/** Ops that pass a [1, K] feature vector on unchanged between the pooling and the final MatMul. */
const PASS_THROUGH = new Set(['Squeeze', 'Reshape', 'Identity']);

/** "name:1" -> ["name", 1]. */
function parseName(s: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(s);
  return m ? [m[1], Number(m[2])] : [s, 0];
}

function graphOf(model: tf.GraphModel): GGraph {
  const g = (model as unknown as { executor?: { graph?: GGraph } }).executor?.graph;
  if (!g || typeof g.nodes !== 'object') {
    throw new UnsupportedModelError('This tf.GraphModel exposes no parsed graph (executor.graph); it was made by a ' +
      `tfjs version this library does not know (tfjs ${tf.version.tfjs} is supported).`);
  }
  return g;
}

const analyses = new WeakMap<tf.GraphModel, Analysis>();

function analyse(model: tf.GraphModel): Analysis {
  const cached = analyses.get(model);
  if (cached) return cached;
  const graph = graphOf(model);
  const weights = model.weights as unknown as Record<string, tf.Tensor[]>;
  const isWeight = (n: GNode) => n.op === 'Const' || n.name in weights;
  if (model.inputs.length !== 1 || model.outputNodes.length !== 1) {
    throw new UnsupportedModelError(`The graph model has ${model.inputs.length} inputs and ${model.outputNodes.length} ` +
      'outputs; explanations need one image input and one class-score output.');
  }
  const inDesc = model.inputs[0];
  const input = {
    name: parseName(inDesc.name)[0],
    shape: (inDesc.shape ?? []).map((d) => (d == null || d < 0 ? null : d)),
    dtype: (inDesc.dtype ?? 'float32') as tf.DataType,
  };
  if (input.shape.length !== 4) {
    throw new UnsupportedModelError(`The graph model input "${input.name}" has shape [${input.shape.join(', ')}]; ` +
      'explanations need an image input [batch, H, W, C].');
  }

  // The logits: walk back from the output through Identity nodes and a final Softmax / Sigmoid.
  const node = (name: string): GNode => {
    const n = graph.nodes[parseName(name)[0]];
    if (!n) throw new UnsupportedModelError(`The graph model names a node "${name}" it does not contain.`);
    return n;
  };
  const firstInput = (n: GNode) => n.inputNames.find((s) => !s.startsWith('^'));
  let out = node(model.outputNodes[0]);
  const skipIdentity = () => { while (out.op === 'Identity' && firstInput(out)) out = node(firstInput(out)!); };
  skipIdentity();
  let outputActivation: OutputActivation = 'linear';
  if (SQUASH[out.op] && firstInput(out)) {
    outputActivation = SQUASH[out.op];
    out = node(firstInput(out)!);
    skipIdentity();
  }
  const logits = out.name;

  // Non-weight ancestors of the logits, topological (iterative post-order DFS).
  const order: GNode[] = [];
  const seen = new Set<string>();
  const stack: [GNode, boolean][] = [[out, false]];
  while (stack.length) {
    const [n, expanded] = stack.pop()!;
    if (seen.has(n.name)) continue;
    if (expanded) { seen.add(n.name); order.push(n); continue; }
    stack.push([n, true]);
    for (const s of n.inputNames) {
      if (s.startsWith('^')) continue;
      const m = node(s);
      if (!seen.has(m.name) && !isWeight(m)) stack.push([m, false]);
    }
  }
  if (!seen.has(input.name)) {
    throw new UnsupportedModelError(`The class scores (node "${logits}") do not depend on the input "${input.name}".`);
  }

  // Probe: shapes of every node, from one forward pass on zeros.
  const [, h, w, c] = input.shape;
  if (h == null || w == null || c == null) {
    throw new UnsupportedModelError(`The graph model input has an unknown size [${inDesc.shape?.join(', ')}]; ` +
      'convert the model with a fixed input size (H, W and C), so the target node has a known size.');
  }
  const names = order.filter((n) => n.name !== input.name).map((n) => n.name);
  const shapes = new Map<string, Probe>();
  tf.tidy(() => {
    let outs: tf.Tensor[];
    try {
      outs = asList(model.execute(tf.zeros([1, h, w, c], input.dtype), names));
    } catch (e) {
      throw new UnsupportedModelError(`The graph model cannot be executed synchronously node by node: ${(e as Error).message}`);
    }
    names.forEach((name, i) => shapes.set(name, { shape: outs[i].shape, dtype: outs[i].dtype }));
  });

  const candidates = order.filter((n) => {
    const p = shapes.get(n.name);
    return !!p && p.dtype === 'float32' && p.shape.length === 4 && p.shape[1] * p.shape[2] > 1;
  }).map((n) => n.name);
  const a: Analysis = { graph, weights, input, logits, outputActivation, order, shapes, candidates };
  analyses.set(model, a);
  return a;
}

export function graphCandidates(model: tf.GraphModel): string[] {
  return [...analyse(model).candidates];
}

export function makeGraphPlan(model: tf.GraphModel, layerName?: string): Plan {
  const an = analyse(model);
  const { graph, logits, input } = an;
  const logitShape = an.shapes.get(logits)!.shape;
  if (logitShape.length !== 2 || logitShape[0] !== 1) {
    throw new UnsupportedModelError(`The class scores (node "${logits}") have shape [${logitShape.join(', ')}] for one ` +
      'image; explanations need [batch, classes].');
  }
  let target: string | undefined;
  if (layerName == null) {
    target = an.candidates[an.candidates.length - 1];
    if (!target) {
      throw new NoTargetLayerError('The graph model has no node with a 4-D output of spatial size > 1 (a convolutional ' +
        'feature map) before the class scores, so there is nothing to localise. Explanations need a CNN.');
    }
  } else {
    target = parseName(layerName)[0];
    if (!an.candidates.includes(target)) throw new UnknownLayerError(layerName, an.candidates);
  }
  const [, camHeight, camWidth, channels] = an.shapes.get(target)!.shape;

  // The head: nodes downstream of the target that lead to the logits. Whatever else they read (skip
  // connections, shapes computed in the body) is computed in the body pass and fed back.
  const inHead = new Set<string>();
  const ancestors = new Set(an.order.map((n) => n.name));
  const todo = [graph.nodes[target]];
  while (todo.length) {
    for (const ch of todo.pop()!.children) {
      if (ancestors.has(ch.name) && !inHead.has(ch.name)) { inHead.add(ch.name); todo.push(ch); }
    }
  }
  const head = an.order.filter((n) => inHead.has(n.name));
  const skips: string[] = [];
  for (const n of head) {
    for (const s of n.inputNames) {
      const [name] = parseName(s);
      if (s.startsWith('^') || name === target || inHead.has(name) || !ancestors.has(name) || skips.includes(s)) continue;
      skips.push(s);
    }
  }

  const feedOf = (a: tf.Tensor, rest: tf.Tensor[]): tf.NamedTensorMap => {
    const feed: tf.NamedTensorMap = { [target!]: a };
    skips.forEach((s, i) => { feed[s] = rest[i]; });
    return feed;
  };
  return {
    kind: 'graph', layer: target, inputShape: input.shape, camHeight, camWidth, channels,
    numClasses: logitShape[1], outputActivation: an.outputActivation,
    cam: findCamHead(an, target, head),
    body(x: tf.Tensor4D): BodyResult {
      const outs = tf.tidy(() => {
        const xin = x.dtype === input.dtype ? x : tf.cast(x, input.dtype);
        const r = asList(model.execute(xin, [target!, ...skips]));
        // an output that is the input itself (a skip from the input) must outlive the caller's batch
        return r.map((t) => (t === x ? tf.clone(t) : t));
      });
      const [a, ...rest] = outs;
      return { a: a as tf.Tensor4D, skips: rest, dispose: () => tf.dispose(outs) };
    },
    head(body: BodyResult, a: tf.Tensor): tf.Tensor2D {
      return model.execute(feedOf(a, body.skips), logits) as tf.Tensor2D;
    },
  };
}

/** GraphModel.execute returns a Tensor for one requested output, an array for several. */
function asList(r: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(r) ? r : [r];
}

/** The constant value of a weight node, or null. */
function constOf(an: Analysis, name: string): tf.Tensor | null {
  return an.weights[parseName(name)[0]]?.[0] ?? null;
}

/**
 * CAM needs target -> global average pooling -> (Squeeze | Reshape | Identity)* -> MatMul [+ BiasAdd] = logits.
 * Global average pooling is a Mean over axes 1, 2, or an AvgPool whose window is the whole map (valid padding).
 */
function findCamHead(an: Analysis, target: string, head: GNode[]): CamHead | { reason: string } {
  const fix = `CAM needs the pattern ${target} -> Mean (global average pooling) -> MatMul (class scores). ` +
    `Use 'gradcam' or 'gradcam++', which apply to any model.`;
  const no = (why: string) => ({ reason: `CAM is not applicable: ${why}. ${fix}` });
  const [, h, w] = an.shapes.get(target)!.shape;
  const dataInputs = (n: GNode) => n.inputNames.filter((s) => !s.startsWith('^') && !constOf(an, s));
  let prev = target;
  let i = 0;
  const next = () => head[i++];
  const pool = next();
  if (!pool || dataInputs(pool).length !== 1 || parseName(dataInputs(pool)[0])[0] !== prev) {
    return no(`after "${target}" comes ${pool ? `"${pool.name}" (${pool.op})` : 'nothing'}, not global average pooling`);
  }
  if (pool.op === 'Mean') {
    const axes = constOf(an, pool.inputNames[1] ?? '');
    const ax = axes ? [...axes.dataSync()].map((v) => (v < 0 ? v + 4 : v)).sort() : [];
    if (ax.join() !== '1,2') return no(`"${pool.name}" (Mean) averages over axes [${ax.join(', ')}], not the spatial axes 1, 2`);
  } else if (pool.op === 'AvgPool') {
    const k = pool.attrParams.kernelSize?.value as number[] | undefined;
    const pad = pool.attrParams.pad?.value;
    if (!k || k[1] !== h || k[2] !== w || pad !== 'valid') return no(`"${pool.name}" (AvgPool) does not average the whole ${h} x ${w} map`);
  } else {
    return no(`after "${target}" comes "${pool.name}" (${pool.op}), not global average pooling`);
  }
  prev = pool.name;
  let n = next();
  while (n && PASS_THROUGH.has(n.op) && dataInputs(n).length === 1 && parseName(dataInputs(n)[0])[0] === prev) { prev = n.name; n = next(); }
  if (!n || (n.op !== 'MatMul' && n.op !== '_FusedMatMul') || parseName(n.inputNames[0])[0] !== prev) {
    return no(n ? `"${n.name}" (${n.op}) sits between the pooling and the class scores` : 'no MatMul gives the class scores');
  }
  const fused = (n.attrParams.fusedOps?.value as string[] | undefined) ?? [];
  const kernelT = constOf(an, n.inputNames[1] ?? '');
  if (!kernelT || kernelT.rank !== 2 || n.attrParams.transposeA?.value || fused.some((f) => f !== 'biasadd')) {
    return no(`"${n.name}" (${n.op}) is not a plain linear layer with a constant kernel`);
  }
  const bias = head[i];
  if (n.name !== an.logits && !(bias && bias.name === an.logits && (bias.op === 'BiasAdd' || bias.op === 'AddV2' || bias.op === 'Add') &&
    parseName(bias.inputNames[0])[0] === n.name && constOf(an, bias.inputNames[1] ?? ''))) {
    return no(`"${n.name}" (${n.op}) is a hidden linear layer, not the class scores`);
  }
  if (head.length !== (n.name === an.logits ? i : i + 1)) return no('the head after the pooling is not a chain');
  const transposeB = !!n.attrParams.transposeB?.value;
  return {
    kernel(): Float32Array {
      const v = kernelT.dataSync() as Float32Array;
      if (!transposeB) return v.slice();
      const [N, K] = kernelT.shape;
      const out = new Float32Array(K * N);
      for (let c = 0; c < N; c++) for (let k = 0; k < K; k++) out[k * N + c] = v[c * K + k];
      return out;
    },
  };
}
