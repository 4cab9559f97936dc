/**
 * MobileNetV2 (Keras applications, alpha = options.width). Names: Conv1, bn_Conv1, Conv1_relu,
 * expanded_conv_{depthwise,depthwise_BN,depthwise_relu,project,project_BN}, block_{1..16}_{expand,
 * expand_BN, expand_relu, pad, depthwise, depthwise_BN, depthwise_relu, project, project_BN, add},
 * Conv_1, Conv_1_bn, out_relu; original head global_average_pooling2d -> predictions. Convs have
 * no bias; BatchNormalization epsilon 1e-3, momentum 0.999; ReLU6. 3,538,984 params at
 * 224x224x3 / 1000 classes, as Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { apply, type BackboneOptions, correctPad, gapHead, LayerKit, makeDivisible, resolveOptions } from './common.js';

function bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return apply(tf.layers.batchNormalization({ axis: 3, epsilon: 1e-3, momentum: 0.999, name }), x);
}

function relu6(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return apply(tf.layers.reLU({ maxValue: 6, name }), x);
}

function conv1x1(x: tf.SymbolicTensor, kit: LayerKit, filters: number, name: string): tf.SymbolicTensor {
  return apply(tf.layers.conv2d({
    filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: kit.kernel('glorotUniform'), name,
  }), x);
}

/** Keras mobilenet_v2._inverted_res_block. */
function invertedResBlock(inputs: tf.SymbolicTensor, kit: LayerKit, expansion: number, stride: number,
  alpha: number, filters: number, blockId: number): tf.SymbolicTensor {
  const inChannels = inputs.shape[3] as number;
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId) {
    x = conv1x1(x, kit, expansion * inChannels, `${prefix}expand`);
    x = relu6(bn(x, `${prefix}expand_BN`), `${prefix}expand_relu`);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
  x = apply(tf.layers.depthwiseConv2d({
    kernelSize: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false,
    depthwiseInitializer: kit.kernel('glorotUniform'), name: `${prefix}depthwise`,
  }), x);
  x = relu6(bn(x, `${prefix}depthwise_BN`), `${prefix}depthwise_relu`);
  x = conv1x1(x, kit, pointwiseFilters, `${prefix}project`);
  x = bn(x, `${prefix}project_BN`);
  if (inChannels === pointwiseFilters && stride === 1) return apply(tf.layers.add({ name: `${prefix}add` }), [inputs, x]);
  return x;
}

// [filters, stride, expansion] for block_id 0..16.
const BLOCKS: Array<[number, number, number]> = [
  [16, 1, 1],
  [24, 2, 6], [24, 1, 6],
  [32, 2, 6], [32, 1, 6], [32, 1, 6],
  [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
  [96, 1, 6], [96, 1, 6], [96, 1, 6],
  [160, 2, 6], [160, 1, 6], [160, 1, 6],
  [320, 1, 6],
];

export function buildMobileNetV2(options: BackboneOptions = {}): tf.LayersModel {
  const o = resolveOptions(options);
  const kit = new LayerKit(o);
  const alpha = o.width;
  const input = tf.input({ shape: o.inputShape, name: 'input_layer' });
  let x = apply(tf.layers.conv2d({
    filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: 2, padding: 'same', useBias: false,
    kernelInitializer: kit.kernel('glorotUniform'), name: 'Conv1',
  }), input);
  x = relu6(bn(x, 'bn_Conv1'), 'Conv1_relu');
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    x = invertedResBlock(x, kit, expansion, stride, alpha, filters, id);
  });
  // Keras: no alpha on the last conv unless alpha > 1 ("as stated in the paper").
  const lastFilters = alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = conv1x1(x, kit, lastFilters, 'Conv_1');
  x = relu6(bn(x, 'Conv_1_bn'), 'out_relu');
  const out = gapHead(x, kit, 'glorotUniform', o.dropout ?? 0,
    o.head === 'original' ? 'global_average_pooling2d' : 'avg_pool');
  const rows = o.inputShape[0];
  return tf.model({ inputs: input, outputs: out, name: o.name ?? `mobilenetv2_${alpha.toFixed(2)}_${rows}` });
}
