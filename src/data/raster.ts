/**
 * Drawing helpers shared by the synthetic datasets (digit-scenes.ts, clips.ts): bilinear resampling of an
 * MNIST tile, tints, alpha blending (clipped to the image), the dim background and the per-value noise.
 * Only integer and basic float arithmetic, so results are byte-identical on every JS engine.
 */
import { Rng } from '../rng.js';
import { MNIST_SIDE, type Box } from './mnist-source.js';

export type Rgb = [number, number, number];

/**
 * Bilinear resampling of the region [rx0, rx1) x [ry0, ry1) of a 28 x 28 byte tile into a w x h
 * float image in [0, 1]. Pixels outside the region count as 0, so nothing outside it leaks in.
 * Pixel centres are aligned (target centre t+0.5 maps to source r0 + (t+0.5) * regionSide / side).
 */
export function resample(
  tile: Uint8Array, offset: number, rx0: number, ry0: number, rx1: number, ry1: number, w: number, h: number,
): Float32Array {
  const out = new Float32Array(w * h);
  const sx = (rx1 - rx0) / w, sy = (ry1 - ry0) / h;
  const at = (x: number, y: number): number =>
    x < rx0 || x >= rx1 || y < ry0 || y >= ry1 ? 0 : tile[offset + y * MNIST_SIDE + x]!;
  for (let ty = 0; ty < h; ty++) {
    const v = ry0 + (ty + 0.5) * sy - 0.5;
    const y0 = Math.floor(v), fy = v - y0;
    for (let tx = 0; tx < w; tx++) {
      const u = rx0 + (tx + 0.5) * sx - 0.5;
      const x0 = Math.floor(u), fx = u - x0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bot = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      out[ty * w + tx] = (top * (1 - fy) + bot * fy) / 255;
    }
  }
  return out;
}

/** HSV (all in [0,1]) to RGB. */
export function hsv(h: number, s: number, v: number): Rgb {
  const h6 = (h * 6) % 6, i = Math.floor(h6), f = h6 - i;
  const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}

/** A random bright ink colour (any hue, saturation < 0.75, value >= 0.75), or white when not `colour`. */
export function randomTint(rng: Rng, colour: boolean): Rgb {
  return colour ? hsv(rng.next(), rng.uniform(0, 0.75), rng.uniform(0.75, 1)) : [1, 1, 1];
}

/** true when boxes a and b are at least m px apart along x or y. */
export function apart(a: Box, b: Box, m: number): boolean {
  return a.x1 + m <= b.x0 || b.x1 + m <= a.x0 || a.y1 + m <= b.y0 || b.y1 + m <= a.y0;
}

/**
 * Alpha-blends a w x h intensity patch at (px, py) (may lie partly or wholly outside) with colour c into
 * the S x S HWC RGB image; the part outside the image is dropped.
 */
export function blend(img: Float32Array, S: number, patch: Float32Array, w: number, h: number, px: number, py: number,
  c: readonly [number, number, number]): void {
  const ya = Math.max(0, -py), yb = Math.min(h, S - py), xa = Math.max(0, -px), xb = Math.min(w, S - px);
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const a = patch[y * w + x]!;
      if (a <= 0) continue;
      const o = ((py + y) * S + (px + x)) * 3;
      img[o] = img[o]! * (1 - a) + c[0] * a;
      img[o + 1] = img[o + 1]! * (1 - a) + c[1] * a;
      img[o + 2] = img[o + 2]! * (1 - a) + c[2] * a;
    }
  }
}

/**
 * Writes the background into an S x S x 3 image: when `colour`, a random dim colour (each channel in
 * [0, 0.3)) plus a weak linear gradient (slopes in [-0.1, 0.1) per image side); else leaves it black.
 */
export function drawBackground(img: Float32Array, S: number, rng: Rng, colour: boolean): void {
  if (!colour) return;
  const base = [rng.uniform(0, 0.3), rng.uniform(0, 0.3), rng.uniform(0, 0.3)];
  const gx = rng.uniform(-0.1, 0.1), gy = rng.uniform(-0.1, 0.1);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const g = gx * ((x + 0.5) / S - 0.5) + gy * ((y + 0.5) / S - 0.5);
      const o = (y * S + x) * 3;
      for (let c = 0; c < 3; c++) img[o + c] = Math.max(0, base[c]! + g);
    }
  }
}

/**
 * Adds approximately gaussian noise of standard deviation sigma to every value, then clamps to [0, 1]:
 * an Irwin-Hall sum of 3 uniforms (variance 3/12, so times 2 for unit variance), the 3 uniforms being
 * 10-bit fields of one 32-bit draw. sigma = 0 only clamps (and draws nothing).
 */
export function addNoise(img: Float32Array, rng: Rng, sigma: number): void {
  const k = (2 * sigma) / 1024;
  for (let i = 0; i < img.length; i++) {
    let v = img[i]!;
    if (sigma > 0) {
      const u = rng.nextU32();
      v += k * ((u & 1023) + ((u >>> 10) & 1023) + ((u >>> 20) & 1023) + 1.5 - 1536);
    }
    img[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/**
 * The mask (intensity >= threshold) of a w x h patch placed at (px, py), clipped to the S x S image, written
 * into `mask` (and `union` if given); returns its tight box (exclusive ends), or null when no pixel of it is
 * inside the image. Also returns the number of mask pixels inside.
 */
export function maskOf(patch: Float32Array, w: number, h: number, px: number, py: number, S: number, threshold: number,
  mask: Uint8Array, union?: Uint8Array): { box: Box | null; pixels: number } {
  let x0 = S, y0 = S, x1 = 0, y1 = 0, pixels = 0;
  const ya = Math.max(0, -py), yb = Math.min(h, S - py), xa = Math.max(0, -px), xb = Math.min(w, S - px);
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      if (patch[y * w + x]! >= threshold) {
        const gx = px + x, gy = py + y;
        mask[gy * S + gx] = 1;
        if (union) union[gy * S + gx] = 1;
        pixels++;
        if (gx < x0) x0 = gx;
        if (gy < y0) y0 = gy;
        if (gx + 1 > x1) x1 = gx + 1;
        if (gy + 1 > y1) y1 = gy + 1;
      }
    }
  }
  return { box: pixels > 0 ? { x0, y0, x1, y1 } : null, pixels };
}

/** Number of pixels of a patch with intensity >= threshold (its whole mask, wherever it is placed). */
export function maskPixels(patch: Float32Array, threshold: number): number {
  let n = 0;
  for (let i = 0; i < patch.length; i++) if (patch[i]! >= threshold) n++;
  return n;
}
