/**
 * EfficientNetB0 (Keras applications; width_coefficient = options.width, depth_coefficient 1).
 * Stem: rescaling (1/255) -> normalization (our registered Normalization layer: mean/variance/count,
 * the 7 non-trainable params of Keras's count; identity until set) -> stem_conv_pad -> stem_conv
 * (3x3/2, no bias) -> stem_bn -> stem_activation (swish).
 * Blocks block{1..7}{a,b,..}_: [expand_conv -> expand_bn -> expand_activation] -> [dwconv_pad] ->
 * dwconv -> bn -> activation -> se_squeeze (GAP) -> se_reshape -> se_reduce (1x1, swish) ->
 * se_expand (1x1, sigmoid) -> se_excite (multiply) -> project_conv -> project_bn -> [drop -> add].
 * The drop-connect is Keras's own: Dropout(rate 0.2 * b / 16, noiseShape [null, 1, 1, 1]) named
 * `<block>drop` before the residual add (a no-op at inference).
 * Top: top_conv (1x1, 1280) -> top_bn -> top_activation; original head avg_pool -> top_dropout
 * (0.2) -> predictions. 5,330,571 params at 224x224x3 / 1000 classes, as Keras.
 * Keras's `weights='imagenet'` adds one more Rescaling (1/sqrt(std)) and sets the normalization
 * mean/variance; with random weights (what we build) it has neither, and neither do we.
 */
import * as tf from '@tensorflow/tfjs';
import { apply, type BackboneOptions, correctPad, gapHead, LayerKit, makeDivisible, resolveOptions } from './common.js';
import { normalization } from './normalization.js';

interface BlockArgs {
  kernelSize: number; repeats: number; filtersIn: number; filtersOut: number;
  expandRatio: number; strides: number; seRatio: number;
}

// Keras DEFAULT_BLOCKS_ARGS (id_skip is True everywhere).
const BLOCKS: BlockArgs[] = [
  { kernelSize: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, strides: 1, seRatio: 0.25 },
  { kernelSize: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, strides: 1, seRatio: 0.25 },
  { kernelSize: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, strides: 1, seRatio: 0.25 },
];

const DROP_CONNECT_RATE = 0.2;
const TOP_DROPOUT = 0.2;
const ACT = 'swish';

function bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return apply(tf.layers.batchNormalization({ axis: 3, name }), x);
}

function act(x: tf.SymbolicTensor, name: string, activation: 'swish' | 'sigmoid' = ACT): tf.SymbolicTensor {
  return apply(tf.layers.activation({ activation, name }), x);
}

function conv1x1(x: tf.SymbolicTensor, kit: LayerKit, filters: number, name: string, useBias = false,
  activation?: 'swish' | 'sigmoid'): tf.SymbolicTensor {
  return apply(tf.layers.conv2d({
    filters, kernelSize: 1, padding: 'same', useBias, activation, kernelInitializer: kit.kernel('effnetConv'), name,
  }), x);
}

/** Keras efficientnet.block: an MBConv inverted residual block with squeeze-and-excitation. */
function block(inputs: tf.SymbolicTensor, kit: LayerKit, dropRate: number, name: string,
  a: { filtersIn: number; filtersOut: number; kernelSize: number; strides: number; expandRatio: number; seRatio: number }):
  tf.SymbolicTensor {
  const filters = a.filtersIn * a.expandRatio;
  let x = inputs;
  if (a.expandRatio !== 1) {
    x = conv1x1(x, kit, filters, `${name}expand_conv`);
    x = act(bn(x, `${name}expand_bn`), `${name}expand_activation`);
  }
  let pad: 'same' | 'valid' = 'same';
  if (a.strides === 2) {
    x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, a.kernelSize), name: `${name}dwconv_pad` }), x);
    pad = 'valid';
  }
  x = apply(tf.layers.depthwiseConv2d({
    kernelSize: a.kernelSize, strides: a.strides, padding: pad, useBias: false,
    depthwiseInitializer: kit.kernel('effnetConv'), name: `${name}dwconv`,
  }), x);
  x = act(bn(x, `${name}bn`), `${name}activation`);
  if (a.seRatio > 0 && a.seRatio <= 1) {
    const filtersSe = Math.max(1, Math.floor(a.filtersIn * a.seRatio));
    let se = apply(tf.layers.globalAveragePooling2d({ name: `${name}se_squeeze` }), x);
    se = apply(tf.layers.reshape({ targetShape: [1, 1, filters], name: `${name}se_reshape` }), se);
    se = conv1x1(se, kit, filtersSe, `${name}se_reduce`, true, 'swish');
    se = conv1x1(se, kit, filters, `${name}se_expand`, true, 'sigmoid');
    x = apply(tf.layers.multiply({ name: `${name}se_excite` }), [x, se]);
  }
  x = conv1x1(x, kit, a.filtersOut, `${name}project_conv`);
  x = bn(x, `${name}project_bn`);
  if (a.strides === 1 && a.filtersIn === a.filtersOut) {
    if (dropRate > 0) {
      x = apply(tf.layers.dropout({ rate: dropRate, noiseShape: [null, 1, 1, 1] as unknown as number[],
        seed: kit.nextSeed(), name: `${name}drop` }), x);
    }
    x = apply(tf.layers.add({ name: `${name}add` }), [x, inputs]);
  }
  return x;
}

export function buildEfficientNetB0(options: BackboneOptions = {}): tf.LayersModel {
  const o = resolveOptions(options);
  const kit = new LayerKit(o);
  const roundFilters = (f: number) => makeDivisible(f * o.width, 8);
  const input = tf.input({ shape: o.inputShape, name: 'input_layer' });
  let x = apply(tf.layers.rescaling({ scale: 1 / 255, name: 'rescaling' }), input);
  x = apply(normalization({ axis: -1, name: 'normalization' }), x);
  x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: 'stem_conv_pad' }), x);
  x = apply(tf.layers.conv2d({
    filters: roundFilters(32), kernelSize: 3, strides: 2, padding: 'valid', useBias: false,
    kernelInitializer: kit.kernel('effnetConv'), name: 'stem_conv',
  }), x);
  x = act(bn(x, 'stem_bn'), 'stem_activation');

  const total = BLOCKS.reduce((n, b) => n + b.repeats, 0);
  let b = 0;
  BLOCKS.forEach((args, i) => {
    let filtersIn = roundFilters(args.filtersIn);
    const filtersOut = roundFilters(args.filtersOut);
    let strides = args.strides;
    for (let j = 0; j < args.repeats; j++) {
      if (j > 0) { strides = 1; filtersIn = filtersOut; }
      x = block(x, kit, (DROP_CONNECT_RATE * b) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`, {
        filtersIn, filtersOut, kernelSize: args.kernelSize, strides, expandRatio: args.expandRatio, seRatio: args.seRatio,
      });
      b++;
    }
  });

  x = conv1x1(x, kit, roundFilters(1280), 'top_conv');
  x = act(bn(x, 'top_bn'), 'top_activation');
  const dropout = o.dropout ?? (o.head === 'original' ? TOP_DROPOUT : 0);
  const out = gapHead(x, kit, 'effnetDense', dropout);
  return tf.model({ inputs: input, outputs: out, name: o.name ?? 'efficientnetb0' });
}
