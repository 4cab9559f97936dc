/**
 * VGG16 (Keras applications' layer names): block{1..5}_conv{1..3} (3x3, same, ReLU, with bias),
 * block{1..5}_pool (2x2 max, stride 2); original head flatten -> fc1 (4096, ReLU) -> fc2 (4096,
 * ReLU) -> predictions. 138,357,544 params at 224x224x3 / 1000 classes, as Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { apply, type BackboneOptions, gapHead, LayerKit, resolveOptions, scaleChannels } from './common.js';

const STAGES: Array<[filters: number, convs: number]> = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];

export function buildVGG16(options: BackboneOptions = {}): tf.LayersModel {
  const o = resolveOptions(options);
  const kit = new LayerKit(o);
  const input = tf.input({ shape: o.inputShape, name: 'input_layer' });
  let x: tf.SymbolicTensor = input;
  STAGES.forEach(([filters, convs], s) => {
    for (let i = 1; i <= convs; i++) {
      x = apply(tf.layers.conv2d({
        filters: scaleChannels(filters, o.width), kernelSize: 3, padding: 'same', activation: 'relu',
        kernelInitializer: kit.kernel('glorotUniform'), name: `block${s + 1}_conv${i}`,
      }), x);
    }
    // The 'gap' head pools the last conv block (block5_conv3) directly, so block5_pool is left out.
    if (s < STAGES.length - 1 || o.head === 'original') {
      x = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${s + 1}_pool` }), x);
    }
  });
  let out: tf.SymbolicTensor;
  if (o.head === 'original') {
    x = apply(tf.layers.flatten({ name: 'flatten' }), x);
    const fc = o.fcUnits ?? scaleChannels(4096, o.width);
    x = apply(tf.layers.dense({ units: fc, activation: 'relu', kernelInitializer: kit.kernel('glorotUniform'), name: 'fc1' }), x);
    x = apply(tf.layers.dense({ units: fc, activation: 'relu', kernelInitializer: kit.kernel('glorotUniform'), name: 'fc2' }), x);
    if ((o.dropout ?? 0) > 0) {
      x = apply(tf.layers.dropout({ rate: o.dropout!, seed: kit.nextSeed(), name: 'top_dropout' }), x);
    }
    out = apply(tf.layers.dense({
      units: o.classes, activation: o.classifierActivation, kernelInitializer: kit.kernel('glorotUniform'), name: 'predictions',
    }), x);
  } else {
    out = gapHead(x, kit, 'glorotUniform', o.dropout ?? 0);
  }
  return tf.model({ inputs: input, outputs: out, name: o.name ?? 'vgg16' });
}
