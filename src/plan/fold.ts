/**
 * BatchNorm folding for inference (Ioffe & Szegedy 2015, Alg. 2: at inference BN is the affine map
 * y = gamma * (x - mean) / sqrt(var + eps) + beta). A convolution x -> W * x + b followed by such a BN is one
 * convolution with
 *   W'[..., c] = W[..., c] * s_c,   b'_c = (b_c - mean_c) * s_c + beta_c,   s_c = gamma_c / sqrt(var_c + eps)
 * (Conv2D: c is the output channel; DepthwiseConv2D: c = input channel * multiplier + m). A following ReLU /
 * ReLU6 runs fused into the same tfjs kernel (tf.fused.conv2d / depthwiseConv2d with bias and activation).
 *
 * The folded weights are computed once from the model's current weights, owned here (dispose()), and computed
 * again if a source weight was reassigned since (training, setWeights): the model itself is never modified.
 * Folded where it is exact in structure: the conv has a linear activation, channels-last data, 'same' or
 * 'valid' padding (Conv2D) or no dilation (DepthwiseConv2D), one call site; the BN normalises the last axis and
 * reads only that conv's output, which nothing else reads; neither tensor must keep its own value (the target,
 * a skip tensor, the logits). Results equal the unfolded layers to float32 rounding (test/fold.test.ts: 1e-4).
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph, LayerOverride, SymTensor } from './graph.js';

type Act = 'linear' | 'relu' | 'relu6';

interface Weight { read(): tf.Tensor }
interface ConvLayer extends tf.layers.Layer {
  kernel?: Weight; depthwiseKernel?: Weight; bias?: Weight | null;
  strides: [number, number]; padding: string; dilationRate: number | [number, number]; dataFormat: string;
  depthMultiplier?: number; rank?: number; activation?: { getClassName(): string };
}
interface BnLayer extends tf.layers.Layer {
  axis: number; epsilon: number; center: boolean; scale: boolean;
  movingMean: Weight; movingVariance: Weight; gamma?: Weight | null; beta?: Weight | null;
}

/** One conv -> BN (-> ReLU/ReLU6) chain folded into one fused convolution. */
export interface FoldSite {
  readonly conv: tf.layers.Layer;
  readonly bn: tf.layers.Layer;
  /** The activation layer run fused into the convolution, if any. */
  readonly act: tf.layers.Layer | null;
  readonly activation: Act;
  /** Symbolic ids of the conv, BN and activation outputs. */
  readonly ids: readonly number[];
}

export interface Folding {
  readonly sites: readonly FoldSite[];
  /** Runs the folded convolutions; the folded BN and activation layers pass their input through. */
  readonly override: LayerOverride;
  /** Frees the folded weights (they are computed again if used after). */
  dispose(): void;
}

const callSites = (layer: tf.layers.Layer) => (layer as unknown as { inboundNodes: unknown[] }).inboundNodes.length;
const isLinear = (l: ConvLayer) => !l.activation || l.activation.getClassName().toLowerCase() === 'linear';
const dil = (d: number | [number, number] | undefined) => (d == null ? [1, 1] : typeof d === 'number' ? [d, d] : d);

function foldableConv(layer: tf.layers.Layer): boolean {
  const l = layer as ConvLayer;
  const cls = layer.getClassName();
  if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') return false;
  if (callSites(layer) !== 1 || !isLinear(l) || l.dataFormat !== 'channelsLast') return false;
  if (l.padding !== 'same' && l.padding !== 'valid') return false;
  // tfjs-layers runs DepthwiseConv2D without its dilation rate: fold only where that question does not arise
  if (cls === 'DepthwiseConv2D') return dil(l.dilationRate).every((d) => d === 1);
  return l.rank == null || l.rank === 2;
}

function fusedActivation(layer: tf.layers.Layer): Act | null {
  if (callSites(layer) !== 1) return null;
  const cls = layer.getClassName();
  if (cls === 'ReLU') {
    const max = (layer as unknown as { maxValue?: number | null }).maxValue;
    return max == null ? 'relu' : max === 6 ? 'relu6' : null;
  }
  if (cls === 'Activation') {
    const name = (layer as unknown as { activation?: { getClassName(): string } }).activation?.getClassName().toLowerCase();
    return name === 'relu' || name === 'relu6' ? name : null;
  }
  return null;
}

/**
 * The conv -> BN (-> ReLU) chains of `graph` that can be folded. `keep`: ids of tensors whose own value is read
 * from outside the layers (the target, skip tensors, the logits): a chain never swallows one of them.
 */
export function findFoldSites(graph: Graph, keep: ReadonlySet<number>): FoldSite[] {
  const readers = new Map<number, SymTensor[]>();
  for (const t of graph.order) for (const s of t.inputs) readers.set(s.id, [...(readers.get(s.id) ?? []), t]);
  const only = (t: SymTensor) => {
    const r = readers.get(t.id) ?? [];
    return r.length === 1 && !keep.has(t.id) ? r[0] : null;
  };
  const sites: FoldSite[] = [];
  for (const c of graph.order) {
    if (!foldableConv(c.sourceLayer)) continue;
    const b = only(c);
    if (!b || b.sourceLayer.getClassName() !== 'BatchNormalization' || b.inputs.length !== 1 || callSites(b.sourceLayer) !== 1) continue;
    const bn = b.sourceLayer as BnLayer;
    if (bn.axis !== -1 && bn.axis !== c.shape.length - 1) continue;
    const r = only(b);
    const activation = r ? fusedActivation(r.sourceLayer) : null;
    sites.push({
      conv: c.sourceLayer, bn, act: activation ? r!.sourceLayer : null, activation: activation ?? 'linear',
      ids: activation ? [c.id, b.id, r!.id] : [c.id, b.id],
    });
  }
  return sites;
}

/** W' and b' of one site (tensors owned by the caller). */
export function foldWeights(site: FoldSite): { filter: tf.Tensor4D; bias: tf.Tensor1D } {
  const conv = site.conv as ConvLayer;
  const bn = site.bn as BnLayer;
  return tf.tidy(() => {
    const mean = bn.movingMean.read();
    let s = tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon));
    if (bn.scale && bn.gamma) s = tf.mul(s, bn.gamma.read());
    const w = (conv.kernel ?? conv.depthwiseKernel)!.read() as tf.Tensor4D;
    // depthwise: output channel c * multiplier + m scales kernel[.., c, m]
    const filter = tf.mul(w, conv.depthwiseKernel ? tf.reshape(s, [w.shape[2], w.shape[3]]) : s) as tf.Tensor4D;
    let bias = tf.mul(conv.bias ? tf.sub(conv.bias.read(), mean) : tf.neg(mean), s);
    if (bn.center && bn.beta) bias = tf.add(bias, bn.beta.read());
    return { filter, bias: bias as tf.Tensor1D };
  });
}

/** The weights a site's fold is computed from (a reassigned weight gets a new tensor). */
function sources(site: FoldSite): tf.Tensor[] {
  const conv = site.conv as ConvLayer;
  const bn = site.bn as BnLayer;
  return [conv.kernel ?? conv.depthwiseKernel, conv.bias, bn.movingMean, bn.movingVariance, bn.gamma, bn.beta]
    .filter((w): w is Weight => w != null).map((w) => w.read());
}

export function makeFolding(graph: Graph, keep: ReadonlySet<number>): Folding {
  const sites = findFoldSites(graph, keep);
  const byConv = new Map<tf.layers.Layer, FoldSite>();
  const through = new Set<tf.layers.Layer>();
  for (const s of sites) {
    byConv.set(s.conv, s);
    through.add(s.bn);
    if (s.act) through.add(s.act);
  }
  // folded weights per site, with the source tensors' data they were computed from
  const cache = new Map<FoldSite, { filter: tf.Tensor4D; bias: tf.Tensor1D; from: object[] }>();
  const weightsOf = (site: FoldSite) => {
    const from = sources(site).map((t) => t.dataId);
    let c = cache.get(site);
    if (c && (c.from.length !== from.length || c.from.some((d, i) => d !== from[i]))) {
      tf.dispose([c.filter, c.bias]);
      c = undefined;
    }
    if (!c) {
      // kept out of the caller's tf.tidy: they live as long as this Folding
      c = { ...foldWeights(site), from };
      tf.keep(c.filter);
      tf.keep(c.bias);
      cache.set(site, c);
    }
    return c;
  };
  for (const s of sites) weightsOf(s);
  const override: LayerOverride = (layer, inputs) => {
    if (through.has(layer)) return inputs[0];
    const site = byConv.get(layer);
    if (!site) return null;
    const { filter, bias } = weightsOf(site);
    const conv = layer as ConvLayer;
    const pad = conv.padding as 'same' | 'valid';
    const args = { x: inputs[0] as tf.Tensor4D, filter, strides: conv.strides, pad, bias, activation: site.activation };
    return conv.depthwiseKernel
      ? tf.fused.depthwiseConv2d(args)
      : tf.fused.conv2d({ ...args, dilations: dil(conv.dilationRate) as [number, number] });
  };
  return {
    sites, override,
    dispose() {
      for (const c of cache.values()) tf.dispose([c.filter, c.bias]);
      cache.clear();
    },
  };
}
