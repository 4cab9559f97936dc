/**
 * Clip inputs: a tf.Tensor4D [T, H, W, C] (or a Tensor5D batch of one [1, T, H, W, C]), or an array of frames
 * (each an ImageInput of src/image.ts: Tensor3D, Tensor4D [1, H, W, C] or ImageData-like RGBA bytes), all of one
 * size. Validated and turned into the float32 model input [1, T, H', W', C] (frames resized, bilinear with
 * half-pixel centres, when the model has a fixed frame size that differs).
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_INPUT_MAGNITUDE } from '../constants.js';
import { InvalidInputError, NumericalError } from '../errors.js';
import { imageSize, toBatch, type ImageInput, type Preprocess } from '../image.js';
import { kindOf } from '../options.js';

export type ClipInput = tf.Tensor4D | tf.Tensor5D | readonly ImageInput[];

const CLIP_KINDS = 'a tf.Tensor4D [T, H, W, C], a Tensor5D batch of one [1, T, H, W, C], or an array of frames ' +
  '(each a Tensor3D [H, W, C] or an ImageData-like {data, width, height}, all of one size)';

/** Frames, height and width of a clip input, checked (throws InvalidInputError saying what to pass). */
export function clipSize(clip: ClipInput): { frames: number; height: number; width: number } {
  const x = clip as unknown;
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new InvalidInputError('The clip tensor was disposed.');
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      throw new InvalidInputError(`The clip tensor has dtype ${x.dtype}; pass numeric pixels (float32, int32 or bool).`);
    }
    if (x.rank === 5 && x.shape[0] !== 1) {
      throw new InvalidInputError(`A 5-D clip must be a batch of one [1, T, H, W, C]; got [${x.shape.join(', ')}]. Explain clips one at a time.`);
    }
    if (x.rank !== 4 && x.rank !== 5) {
      throw new InvalidInputError(`The clip must be ${CLIP_KINDS}; got a tensor of rank ${x.rank} [${x.shape.join(', ')}]` +
        (x.rank === 3 ? ' (one image: explain it with explainWasm, or pass [image] as a one-frame clip).' : '.'));
    }
    const [frames, height, width, c] = x.rank === 5 ? x.shape.slice(1) : x.shape;
    if (frames < 1 || height < 1 || width < 1 || c < 1) throw new InvalidInputError(`The clip is empty: shape [${x.shape.join(', ')}].`);
    return { frames, height, width };
  }
  if (!Array.isArray(x)) throw new InvalidInputError(`The clip must be ${CLIP_KINDS}; got ${kindOf(x)}.`);
  if (x.length === 0) throw new InvalidInputError('The clip has no frames (an empty array).');
  let first: { height: number; width: number } | null = null;
  x.forEach((frame: unknown, t) => {
    let s: { height: number; width: number };
    try {
      s = imageSize(frame as ImageInput);
    } catch (e) {
      throw e instanceof InvalidInputError ? new InvalidInputError(`Frame ${t} of the clip: ${e.message}`) : e;
    }
    if (first && (s.height !== first.height || s.width !== first.width)) {
      throw new InvalidInputError(`Frame ${t} of the clip is ${s.width} x ${s.height} but frame 0 is ${first.width} x ${first.height}; ` +
        'all frames must have one size (resize them first).');
    }
    first ??= s;
  });
  return { frames: x.length, ...first! };
}

function allFinite(x: tf.Tensor): boolean {
  return !tf.any(tf.logicalNot(tf.isFinite(x))).dataSync()[0];
}

/**
 * The model input [1, T, H, W, C] (float32) of a clip: checked (rank, frame sizes, channels, frames against the
 * model's, finite values), `preprocess` applied to the frames [T, H, W, C], then each frame resized to the model's
 * frame size when it is fixed and differs. The caller owns the result.
 */
export function toClipBatch(clip: ClipInput, inputShape: readonly (number | null)[], preprocess?: Preprocess): tf.Tensor {
  const [, mT, mh, mw, mc] = inputShape;
  const { frames } = clipSize(clip);
  if (preprocess != null && typeof preprocess !== 'function') {
    throw new InvalidInputError(`preprocess must be a function (frames: tf.Tensor4D [T, H, W, C]) => tf.Tensor4D; got ${kindOf(preprocess)}.`);
  }
  if (mT != null && frames !== mT) {
    throw new InvalidInputError(`The clip has ${frames} frames but the model takes clips of ${mT}; pass ${mT} frames.`);
  }
  return tf.tidy(() => {
    let x: tf.Tensor;
    if (clip instanceof tf.Tensor) {
      x = tf.cast(clip.rank === 5 ? tf.squeeze(clip, [0]) : clip, 'float32');
      const c = x.shape[3];
      if (mc != null && c !== mc) throw new InvalidInputError(`The clip's frames have ${c} channels but the model expects ${mc}.`);
      if (!allFinite(x)) throw new InvalidInputError('The clip has NaN or infinite pixel values; clean the input before explaining it.');
    } else {
      x = tf.concat((clip as readonly ImageInput[]).map((f, t) => {
        try {
          return toBatch(f, [null, null, null, mc ?? null]);
        } catch (e) {
          throw e instanceof InvalidInputError ? new InvalidInputError(`Frame ${t} of the clip: ${e.message}`) : e;
        }
      }), 0);
    }
    if (preprocess) {
      const p = preprocess(x as tf.Tensor4D) as unknown;
      if (!(p instanceof tf.Tensor) || p.isDisposed) {
        throw new InvalidInputError(`preprocess must return a tf.Tensor4D [T, H, W, C]; it returned ${p instanceof tf.Tensor ? 'a disposed tensor' : kindOf(p)}.`);
      }
      if (p.rank !== 4 || p.shape[0] !== frames || p.shape[1] < 1 || p.shape[2] < 1 || (mc != null && p.shape[3] !== mc)) {
        throw new InvalidInputError(`preprocess must return the frames as a Tensor4D [${frames}, H, W, ${mc ?? 'C'}]; it returned [${p.shape.join(', ')}].`);
      }
      if (p.dtype !== 'float32' && p.dtype !== 'int32' && p.dtype !== 'bool') {
        throw new InvalidInputError(`preprocess must return numeric pixels; it returned dtype ${p.dtype}.`);
      }
      x = tf.cast(p, 'float32');
      if (!allFinite(x)) {
        throw new NumericalError('preprocess produced NaN or infinite values from finite pixels; the model input must be finite. ' +
          'Check the preprocessing (e.g. divide by 255, not by a zero range).');
      }
    }
    const peak = tf.max(tf.abs(x)).dataSync()[0];
    if (peak > MAX_INPUT_MAGNITUDE) {
      throw new NumericalError(`The model input has values up to ${peak.toExponential(2)} (after preprocess), beyond ` +
        `${MAX_INPUT_MAGNITUDE.toExponential(0)}: float32 overflows inside the model. Scale pixels as the model was trained.`);
    }
    if (mh != null && mw != null && (x.shape[1] !== mh || x.shape[2] !== mw)) {
      x = tf.image.resizeBilinear(x as tf.Tensor4D, [mh, mw], false, true);
    }
    return tf.expandDims(x, 0);
  });
}
