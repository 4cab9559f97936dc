/**
 * Image inputs: a tf.Tensor3D (H x W x C), a Tensor4D batch of one, or an ImageData-like object
 * {data, width, height} of RGBA bytes. Validated and turned into a float32 [1, H, W, C] batch.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from './errors.js';

export interface ImageDataLike {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

export type ImageInput = tf.Tensor3D | tf.Tensor4D | ImageDataLike;

/** A user preprocessing step: receives the float32 [1, H, W, C] batch (pixel values as given; RGBA bytes become 0..255 RGB). */
export type Preprocess = (batch: tf.Tensor4D) => tf.Tensor4D;

export function isImageDataLike(x: unknown): x is ImageDataLike {
  const o = x as ImageDataLike;
  return !!o && typeof o === 'object' && !(x instanceof tf.Tensor) &&
    (o.data instanceof Uint8ClampedArray || o.data instanceof Uint8Array) &&
    Number.isInteger(o.width) && Number.isInteger(o.height);
}

/** Height and width of an input, validated. */
export function imageSize(image: ImageInput): { height: number; width: number } {
  if (isImageDataLike(image)) return { height: image.height, width: image.width };
  const t = image as tf.Tensor;
  return t.rank === 4 ? { height: t.shape[1]!, width: t.shape[2]! } : { height: t.shape[0]!, width: t.shape[1]! };
}

/**
 * The [1, H, W, C] float32 batch for the model, resized (bilinear, half-pixel centres) when the model has
 * a fixed input size that differs from the image's. Throws InvalidInputError on wrong rank, channel
 * count or non-finite pixels. The caller owns the result.
 */
export function toBatch(image: ImageInput, inputShape: (number | null)[], preprocess?: Preprocess): tf.Tensor4D {
  const [, mh, mw, mc] = inputShape;
  return tf.tidy(() => {
    let x: tf.Tensor;
    if (isImageDataLike(image)) {
      const { data, width, height } = image;
      if (width < 1 || height < 1 || data.length !== width * height * 4) {
        throw new InvalidInputError(`An ImageData-like input needs data.length = width * height * 4 ` +
          `(${width} x ${height} x 4 = ${width * height * 4}), got ${data.length}.`);
      }
      const rgba = tf.tensor3d(Float32Array.from(data), [height, width, 4]);
      const rgb = tf.slice(rgba, [0, 0, 0], [-1, -1, 3]);
      x = tf.expandDims(mc === 1 ? tf.mean(rgb, -1, true) : rgb, 0);
    } else if (image instanceof tf.Tensor) {
      if (image.isDisposed) throw new InvalidInputError('The image tensor was disposed.');
      if (image.rank === 4) {
        if (image.shape[0] !== 1) {
          throw new InvalidInputError(`A 4-D image must be a batch of one [1, H, W, C]; got [${image.shape.join(', ')}]. ` +
            'Use createExplainer(...).explain([...images]) for several images.');
        }
        x = image;
      } else if (image.rank === 3) {
        x = tf.expandDims(image, 0);
      } else {
        throw new InvalidInputError(`The image must be a Tensor3D [H, W, C] or Tensor4D [1, H, W, C]; got rank ${image.rank} [${image.shape.join(', ')}].`);
      }
      x = tf.cast(x, 'float32');
    } else {
      throw new InvalidInputError('The image must be a tf.Tensor3D, a Tensor4D batch of one, or an ImageData-like {data, width, height} of RGBA bytes.');
    }
    const c = x.shape[3]!;
    if (mc != null && c !== mc) {
      throw new InvalidInputError(`The image has ${c} channels but the model expects ${mc}` +
        (c === 4 && mc === 3 ? ' (drop the alpha channel, or pass an ImageData-like object, which is read as RGB).' : '.'));
    }
    if (x.shape[1]! < 1 || x.shape[2]! < 1) throw new InvalidInputError(`The image is empty: [${x.shape.join(', ')}].`);
    if (tf.any(tf.logicalNot(tf.isFinite(x))).dataSync()[0]) {
      throw new InvalidInputError('The image has NaN or infinite pixel values; clean the input before explaining it.');
    }
    let b = x as tf.Tensor4D;
    if (preprocess) {
      b = preprocess(b);
      if (!(b instanceof tf.Tensor) || b.rank !== 4) throw new InvalidInputError('preprocess must return a Tensor4D [1, H, W, C].');
    }
    if (mh != null && mw != null && (b.shape[1] !== mh || b.shape[2] !== mw)) {
      b = tf.image.resizeBilinear(b, [mh, mw], false, true);
    }
    return b;
  });
}
