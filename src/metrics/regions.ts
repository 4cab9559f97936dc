/**
 * Pixel regions shared by the metrics. Every map and mask is row-major on a width x height grid
 * (index y * width + x); maps are heatmaps in [0,1] at the image resolution (Explanation.heatmap).
 *
 * One thresholding rule for every metric: a map thresholded at delta keeps the pixels with
 * L > delta (strict), so delta = 0 keeps exactly the support of the map.
 */
import { InvalidInputError } from '../errors.js';

/**
 * An axis-aligned box in pixel coordinates, inclusive-exclusive: x0 <= x < x1, y0 <= y < y1 (the ground
 * truth of the localisation and coverage metrics; the digit-scene generator uses the same type).
 */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Throws InvalidInputError unless `a` has width * height values. */
export function checkSize(a: ArrayLike<number>, width: number, height: number, name: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`${name}: width and height must be positive integers, got ${width} x ${height}.`);
  }
  if (a == null || typeof a.length !== 'number') throw new InvalidInputError(`${name}: expected an array of numbers; got ${typeName(a)}.`);
  if (a.length !== width * height) {
    throw new InvalidInputError(`${name} has ${a.length} values; ${width} x ${height} needs ${width * height}.`);
  }
}

/** Throws InvalidInputError unless two arrays have the same length (and are not empty). */
export function checkSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a == null || b == null || typeof a.length !== 'number' || typeof b.length !== 'number') {
    throw new InvalidInputError(`${what}: expected two arrays of numbers; got ${typeName(a)} and ${typeName(b)}.`);
  }
  if (a.length !== b.length) {
    throw new InvalidInputError(`${what}: lengths differ (${a.length} vs ${b.length}); pass one value per pixel (or per image) in both.`);
  }
  if (a.length === 0) throw new InvalidInputError(`${what}: empty input.`);
}

/**
 * Throws InvalidInputError at the first value that is not a finite number (NaN, +-Infinity, a string):
 * a metric of a NaN map would be a silent wrong answer.
 */
export function checkFinite(a: ArrayLike<number>, what: string): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidInputError(`${what}: value ${String(v)} at index ${i} is not a finite number; ` +
        'check the map (a heatmap is finite, in [0, 1]).');
    }
  }
}

function typeName(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? (x as object).constructor?.name ?? 'an object' : typeof x;
}

/**
 * The union of boxes as a 0/1 mask. Boxes have exclusive ends (x0 <= x < x1, y0 <= y < y1) in pixel
 * coordinates and are clipped to the grid.
 */
export function boxesMask(boxes: readonly Box[], width: number, height: number): Uint8Array {
  checkSize({ length: width * height }, width, height, 'boxesMask');
  checkBoxes(boxes, 'boxesMask');
  const m = new Uint8Array(width * height);
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x0)), x1 = Math.min(width, Math.ceil(b.x1));
    const y0 = Math.max(0, Math.floor(b.y0)), y1 = Math.min(height, Math.ceil(b.y1));
    for (let y = y0; y < y1; y++) m.fill(1, y * width + x0, y * width + Math.max(x0, x1));
  }
  return m;
}

/** Throws InvalidInputError unless `boxes` is an array of boxes with finite coordinates, x0 <= x1, y0 <= y1. */
export function checkBoxes(boxes: readonly Box[], what: string): void {
  if (!Array.isArray(boxes)) throw new InvalidInputError(`${what}: boxes must be an array of {x0, y0, x1, y1}; got ${typeName(boxes)}.`);
  boxes.forEach((b, i) => {
    const ok = b != null && [b.x0, b.y0, b.x1, b.y1].every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok || b.x1 < b.x0 || b.y1 < b.y0) {
      throw new InvalidInputError(`${what}: box ${i} ${JSON.stringify(b)} is not {x0, y0, x1, y1} with finite x0 <= x1, y0 <= y1 ` +
        '(pixel coordinates, exclusive ends).');
    }
  });
}

/** 1 where map > delta (see the thresholding rule above). */
export function thresholdRegion(map: ArrayLike<number>, delta: number): Uint8Array {
  const r = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) r[i] = map[i]! > delta ? 1 : 0;
  return r;
}

/** Number of non-zero entries of a mask. */
export function area(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}
