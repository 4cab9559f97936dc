/**
 * ResNet v1 (Keras applications ResNet50 / ResNet101): every conv has a bias, BatchNormalization
 * epsilon 1.001e-5, stride on the first 1x1 conv of a stage's first block, projection shortcut
 * `_0_conv` on the first block of every stage. Names: conv1_pad, conv1_conv, conv1_bn, conv1_relu,
 * pool1_pad, pool1_pool, conv{2..5}_block{i}_{0..3}_{conv,bn}, _{1,2}_relu, _add, _out, avg_pool,
 * predictions. 25,636,712 (ResNet50) and 44,707,176 (ResNet101) params at 224x224x3 / 1000 classes.
 */
import * as tf from '@tensorflow/tfjs';
import { apply, type BackboneOptions, gapHead, LayerKit, resolveOptions, scaleChannels } from './common.js';

const BN_EPSILON = 1.001e-5;

function conv(x: tf.SymbolicTensor, kit: LayerKit, filters: number, kernelSize: number, strides: number,
  name: string, padding: 'same' | 'valid' = 'valid'): tf.SymbolicTensor {
  return apply(tf.layers.conv2d({
    filters, kernelSize, strides, padding, useBias: true, kernelInitializer: kit.kernel('glorotUniform'), name,
  }), x);
}

function bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return apply(tf.layers.batchNormalization({ axis: 3, epsilon: BN_EPSILON, name }), x);
}

function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return apply(tf.layers.activation({ activation: 'relu', name }), x);
}

/** Keras resnet.residual_block_v1 (bottleneck, expansion 4). */
function block(x: tf.SymbolicTensor, kit: LayerKit, filters: number, stride: number, convShortcut: boolean,
  name: string): tf.SymbolicTensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = conv(x, kit, 4 * filters, 1, stride, `${name}_0_conv`);
    shortcut = bn(shortcut, `${name}_0_bn`);
  }
  let y = conv(x, kit, filters, 1, stride, `${name}_1_conv`);
  y = relu(bn(y, `${name}_1_bn`), `${name}_1_relu`);
  y = conv(y, kit, filters, 3, 1, `${name}_2_conv`, 'same');
  y = relu(bn(y, `${name}_2_bn`), `${name}_2_relu`);
  y = conv(y, kit, 4 * filters, 1, 1, `${name}_3_conv`);
  y = bn(y, `${name}_3_bn`);
  y = apply(tf.layers.add({ name: `${name}_add` }), [shortcut, y]);
  return relu(y, `${name}_out`);
}

function buildResNet(blocks: [number, number, number, number], defaultName: string,
  options: BackboneOptions): tf.LayersModel {
  const o = resolveOptions(options);
  const kit = new LayerKit(o);
  const input = tf.input({ shape: o.inputShape, name: 'input_layer' });
  let x = apply(tf.layers.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }), input);
  x = conv(x, kit, scaleChannels(64, o.width), 7, 2, 'conv1_conv');
  x = relu(bn(x, 'conv1_bn'), 'conv1_relu');
  x = apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);
  [64, 128, 256, 512].forEach((f, s) => {
    const filters = scaleChannels(f, o.width);
    const stage = `conv${s + 2}`;
    x = block(x, kit, filters, s === 0 ? 1 : 2, true, `${stage}_block1`);
    for (let i = 2; i <= blocks[s]; i++) x = block(x, kit, filters, 1, false, `${stage}_block${i}`);
  });
  // The Keras head is already GAP 'avg_pool' -> 'predictions': 'original' and 'gap' are the same.
  const out = gapHead(x, kit, 'glorotUniform', o.dropout ?? 0);
  return tf.model({ inputs: input, outputs: out, name: o.name ?? defaultName });
}

export function buildResNet50(options: BackboneOptions = {}): tf.LayersModel {
  return buildResNet([3, 4, 6, 3], 'resnet50', options);
}

export function buildResNet101(options: BackboneOptions = {}): tf.LayersModel {
  return buildResNet([3, 4, 23, 3], 'resnet101', options);
}
