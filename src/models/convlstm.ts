/**
 * A small ConvLSTM classifier of clips [T, H, W, C] (Shi et al., "Convolutional LSTM Network", NeurIPS 2015):
 *
 *   input [T,H,W,C]
 *   -> stem: per frame (timeDistributed) conv 3x3 stride 2 'stem_conv1' -> conv 3x3 stride 2 'stem_conv2' (ReLU)
 *      (or, with stem 'vgg' / 'vgg3' / 'vgg4', VGG16's blocks 1-2 / 1-3 / 1-4) -> BatchNorm 'stem_bn'
 *   -> ConvLSTM2D 'convlstm' (3x3, 'same', returnSequences: true)          output [T, H/4, W/4, K]
 *      (or, with bidirectional, the same both ways, concatenated: [T, H/4, W/4, 2K])
 *   -> per frame conv 3x3 'post_conv' (ReLU) -> BatchNorm 'post_bn'         output [T, H/4, W/4, P]
 *   -> (with pool 'gated': times a 1 x 1 sigmoid convolution 'gate' of itself, 'gated')
 *   -> global average (or, with pool 'max', max) pooling over space ('frame_pool', per frame) and time ('time_pool')
 *   -> Dense 'predictions' (softmax).
 *
 * The default explanation target is 'convlstm' (CONVLSTM_TARGET): its output sequence [T, h, w, K] with
 * h = H/4, w = W/4, K = max(8, round(32 width)) (16 x 16 x K per frame for 64 x 64 frames). Grad-CAM over time takes its
 * gradients through 'post_conv', 'post_bn' and the pooling. Without the BatchNorms the pooled features
 * started near 6e-3 (digits cover a few percent of T x h x w) and training sat at chance.
 *
 * Width: `width` scales every channel count (stem 16/32, ConvLSTM 32, post 64 at width 1) as
 * max(8, round(c * width)). 64 x 64 x 3 frames: 98,474 parameters at width 1, 25,050 at width 0.5 (the trained
 * models/convlstm-clips). Stride-2 convolutions rather than pooling in the stem: on the wasm backend every
 * time-distributed layer costs a transpose and an unstack of the whole sequence, so fewer layers train faster.
 */
import * as tf from '@tensorflow/tfjs';
import { apply, LayerKit, resolveOptions, scaleChannels, type BackboneOptions } from './common.js';

/** The ConvLSTM layer: the default target of sequence explanations. */
export const CONVLSTM_TARGET = 'convlstm';

export interface ConvLstmOptions extends Omit<BackboneOptions, 'inputShape' | 'head' | 'fcUnits'> {
  /** [frames, height, width, channels]; default [10, 64, 64, 3]. Height and width divisible by 4, >= 16. */
  inputShape?: [number, number, number, number];
  /**
   * The per-frame stem before the ConvLSTM (both reduce by 4): 'strided' (default) two 3x3 stride-2 convolutions;
   * 'vgg' VGG16's blocks 1-2 at width 0.125 (conv 8, conv 8, max pool, conv 16, conv 16, max pool; the layer names
   * of VGG16, so training can copy them from the 64-px vgg16-digits model and keep them frozen); 'vgg3' blocks 1-3
   * (+ conv 32 x 3, max pool: the ConvLSTM at an eighth of the frame, height and width multiples of 8); 'vgg4'
   * blocks 1-3 and block 4's three convolutions (conv 64 x 3, no pool: still an eighth of the frame, but features
   * that already name the digit).
   */
  stem?: ConvLstmStem;
  /**
   * The global pooling over space (per frame) and then over time: 'avg' (default; CAM over time applies) or 'max'
   * (the strongest response wins, so a digit seen in 3 of 10 frames is not averaged away; CAM does not apply) or
   * 'gated' (the average of post_bn's features times a per-position gate, a 1 x 1 convolution with a sigmoid
   * 'gate': features of digits that are not the target can be switched off before the pooling blends them; CAM
   * applies at the layer 'gated').
   */
  pool?: ConvLstmPool;
  /**
   * true: the ConvLSTM reads the clip both ways (Bidirectional, the forward and backward output sequences
   * concatenated per frame: K channels each, 2K in all; still named 'convlstm'), so every frame's features know
   * the whole clip (whether a digit enters or leaves later). Default false.
   */
  bidirectional?: boolean;
}
/** The global poolings, in the order of the options' docs. */
export const CONVLSTM_POOLS = ['avg', 'max', 'gated'] as const;
export type ConvLstmPool = (typeof CONVLSTM_POOLS)[number];
/** The stems, in the order of the options' docs. */
export const CONVLSTM_STEMS = ['strided', 'vgg', 'vgg3', 'vgg4'] as const;
export type ConvLstmStem = (typeof CONVLSTM_STEMS)[number];
/** VGG16's blocks 1-4 at width 0.125: the channel counts of models/vgg16-digits (0: the block's max pool). */
const VGG_BLOCKS = [
  [['block1_conv1', 8], ['block1_conv2', 8], ['block1_pool', 0]],
  [['block2_conv1', 16], ['block2_conv2', 16], ['block2_pool', 0]],
  [['block3_conv1', 32], ['block3_conv2', 32], ['block3_conv3', 32], ['block3_pool', 0]],
  [['block4_conv1', 64], ['block4_conv2', 64], ['block4_conv3', 64]],
] as const;
/** How many of VGG_BLOCKS each VGG stem takes. */
const VGG_STEM_BLOCKS = { vgg: 2, vgg3: 3, vgg4: 4 } as const;

const CHANNELS = { stem1: 16, stem2: 32, lstm: 32, post: 64 } as const;
/**
 * BatchNorm momentum (train() sets 0.9 on plain BatchNormalization layers; these sit inside TimeDistributed
 * wrappers, so the builder sets it). Tfjs-layers' BatchNormalization takes rank <= 4, hence per frame.
 */
const BN_MOMENTUM = 0.9;

export function buildConvLstm(options: ConvLstmOptions = {}): tf.LayersModel {
  const shape = options.inputShape ?? [10, 64, 64, 3];
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`inputShape must be [frames, height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [T, H, W, C] = shape;
  if (H < 16 || W < 16 || H % 4 !== 0 || W % 4 !== 0) {
    throw new Error(`the frames' height and width must be multiples of 4 and at least 16, got ${H} x ${W}`);
  }
  // the frame options are checked like a backbone's (width, classes, initializer, seed, activation)
  const o = resolveOptions({ ...options, classes: options.classes ?? 10, inputShape: [Math.max(H, 32), Math.max(W, 32), C], head: 'gap' });
  const kit = new LayerKit(o);
  const ch = (c: number) => scaleChannels(c, o.width);
  const perFrame = (layer: tf.layers.Layer, name: string) => tf.layers.timeDistributed({ layer, name });
  const conv = (filters: number, name: string, strides = 1) => tf.layers.conv2d({
    filters, kernelSize: 3, strides, padding: 'same', activation: 'relu', kernelInitializer: kit.kernel('glorotUniform'), name: `${name}_inner`,
  });
  const input = tf.input({ shape: [T, H, W, C], name: 'input_layer' });
  let x: tf.SymbolicTensor = input;
  const stem = options.stem ?? 'strided';
  if (stem === 'vgg' || stem === 'vgg3' || stem === 'vgg4') {
    if (stem !== 'vgg' && (H % 8 !== 0 || W % 8 !== 0)) throw new Error(`stem '${stem}' needs height and width multiples of 8, got ${H} x ${W}`);
    for (const [name, filters] of VGG_BLOCKS.slice(0, VGG_STEM_BLOCKS[stem]).flat()) {
      x = apply(perFrame(filters ? conv(filters, name) : tf.layers.maxPooling2d({ poolSize: 2, name: `${name}_inner` }), name), x);
    }
  } else if (stem === 'strided') {
    x = apply(perFrame(conv(ch(CHANNELS.stem1), 'stem_conv1', 2), 'stem_conv1'), x);
    x = apply(perFrame(conv(ch(CHANNELS.stem2), 'stem_conv2', 2), 'stem_conv2'), x);
  } else {
    throw new Error(`stem must be one of ${CONVLSTM_STEMS.join(', ')}; got ${JSON.stringify(stem)}`);
  }
  x = apply(perFrame(tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: 'stem_bn_inner' }), 'stem_bn'), x);
  if (options.bidirectional !== undefined && typeof options.bidirectional !== 'boolean') {
    throw new Error(`bidirectional must be true or false; got ${JSON.stringify(options.bidirectional)}`);
  }
  const recurrentSeed = kit.nextSeed();
  const lstm = tf.layers.convLstm2d({
    filters: ch(CHANNELS.lstm), kernelSize: 3, padding: 'same', returnSequences: true, name: CONVLSTM_TARGET,
    kernelInitializer: kit.kernel('glorotUniform'),
    // orthogonal (the Keras default) is slow for kernels above 2,000 elements in tfjs; a seeded glorot instead
    recurrentInitializer: o.kernelInitializer === 'zeros' ? 'zeros' : tf.initializers.glorotUniform({ seed: recurrentSeed }),
  });
  x = apply(options.bidirectional
    ? tf.layers.bidirectional({ layer: lstm as unknown as tf.RNN, mergeMode: 'concat', name: CONVLSTM_TARGET })
    : lstm, x);
  x = apply(perFrame(conv(ch(CHANNELS.post), 'post_conv'), 'post_conv'), x);
  x = apply(perFrame(tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: 'post_bn_inner' }), 'post_bn'), x);
  const pool = options.pool ?? 'avg';
  if (!CONVLSTM_POOLS.includes(pool)) throw new Error(`pool must be one of ${CONVLSTM_POOLS.join(', ')}; got ${JSON.stringify(pool)}`);
  if (pool === 'gated') {
    const gate = apply(perFrame(tf.layers.conv2d({
      filters: 1, kernelSize: 1, activation: 'sigmoid', kernelInitializer: kit.kernel('glorotUniform'), name: 'gate_inner',
    }), 'gate'), x);
    x = apply(tf.layers.multiply({ name: 'gated' }), [x, gate]);
  }
  const [space, time] = pool !== 'max'
    ? [tf.layers.globalAveragePooling2d({ name: 'frame_pool_inner' }), tf.layers.globalAveragePooling1d({ name: 'time_pool' })]
    : [tf.layers.globalMaxPooling2d({ name: 'frame_pool_inner' }), tf.layers.globalMaxPooling1d({ name: 'time_pool' })];
  x = apply(perFrame(space, 'frame_pool'), x);
  x = apply(time, x);
  if ((o.dropout ?? 0) > 0) x = apply(tf.layers.dropout({ rate: o.dropout!, seed: kit.nextSeed(), name: 'top_dropout' }), x);
  const out = apply(tf.layers.dense({
    units: o.classes, activation: o.classifierActivation,
    kernelInitializer: kit.kernel('glorotUniform'), name: 'predictions',
  }), x);
  return tf.model({ inputs: input, outputs: out, name: o.name ?? 'convlstm' });
}
