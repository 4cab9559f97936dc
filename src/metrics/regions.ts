/**
 * Pixel regions shared by the metrics. Every map and mask is row-major on a width x height grid
 * (index y * width + x); maps are heatmaps in [0,1] at the image resolution (Explanation.heatmap).
 *
 * One thresholding rule for every metric: a map thresholded at delta keeps the pixels with
 * L > delta (strict), so delta = 0 keeps exactly the support of the map.
 */
import type { Box } from '../data/mnist-source.js';
import { InvalidInputError } from '../errors.js';

export type { Box };

/** Throws InvalidInputError unless `a` has width * height values. */
export function checkSize(a: ArrayLike<number>, width: number, height: number, name: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`${name}: width and height must be positive integers, got ${width} x ${height}.`);
  }
  if (a.length !== width * height) {
    throw new InvalidInputError(`${name} has ${a.length} values; ${width} x ${height} needs ${width * height}.`);
  }
}

/** Throws InvalidInputError unless two arrays have the same length. */
export function checkSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new InvalidInputError(`${what}: lengths differ (${a.length} vs ${b.length}).`);
  if (a.length === 0) throw new InvalidInputError(`${what}: empty input.`);
}

/**
 * The union of boxes as a 0/1 mask. Boxes have exclusive ends (x0 <= x < x1, y0 <= y < y1) in pixel
 * coordinates and are clipped to the grid.
 */
export function boxesMask(boxes: readonly Box[], width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x0)), x1 = Math.min(width, Math.ceil(b.x1));
    const y0 = Math.max(0, Math.floor(b.y0)), y1 = Math.min(height, Math.ceil(b.y1));
    for (let y = y0; y < y1; y++) m.fill(1, y * width + x0, y * width + Math.max(x0, x1));
  }
  return m;
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
