/**
 * Clip frames from an animated GIF (omggif), with the GIF's frame disposal applied, so every frame is the full
 * picture a viewer shows. No Node built-ins: gradcam-wasm/node's readClip and the browser demo both use it.
 * Bad input is an InvalidInputError that says what to give instead.
 */
import { GifReader } from 'omggif';
import { MAX_CLIP_FRAMES, MAX_OUTPUT_PIXELS } from './constants.js';
import { InvalidInputError } from './errors.js';

export interface ClipFrames {
  /** The frames, RGBA bytes, all width x height (opaque: alpha 255). */
  frames: { data: Uint8ClampedArray; width: number; height: number }[];
  width: number;
  height: number;
  /** 'folder' or 'gif'. */
  kind: 'folder' | 'gif';
  /** The folder or file read. */
  source: string;
  /** A folder's frame files, in clip order (empty for a GIF). */
  files: string[];
  /** A GIF's frame delays in ms (0 when the GIF gives none); empty for a folder. */
  delaysMs: number[];
}

export interface ReadClipOptions {
  /**
   * The number of frames the clip must have (a model's fixed T); another count is an InvalidInputError
   * that says what T is, raised before any frame is decoded. `what` names the model in that message.
   */
  frames?: number;
  what?: string;
}

const isGif = (b: Uint8Array) => b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38; // "GIF8"

function opaque<T extends { data: Uint8ClampedArray }>(img: T): T {
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  return img;
}

/** The clip's frame count checked against `o.frames` (a model's T) and against MAX_CLIP_FRAMES. */
export function checkFrameCount(count: number, source: string, o: ReadClipOptions = {}): void {
  if (o.frames != null && count !== o.frames) {
    throw new InvalidInputError(`${source} has ${count} frame${count === 1 ? '' : 's'}, but ${o.what ?? 'the model'} takes clips of exactly ` +
      `T = ${o.frames} frames (its input is fixed at ${o.frames} frames); give a clip of ${o.frames} frames` +
      (count > o.frames ? ` (e.g. its first ${o.frames}).` : '.'));
  }
  if (count > MAX_CLIP_FRAMES) {
    throw new InvalidInputError(`${source} has ${count} frames; clips of at most ${MAX_CLIP_FRAMES} frames are read. Give a shorter clip.`);
  }
}

/**
 * The frames of a GIF, each the full picture after the previous frames' disposal (0/1 keep, 2 clear the
 * frame's rectangle, 3 restore what was under it).
 */
export function decodeGif(bytes: Uint8Array, name = 'the GIF', o: ReadClipOptions = {}): ClipFrames {
  if (!isGif(bytes)) {
    throw new InvalidInputError(`${name} is not a GIF; give an animated .gif or a folder of PNG/JPEG frames.`);
  }
  let reader: GifReader;
  try {
    reader = new GifReader(bytes);
  } catch (e) {
    throw new InvalidInputError(`${name} is not a readable GIF (${(e as Error).message}); give an animated .gif or a folder of PNG/JPEG frames.`);
  }
  const { width, height } = reader;
  const count = reader.numFrames();
  if (count === 0) throw new InvalidInputError(`${name} holds no frames; give an animated .gif or a folder of PNG/JPEG frames.`);
  checkFrameCount(count, name, o);
  if (width < 1 || height < 1 || count * width * height > MAX_OUTPUT_PIXELS) {
    throw new InvalidInputError(`${name} is ${count} frames of ${width}x${height} pixels; a clip may have at most ` +
      `${MAX_OUTPUT_PIXELS} pixels over all its frames. Give a smaller or shorter clip.`);
  }
  const canvas = new Uint8ClampedArray(width * height * 4);
  const frames: ClipFrames['frames'] = [], delaysMs: number[] = [];
  let saved: Uint8ClampedArray | null = null;
  for (let i = 0; i < count; i++) {
    const info = reader.frameInfo(i);
    if (info.disposal === 3) saved = canvas.slice();
    try {
      reader.decodeAndBlitFrameRGBA(i, canvas);
    } catch (e) {
      throw new InvalidInputError(`${name}: frame ${i + 1} could not be decoded (${(e as Error).message}); the GIF is damaged.`);
    }
    frames.push(opaque({ data: canvas.slice(), width, height }));
    delaysMs.push(info.delay * 10);
    if (info.disposal === 2) {
      for (let y = Math.max(0, info.y); y < Math.min(height, info.y + info.height); y++) {
        canvas.fill(0, (y * width + Math.max(0, info.x)) * 4, (y * width + Math.min(width, info.x + info.width)) * 4);
      }
    } else if (info.disposal === 3 && saved) {
      canvas.set(saved);
    }
  }
  return { frames, width, height, kind: 'gif', source: name, files: [], delaysMs };
}

