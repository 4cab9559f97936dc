/**
 * Pictures from heatmaps: the jet overlay people look at, and the protocol's explanation map E = L o I.
 */
import * as tf from '@tensorflow/tfjs';
import { getKernels } from './kernels/index.js';
import { DEFAULT_OVERLAY_ALPHA } from './constants.js';
import { InvalidInputError } from './errors.js';
import { imageSize, isImageDataLike, type ImageInput } from './image.js';

export interface OverlayOptions {
  /** Only 'jet' (OpenCV COLORMAP_JET) for now. */
  colormap?: 'jet';
  /** Heatmap opacity in [0,1] (default 0.5). */
  alpha?: number;
}

type Heat = Float32Array | { heatmap: Float32Array; width: number; height: number };

function heatOf(h: Heat, width: number, height: number): Float32Array {
  const data = h instanceof Float32Array ? h : h.heatmap;
  if (!(h instanceof Float32Array) && (h.width !== width || h.height !== height)) {
    throw new InvalidInputError(`The heatmap is ${h.width} x ${h.height} but the image is ${width} x ${height}; ` +
      'explain with outputSize equal to the image size.');
  }
  if (data.length !== width * height) {
    throw new InvalidInputError(`The heatmap has ${data.length} values; the image has ${width} x ${height} = ${width * height} pixels.`);
  }
  return data;
}

/**
 * RGBA bytes of an image. Tensors with values in [0,1] (max <= 1) are scaled by 255; otherwise values are
 * taken as 0..255. Grey images are repeated over R, G, B.
 */
export function toRgba(image: ImageInput): { data: Uint8ClampedArray; width: number; height: number } {
  if (isImageDataLike(image)) return { data: new Uint8ClampedArray(image.data), width: image.width, height: image.height };
  const { height, width } = imageSize(image);
  const t = image as tf.Tensor;
  const c = t.shape[t.rank - 1]!;
  if ((t.rank !== 3 && t.rank !== 4) || (c !== 1 && c !== 3 && c !== 4)) {
    throw new InvalidInputError(`Cannot draw an image of shape [${t.shape.join(', ')}]; expected [H, W, 1|3|4].`);
  }
  const v = t.dataSync();
  let max = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  const scale = max <= 1 ? 255 : 1;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = v[p * c + (c === 1 ? 0 : k)] * scale;
    out[p * 4 + 3] = c === 4 ? v[p * c + 3] * scale : 255;
  }
  return { data: out, width, height };
}

/** The image with the heatmap blended over it in the jet colormap: RGBA bytes, width x height. */
export async function overlay(image: ImageInput, heatmap: Heat, options: OverlayOptions = {}):
  Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const alpha = options.alpha ?? DEFAULT_OVERLAY_ALPHA;
  if (!(alpha >= 0 && alpha <= 1)) throw new InvalidInputError(`alpha must be in [0,1], got ${alpha}.`);
  if ((options.colormap ?? 'jet') !== 'jet') throw new InvalidInputError(`Unknown colormap "${options.colormap}"; use 'jet'.`);
  const img = toRgba(image);
  const n = img.width * img.height;
  const heat = heatOf(heatmap, img.width, img.height);
  const k = await getKernels();
  const r = k.reserve({ heat: n }, { rgba: n * 4, out: n * 4 });
  r.f32.heat.set(heat);
  r.u8.rgba.set(img.data);
  k.overlay(r.u8.rgba, r.f32.heat, n, alpha, r.u8.out);
  return { data: new Uint8ClampedArray(r.u8.out), width: img.width, height: img.height };
}

/** The heatmap alone in the jet colormap: RGBA bytes. */
export async function colorize(heatmap: Heat, width: number, height: number): Promise<Uint8ClampedArray> {
  const heat = heatOf(heatmap, width, height);
  const k = await getKernels();
  const n = width * height;
  const r = k.reserve({ heat: n }, { out: n * 4 });
  r.f32.heat.set(heat);
  k.colormap(r.f32.heat, n, r.u8.out);
  return new Uint8ClampedArray(r.u8.out);
}

/**
 * The explanation map of the Grad-CAM++ protocol, E = L o I: each pixel of the image times the heatmap
 * value there. Returns a float32 tensor of the image's shape (the caller disposes it).
 */
export async function explanationMap<T extends tf.Tensor3D | tf.Tensor4D>(image: T, heatmap: Heat): Promise<T> {
  if (!(image instanceof tf.Tensor) || (image.rank !== 3 && !(image.rank === 4 && image.shape[0] === 1))) {
    throw new InvalidInputError('explanationMap needs a Tensor3D [H, W, C] or a Tensor4D [1, H, W, C].');
  }
  const { height, width } = imageSize(image);
  const heat = heatOf(heatmap, width, height);
  const C = image.shape[image.rank - 1]!;
  const n = width * height;
  const k = await getKernels();
  const r = k.reserve({ img: n * C, heat: n, out: n * C });
  r.f32.img.set(image.dataSync() as Float32Array);
  r.f32.heat.set(heat);
  k.explanationMap(r.f32.img, r.f32.heat, n, C, r.f32.out);
  return tf.tensor(r.f32.out.slice(), image.shape, 'float32') as T;
}
