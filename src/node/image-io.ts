/**
 * Node-only image files: PNG (pngjs) and JPEG (jpeg-js) decoded to and encoded from RGBA bytes.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { InvalidInputError } from '../errors.js';

export interface RgbaImage { data: Uint8ClampedArray; width: number; height: number }

export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) {
    const png = PNG.sync.read(b);
    return { data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const j = jpeg.decode(b, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { data: new Uint8ClampedArray(j.data.buffer, j.data.byteOffset, j.data.byteLength), width: j.width, height: j.height };
  }
  throw new InvalidInputError(`${name} is not a PNG or JPEG image.`);
}

export function readImage(file: string): RgbaImage {
  if (!existsSync(file)) throw new InvalidInputError(`No image file at ${file}.`);
  return decodeImage(readFileSync(file), file);
}

export function encodePng(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png);
}

export function encodeJpeg(img: RgbaImage, quality = 90): Buffer {
  return jpeg.encode({ data: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height }, quality).data;
}

/** Writes PNG or JPEG by the file's extension (.png, .jpg, .jpeg). */
export function writeImage(file: string, img: RgbaImage): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const ext = path.extname(file).toLowerCase();
  writeFileSync(file, ext === '.jpg' || ext === '.jpeg' ? encodeJpeg(img) : encodePng(img));
}
