/**
 * Shared pieces of the backbone builders: options, their defaults and checks, initializers with
 * per-layer seeds, width rounding, and the classification heads.
 */
import * as tf from '@tensorflow/tfjs';

/** A tfjs initializer object (the class itself is not exported under a public name). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Validates an initializer name early (at option time) so a typo fails before any layer is built. */
const KNOWN_INITIALIZERS = new Set(['zeros', 'ones', 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform',
  'leCunNormal', 'leCunUniform', 'randomNormal', 'randomUniform', 'truncatedNormal', 'varianceScaling']);

/**
 * 'original': the head of the Keras application (VGG16: block5_pool -> flatten -> fc1 -> fc2 ->
 * predictions; ResNets: avg_pool -> predictions; EfficientNetB0: avg_pool -> top_dropout ->
 * predictions; MobileNetV2: global_average_pooling2d -> predictions).
 * 'gap': default target layer -> GlobalAveragePooling2D 'avg_pool' -> Dropout 'top_dropout' (only if
 * dropout > 0) -> Dense 'predictions'. The layer feeding 'avg_pool' is then the default target layer,
 * which is what CAM needs (for VGG16 this drops block5_pool).
 */
export type HeadKind = 'original' | 'gap';

export interface BackboneOptions {
  /** [height, width, channels]; default [224, 224, 3]. Height and width >= 32. */
  inputShape?: [number, number, number];
  /** Units of the 'predictions' layer; default 1000. */
  classes?: number;
  /**
   * Width multiplier, default 1: same depth and blocks, channel counts scaled.
   * VGG16 / ResNets: max(8, round(c * width)) for every conv and fc width (ResNet block outputs
   * stay 4x their bottleneck width). EfficientNetB0: Keras's round_filters with
   * width_coefficient = width (multiple of 8, never more than 10% below c * width).
   * MobileNetV2: Keras's alpha = width (make_divisible by 8; Conv_1 keeps 1280 channels when
   * width <= 1, as Keras does).
   */
  width?: number;
  /** Default 'original'. */
  head?: HeadKind;
  /**
   * Rate of a Dropout 'top_dropout' right before 'predictions'. Default 0 (no layer), except the
   * original EfficientNetB0 head, whose Keras default is 0.2.
   */
  dropout?: number;
  /**
   * A tfjs initializer name for every conv, depthwise and dense kernel ('zeros', 'ones',
   * 'glorotUniform', 'heNormal', ... snake_case accepted). Default: Keras's own per model
   * (glorot_uniform; EfficientNet's variance-scaling ones). 'zeros' builds fast (tests).
   */
  kernelInitializer?: string;
  /** Seed for the random initializers and dropout layers (layer i gets seed + i). */
  seed?: number;
  /** Activation of 'predictions'; default 'softmax' (Keras's classifier_activation). */
  classifierActivation?: 'softmax' | 'linear';
  /** Model name; default the Keras one ('vgg16', 'resnet50', ...). */
  name?: string;
  /** Units of VGG16's fc1 and fc2 in the original head; default scaleChannels(4096, width). */
  fcUnits?: number;
}

export interface ResolvedOptions {
  inputShape: [number, number, number];
  classes: number;
  width: number;
  head: HeadKind;
  dropout: number | undefined;
  kernelInitializer: string | undefined;
  seed: number | undefined;
  classifierActivation: 'softmax' | 'linear';
  name: string | undefined;
  fcUnits: number | undefined;
}

export function resolveOptions(o: BackboneOptions = {}): ResolvedOptions {
  const inputShape = o.inputShape ?? [224, 224, 3];
  if (!Array.isArray(inputShape) || inputShape.length !== 3 ||
      !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  if (inputShape[0] < 32 || inputShape[1] < 32) {
    throw new Error(`inputShape height and width must be at least 32, got ${JSON.stringify(inputShape)}`);
  }
  const classes = o.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`classes must be a positive integer, got ${classes}`);
  const width = o.width ?? 1;
  if (!(typeof width === 'number' && Number.isFinite(width) && width > 0)) {
    throw new Error(`width must be a positive number, got ${width}`);
  }
  const head = o.head ?? 'original';
  if (head !== 'original' && head !== 'gap') throw new Error(`head must be 'original' or 'gap', got ${String(head)}`);
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) {
    throw new Error(`dropout must be in [0, 1), got ${o.dropout}`);
  }
  const classifierActivation = o.classifierActivation ?? 'softmax';
  if (classifierActivation !== 'softmax' && classifierActivation !== 'linear') {
    throw new Error(`classifierActivation must be 'softmax' or 'linear', got ${String(classifierActivation)}`);
  }
  const kernelInitializer = o.kernelInitializer === undefined ? undefined : camelInitializerName(o.kernelInitializer);
  if (kernelInitializer !== undefined && !KNOWN_INITIALIZERS.has(kernelInitializer)) {
    throw new Error(`Unknown kernelInitializer '${o.kernelInitializer}'; one of ${[...KNOWN_INITIALIZERS].join(', ')}`);
  }
  if (o.seed !== undefined && !Number.isFinite(o.seed)) throw new Error(`seed must be a finite number, got ${o.seed}`);
  if (o.fcUnits !== undefined && !(Number.isInteger(o.fcUnits) && o.fcUnits >= 1)) {
    throw new Error(`fcUnits must be a positive integer, got ${o.fcUnits}`);
  }
  return {
    inputShape: [inputShape[0], inputShape[1], inputShape[2]],
    classes, width, head, dropout: o.dropout,
    kernelInitializer,
    seed: o.seed, classifierActivation, name: o.name, fcUnits: o.fcUnits,
  };
}

function camelInitializerName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^lecun/, 'leCun');
}

/** Keras default kernel initializers a builder can ask for. */
export type KernelKind =
  | 'glorotUniform'
  /** EfficientNet CONV_KERNEL_INITIALIZER: VarianceScaling(2.0, fan_out, truncated_normal). */
  | 'effnetConv'
  /** EfficientNet DENSE_KERNEL_INITIALIZER: VarianceScaling(1/3, fan_out, uniform). */
  | 'effnetDense';

const SEEDED = new Set(['glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'leCunNormal', 'leCunUniform',
  'randomNormal', 'randomUniform', 'truncatedNormal', 'varianceScaling']);

/** Hands out kernel initializers and seeds, one seed per layer so layers differ. */
export class LayerKit {
  private counter = 0;
  constructor(readonly opts: ResolvedOptions) {}

  /** The next per-layer seed, or undefined when no seed was given. */
  nextSeed(): number | undefined {
    const i = this.counter++;
    return this.opts.seed === undefined ? undefined : this.opts.seed + i;
  }

  /** The kernel initializer of one layer: the user's choice, else Keras's default `kind`. */
  kernel(kind: KernelKind): Initializer {
    const seed = this.nextSeed();
    const name = this.opts.kernelInitializer;
    if (name !== undefined) return getSeeded(name, SEEDED.has(name) ? seed : undefined);
    switch (kind) {
      case 'glorotUniform': return tf.initializers.glorotUniform({ seed });
      case 'effnetConv':
        return tf.initializers.varianceScaling({ scale: 2.0, mode: 'fanOut', distribution: 'truncatedNormal', seed });
      case 'effnetDense':
        return tf.initializers.varianceScaling({ scale: 1.0 / 3.0, mode: 'fanOut', distribution: 'uniform', seed });
    }
  }
}

function getSeeded(name: string, seed: number | undefined): Initializer {
  const s = seed === undefined ? {} : { seed };
  const I = tf.initializers;
  switch (name) {
    case 'zeros': return I.zeros();
    case 'ones': return I.ones();
    case 'glorotUniform': return I.glorotUniform(s);
    case 'glorotNormal': return I.glorotNormal(s);
    case 'heNormal': return I.heNormal(s);
    case 'heUniform': return I.heUniform(s);
    case 'leCunNormal': return I.leCunNormal(s);
    case 'leCunUniform': return I.leCunUniform(s);
    case 'randomNormal': return I.randomNormal(s);
    case 'randomUniform': return I.randomUniform(s);
    case 'truncatedNormal': return I.truncatedNormal(s);
    case 'varianceScaling': return I.varianceScaling(s);
    default:
      throw new Error(`Unknown kernelInitializer '${name}' (use e.g. 'zeros', 'glorotUniform', 'heNormal')`);
  }
}

/** VGG / ResNet width rounding: max(8, round(c * width)); exact c at width 1. */
export function scaleChannels(c: number, width: number): number {
  return width === 1 ? c : Math.max(8, Math.round(c * width));
}

/** Keras's _make_divisible / EfficientNet round_filters (with the 10% guard). */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/**
 * Keras imagenet_utils.correct_pad: the ZeroPadding2D before a stride-2 'valid' conv, so the
 * output is ceil(size / 2) like 'same' but with the extra pixel at the bottom/right.
 */
export function correctPad(x: tf.SymbolicTensor, kernelSize: number): [[number, number], [number, number]] {
  const h = x.shape[1], w = x.shape[2];
  const adjH = h == null ? 1 : 1 - (h % 2);
  const adjW = w == null ? 1 : 1 - (w % 2);
  const c = Math.floor(kernelSize / 2);
  return [[c - adjH, c], [c - adjW, c]];
}

/** Calls a layer on one symbolic tensor (or a list for merge layers) and types the result. */
export function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** GAP 'avg_pool' (or `poolName`) -> optional Dropout 'top_dropout' -> Dense 'predictions'. */
export function gapHead(
  x: tf.SymbolicTensor, kit: LayerKit, kernel: KernelKind, dropout: number, poolName = 'avg_pool',
): tf.SymbolicTensor {
  const o = kit.opts;
  x = apply(tf.layers.globalAveragePooling2d({ name: poolName }), x);
  if (dropout > 0) x = apply(tf.layers.dropout({ rate: dropout, seed: kit.nextSeed(), name: 'top_dropout' }), x);
  return apply(tf.layers.dense({
    units: o.classes, activation: o.classifierActivation, kernelInitializer: kit.kernel(kernel), name: 'predictions',
  }), x);
}
