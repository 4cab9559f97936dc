/**
 * Node-only clip files: a clip is T frames of one size, read from a folder of PNG/JPEG frames (sorted by
 * file name, numbers compared as numbers: frame-2 before frame-10) or from an animated GIF (src/clip-gif.ts,
 * which the browser demo uses too).
 * Bad input is an InvalidInputError that says what to give instead.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { checkFrameCount, decodeGif, type ClipFrames, type ReadClipOptions } from '../clip-gif.js';
import { decodeImage, type RgbaImage } from './image-io.js';

export { checkFrameCount, decodeGif, type ClipFrames, type ReadClipOptions };

const FRAME_FILE = /\.(png|jpe?g)$/i;

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

/** A clip from a folder of PNG/JPEG frames or an animated .gif file. */
export function readClip(file: string, o: ReadClipOptions = {}): ClipFrames {
  if (!existsSync(file)) throw new InvalidInputError(`No clip at ${file}; give a folder of PNG/JPEG frames or an animated .gif.`);
  if (statSync(file).isDirectory()) return readFrameFolder(file, o);
  return decodeGif(readFileSync(file), file, o);
}
