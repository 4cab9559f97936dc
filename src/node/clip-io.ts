/**
 * Node-only clip files: a clip is T frames of one size, read from a folder of PNG/JPEG frames (sorted by
 * file name, numbers compared as numbers: frame-2 before frame-10) or from an animated GIF (omggif, with
 * the GIF's frame disposal applied, so every frame is the full picture a viewer shows).
 * Bad input is an InvalidInputError that says what to give instead.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { GifReader } from 'omggif';
import { InvalidInputError } from '../errors.js';
import { MAX_CLIP_FRAMES, MAX_OUTPUT_PIXELS } from '../constants.js';
import { decodeImage, type RgbaImage } from './image-io.js';

export interface ClipFrames {
  /** The frames, RGBA bytes, all width x height (opaque: alpha 255). */
  frames: RgbaImage[];
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

const FRAME_FILE = /\.(png|jpe?g)$/i;
const isGif = (b: Uint8Array) => b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38; // "GIF8"

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

function sameSize(frames: readonly RgbaImage[], names: readonly string[]): void {
  const { width, height } = frames[0]!;
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height) {
      throw new InvalidInputError(`The frames of a clip must have one size: ${names[i]} is ${f.width}x${f.height}, ` +
        `${names[0]} is ${width}x${height}. Resize them to one size.`);
    }
  });
}

function opaque(img: RgbaImage): RgbaImage {
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  return img;
}

/** The frames of a folder: every .png/.jpg/.jpeg file, sorted by name (numbers as numbers). */
export function readFrameFolder(dir: string, o: ReadClipOptions = {}): ClipFrames {
  const names = readdirSync(dir).filter((f) => FRAME_FILE.test(f) && statSync(path.join(dir, f)).isFile())
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0) {
    throw new InvalidInputError(`The folder ${dir} holds no frames (.png, .jpg or .jpeg files); ` +
      'give a folder of the clip\'s frames, or an animated .gif.');
  }
  checkFrameCount(names.length, `The folder ${dir}`, o);
  const frames = names.map((f) => {
    try {
      return opaque(decodeImage(readFileSync(path.join(dir, f)), path.join(dir, f)));
    } catch (e) {
      if (e instanceof InvalidInputError) throw e;
      throw new InvalidInputError(`${path.join(dir, f)} could not be decoded as a PNG or JPEG frame: ${(e as Error).message}`);
    }
  });
  sameSize(frames, names);
  return { frames, width: frames[0]!.width, height: frames[0]!.height, kind: 'folder', source: dir, files: names, delaysMs: [] };
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
  const frames: RgbaImage[] = [], delaysMs: number[] = [];
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

/** A clip from a folder of PNG/JPEG frames or an animated .gif file. */
export function readClip(file: string, o: ReadClipOptions = {}): ClipFrames {
  if (!existsSync(file)) throw new InvalidInputError(`No clip at ${file}; give a folder of PNG/JPEG frames or an animated .gif.`);
  if (statSync(file).isDirectory()) return readFrameFolder(file, o);
  return decodeGif(readFileSync(file), file, o);
}
