/**
 * Keras's preprocessing `Normalization` layer, which tfjs-layers lacks: y = (x - mean) /
 * max(sqrt(variance), 1e-7) along `axis` (default the last), or x * max(sqrt(variance), 1e-7) +
 * mean with `invert`. Without a `mean`/`variance` in the config it owns three non-trainable weights,
 * in Keras's order and names: `mean` and `variance` (one value per kept axis position; initialised
 * 0 and 1, so the layer starts as the identity) and a scalar int32 `count` (unused at inference,
 * kept for Keras's weight list). That is what makes Keras's EfficientNetB0 count 5,330,571 params:
 * 3 + 3 + 1 of them are here.
 *
 * Registered with tf.serialization.registerClass under the Keras class name 'Normalization', so
 * tf.loadLayersModel reloads our saved models, and reads a converted Keras model's layer too.
 */
import * as tf from '@tensorflow/tfjs';

const EPSILON = 1e-7; // keras.backend.epsilon()

export interface NormalizationArgs {
  axis?: number | number[] | null;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  invert?: boolean;
  name?: string;
  trainable?: boolean;
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  dtype?: tf.DataType;
}

type Shape = (number | null)[];

export class Normalization extends tf.layers.Layer {
  static className = 'Normalization';
  readonly axis: number[];
  readonly invert: boolean;
  private readonly inputMean: number | number[] | null;
  private readonly inputVariance: number | number[] | null;
  private meanVar: tf.LayerVariable | null = null;
  private varianceVar: tf.LayerVariable | null = null;
  private broadcastShape: number[] = [];

  constructor(args: NormalizationArgs = {}) {
    super(args);
    const axis = args.axis === undefined ? -1 : args.axis; // Keras: -1 by default; null = one value
    this.axis = axis == null ? [] : Array.isArray(axis) ? axis.slice() : [axis];
    this.invert = args.invert ?? false;
    this.inputMean = args.mean ?? null;
    this.inputVariance = args.variance ?? null;
    if ((this.inputMean === null) !== (this.inputVariance === null)) {
      throw new Error('Normalization: give both mean and variance, or neither.');
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const ndim = shape.length;
    const keep = this.axis.map((a) => (a < 0 ? a + ndim : a)).sort((a, b) => a - b);
    for (const d of keep) {
      if (d < 0 || d >= ndim) throw new Error(`Normalization: axis ${d} out of range for rank ${ndim}`);
      if (shape[d] == null) throw new Error(`Normalization: axis ${d} must have a known size`);
    }
    this.broadcastShape = shape.map((s, d) => (keep.includes(d) ? (s as number) : 1));
    const weightShape = keep.map((d) => shape[d] as number);
    if (this.inputMean === null) {
      this.meanVar = this.addWeight('mean', weightShape, 'float32', tf.initializers.zeros(), undefined, false);
      this.varianceVar = this.addWeight('variance', weightShape, 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'int32', tf.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      let mean: tf.Tensor, variance: tf.Tensor;
      if (this.meanVar && this.varianceVar) {
        mean = this.meanVar.read().reshape(this.broadcastShape);
        variance = this.varianceVar.read().reshape(this.broadcastShape);
      } else {
        mean = constantLike(this.inputMean!, this.broadcastShape);
        variance = constantLike(this.inputVariance!, this.broadcastShape);
      }
      const std = tf.maximum(tf.sqrt(variance), EPSILON);
      return this.invert ? tf.add(tf.mul(x, std), mean) : tf.div(tf.sub(x, mean), std);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: this.axis.length === 1 ? this.axis[0] : this.axis,
      mean: this.inputMean,
      variance: this.inputVariance,
      invert: this.invert,
    };
  }
}

/** A scalar or a per-kept-axis list as a tensor of the broadcast shape. */
function constantLike(v: number | number[], broadcastShape: number[]): tf.Tensor {
  if (typeof v === 'number') return tf.fill(broadcastShape, v);
  return tf.tensor(v).reshape(broadcastShape);
}

tf.serialization.registerClass(Normalization);

/** Builds a Normalization layer over the last axis (Keras's default). */
export function normalization(args: NormalizationArgs = {}): Normalization {
  return new Normalization(args);
}
