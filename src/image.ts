/**
 * Image inputs: a tf.Tensor3D (H x W x C), a Tensor4D batch of one, or an ImageData-like object
 * {data, width, height} of RGBA bytes. Validated and turned into a float32 [1, H, W, C] batch.
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_INPUT_MAGNITUDE } from './constants.js';
import { InvalidInputError, NumericalError } from './errors.js';

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

const IMAGE_KINDS = 'a tf.Tensor3D [H, W, C], a Tensor4D batch of one [1, H, W, C], or an ImageData-like ' +
  '{data, width, height} of RGBA bytes';

/** What a value is, for error messages. */
function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return 'an array';
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  return typeof x === 'object' ? `an object (${(x as object).constructor?.name ?? 'no class'})` : `a ${typeof x}`;
}

/**
 * Validates one image input and returns its height and width. Throws InvalidInputError saying what was
 * wrong and what to pass instead (an empty image, a disposed or non-numeric tensor, a typed array without
 * a shape, ImageData with fractional sizes or the wrong number of bytes).
 */
export function imageSize(image: ImageInput): { height: number; width: number } {
  const x = image as unknown;
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new InvalidInputError('The image tensor was disposed.');
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new InvalidInputError(`The image tensor has dtype ${x.dtype}; pass numeric pixels (float32, int32 or bool).`);
    }
    if (x.rank === 4 && x.shape[0] !== 1) {
      throw new InvalidInputError(`A 4-D image must be a batch of one [1, H, W, C]; got [${x.shape.join(', ')}]. ` +
        'Use createExplainer(...).explain([...images]) for several images.');
    }
    if (x.rank !== 3 && x.rank !== 4) {
      throw new InvalidInputError(`The image must be a Tensor3D [H, W, C] or Tensor4D [1, H, W, C]; got rank ${x.rank} [${x.shape.join(', ')}].`);
    }
    const [height, width, c] = x.rank === 4 ? x.shape.slice(1) : x.shape;
    if (height < 1 || width < 1 || c < 1) throw new InvalidInputError(`The image is empty: shape [${x.shape.join(', ')}].`);
    return { height, width };
  }
  const o = x as Partial<ImageDataLike> | null;
  if (o && typeof o === 'object' && !Array.isArray(o) && !ArrayBuffer.isView(o) && 'data' in o) {
    const { data, width, height } = o;
    if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
      throw new InvalidInputError(`An ImageData-like input needs data as a Uint8ClampedArray or Uint8Array of RGBA bytes; got ${kindOf(data)}.`);
    }
    if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 0 || height! < 0) {
      throw new InvalidInputError(`An ImageData-like input needs integer width and height; got ${width} x ${height}.`);
    }
    if (width === 0 || height === 0) throw new InvalidInputError(`The image is empty: ${width} x ${height} pixels.`);
    if (data.length !== width! * height! * 4) {
      throw new InvalidInputError(`An ImageData-like input needs data.length = width * height * 4 ` +
        `(${width} x ${height} x 4 = ${width! * height! * 4}), got ${data.length}.`);
    }
    return { height: height!, width: width! };
  }
  const hint = ArrayBuffer.isView(x) || Array.isArray(x)
    ? ' Wrap raw pixels in a tensor with their shape, e.g. tf.tensor3d(pixels, [height, width, channels]).' : '';
  throw new InvalidInputError(`The image must be ${IMAGE_KINDS}; got ${kindOf(x)}.${hint}`);
}

/**
 * The [1, H, W, C] float32 batch for the model, resized (bilinear, half-pixel centres) when the model has
 * a fixed input size that differs from the image's. Throws InvalidInputError on wrong rank, channel
 * count or non-finite pixels. The caller owns the result, except when it is `image` itself: a float32
 * Tensor4D of the model's size with no preprocess is used as is (no copy) and stays the caller's.
 * Bytes (ImageData-like) become the float batch in one pass that drops alpha, with no finiteness scan (bytes
 * are finite); a float input or a preprocess result is checked with one reduction (sum of |x|: finite and at
 * most MAX_INPUT_MAGNITUDE, else the precise checks run to say which).
 */
export function toBatch(image: ImageInput, inputShape: readonly (number | null)[], preprocess?: Preprocess): tf.Tensor4D {
  const [, mh, mw, mc] = inputShape;
  imageSize(image);
  if (preprocess != null && typeof preprocess !== 'function') {
    throw new InvalidInputError(`preprocess must be a function (batch: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(preprocess)}.`);
  }
  return tf.tidy(() => {
    let x: tf.Tensor;
    if (image instanceof tf.Tensor) {
      x = image.rank === 3 ? tf.expandDims(image, 0) : image; // a view: no copy
      if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
    } else {
      x = rgbBatch(image);
      if (mc === 1) x = tf.mean(x, -1, true);
    }
    const c = x.shape[3]!;
    if (mc != null && c !== mc) {
      throw new InvalidInputError(`The image has ${c} channels but the model expects ${mc}` +
        (c === 4 && mc === 3 ? ' (drop the alpha channel, or pass an ImageData-like object, which is read as RGB).' : '.'));
    }
    // bytes, int32 and bool pixels are finite and far below MAX_INPUT_MAGNITUDE: only floats need the check
    const floatPixels = image instanceof tf.Tensor && image.dtype === 'float32';
    let b = x as tf.Tensor4D;
    if (preprocess) {
      const p = preprocess(b) as unknown;
      if (!(p instanceof tf.Tensor) || p.isDisposed) {
        throw new InvalidInputError(`preprocess must return a tf.Tensor4D [1, H, W, C]; it returned ${p instanceof tf.Tensor ? 'a disposed tensor' : kindOf(p)}.`);
      }
      if (p.rank !== 4 || p.shape[0] !== 1 || p.shape[1] < 1 || p.shape[2] < 1 || (mc != null && p.shape[3] !== mc)) {
        throw new InvalidInputError(`preprocess must return a Tensor4D [1, H, W, ${mc ?? 'C'}]; it returned shape [${p.shape.join(', ')}].`);
      }
      if (p.dtype !== 'float32' && p.dtype !== 'int32' && p.dtype !== 'bool') {
        throw new InvalidInputError(`preprocess must return numeric pixels; it returned dtype ${p.dtype}.`);
      }
      b = (p.dtype === 'float32' ? p : tf.cast(p, 'float32')) as tf.Tensor4D;
    }
    if (floatPixels || preprocess) checkModelInput(x, b, floatPixels);
    if (mh != null && mw != null && (b.shape[1] !== mh || b.shape[2] !== mw)) {
      b = tf.image.resizeBilinear(b, [mh, mw], false, true);
    }
    return b;
  });
}

/** RGBA bytes -> float32 [1, H, W, 3], in one pass (no intermediate RGBA float tensor, no slice). */
function rgbBatch({ data, width, height }: ImageDataLike): tf.Tensor4D {
  const n = width * height;
  const rgb = new Float32Array(n * 3);
  for (let p = 0, q = 0; q < n * 3; p += 4, q += 3) {
    rgb[q] = data[p];
    rgb[q + 1] = data[p + 1];
    rgb[q + 2] = data[p + 2];
  }
  return tf.tensor4d(rgb, [1, height, width, 3]);
}

/**
 * The model input `b` (from the pixels `x`, through preprocess when given) must be finite and at most
 * MAX_INPUT_MAGNITUDE: one reduction, sum |b| (NaN or infinite if any value is; >= the largest |value|), and
 * the precise checks only when it fails, to say whether the pixels or the preprocess are to blame.
 */
function checkModelInput(x: tf.Tensor, b: tf.Tensor, floatPixels: boolean): void {
  const total = tf.sum(tf.abs(b)).dataSync()[0];
  if (total <= MAX_INPUT_MAGNITUDE) return;
  if (!allFinite(b)) {
    if (b === x || (floatPixels && !x.isDisposed && !allFinite(x))) {
      throw new InvalidInputError('The image has NaN or infinite pixel values; clean the input before explaining it.');
    }
    throw new NumericalError('preprocess produced NaN or infinite values from finite pixels (an overflow or a division ' +
      'by zero?); the model input must be finite. Check the preprocessing (e.g. divide by 255, not by a zero range).');
  }
  const peak = tf.max(tf.abs(b)).dataSync()[0];
  if (peak > MAX_INPUT_MAGNITUDE) {
    throw new NumericalError(`The model input has values up to ${peak.toExponential(2)} (after preprocess), beyond ` +
      `${MAX_INPUT_MAGNITUDE.toExponential(0)}: float32 overflows inside the model and the map would be meaningless. ` +
      'Scale pixels as the model was trained (e.g. [0, 1] or [0, 255]).');
  }
}

function allFinite(x: tf.Tensor): boolean {
  return !tf.any(tf.logicalNot(tf.isFinite(x))).dataSync()[0];
}
