/**
 * Figure grids for the evaluation: plain loops over RGBA byte buffers (no canvas). Cells are scene-sized
 * pictures upscaled with nearest neighbour (so single pixels stay visible), laid out in rows and columns
 * with a gap; boxes are drawn as outlines. PNG encoding is done by src/node/image-io.ts (pngjs).
 */
import type { RgbaImage } from './image-io.js';
import type { Box } from '../metrics/regions.js';
import { getMethod, type MethodName } from '../methods/registry.js';

export type Rgb = readonly [number, number, number];

export const GRID_GAP = 4;
export const GRID_BACKGROUND: Rgb = [255, 255, 255];
/** Fill of a cell whose method does not apply to the model. */
export const NA_FILL: Rgb = [160, 160, 160];
export const BOX_COLOUR: Rgb = [0, 255, 0];

/** An image of one colour. */
export function solid(width: number, height: number, colour: Rgb): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = colour[0]; data[p * 4 + 1] = colour[1]; data[p * 4 + 2] = colour[2]; data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** RGBA bytes of an HWC float RGB image in [0, 1] (a digit scene or an explanation map E). */
export function rgbToRgba(rgb: ArrayLike<number>, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = Math.round(rgb[p * 3]! * 255);
    data[p * 4 + 1] = Math.round(rgb[p * 3 + 1]! * 255);
    data[p * 4 + 2] = Math.round(rgb[p * 3 + 2]! * 255);
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** Nearest-neighbour upscaling by an integer factor k >= 1. */
export function upscale(img: RgbaImage, k: number): RgbaImage {
  if (k === 1) return img;
  const w = img.width * k, h = img.height * k;
  const data = new Uint8ClampedArray(w * h * 4);
  const bytes = img.data.byteOffset % 4 === 0 ? img.data : img.data.slice();
  const src = new Uint32Array(bytes.buffer, bytes.byteOffset, img.width * img.height);
  const dst = new Uint32Array(data.buffer);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / k) * img.width;
    for (let x = 0; x < w; x++) dst[y * w + x] = src[sy + Math.floor(x / k)]!;
  }
  return { data, width: w, height: h };
}

/**
 * Draws box outlines (pixel coordinates of the un-scaled image, exclusive ends) onto an image upscaled by
 * k, in place: the outline runs along the box's outer pixels, `thickness` pixels wide.
 */
export function drawBoxes(img: RgbaImage, boxes: readonly Box[], k: number, colour: Rgb = BOX_COLOUR, thickness = 1): void {
  const put = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
    const o = (y * img.width + x) * 4;
    img.data[o] = colour[0]; img.data[o + 1] = colour[1]; img.data[o + 2] = colour[2]; img.data[o + 3] = 255;
  };
  for (const b of boxes) {
    const x0 = b.x0 * k, y0 = b.y0 * k, x1 = b.x1 * k - 1, y1 = b.y1 * k - 1;
    for (let t = 0; t < thickness; t++) {
      for (let x = x0; x <= x1; x++) { put(x, y0 + t); put(x, y1 - t); }
      for (let y = y0; y <= y1; y++) { put(x0 + t, y); put(x1 - t, y); }
    }
  }
}

/**
 * Lays out cells row by row: each column is as wide as its widest cell, each row as tall as its tallest;
 * a cell is placed at the top-left of its slot; `null` leaves the slot empty (background).
 */
export function composeGrid(cells: readonly (readonly (RgbaImage | null)[])[], gap = GRID_GAP,
  background: Rgb = GRID_BACKGROUND): RgbaImage {
  const rows = cells.length, cols = Math.max(0, ...cells.map((r) => r.length));
  const colW = new Array<number>(cols).fill(0), rowH = new Array<number>(rows).fill(0);
  cells.forEach((r, i) => r.forEach((c, j) => {
    if (c) { colW[j] = Math.max(colW[j]!, c.width); rowH[i] = Math.max(rowH[i]!, c.height); }
  }));
  const width = colW.reduce((a, b) => a + b, 0) + gap * (cols + 1);
  const height = rowH.reduce((a, b) => a + b, 0) + gap * (rows + 1);
  const out = solid(Math.max(1, width), Math.max(1, height), background);
  let y = gap;
  cells.forEach((r, i) => {
    let x = gap;
    r.forEach((c, j) => {
      if (c) {
        for (let row = 0; row < c.height; row++) {
          const s = row * c.width * 4;
          out.data.set(c.data.subarray(s, s + c.width * 4), ((y + row) * out.width + x) * 4);
        }
      }
      x += colW[j]! + gap;
    });
    y += rowH[i]! + gap;
  });
  return out;
}

/** The nearest-neighbour factor that makes an S-pixel image at least `target` pixels wide. */
export function scaleFor(size: number, target = 128): number {
  return Math.max(1, Math.ceil(target / size));
}

/** Figure cells of one (scene, model): the input and, per method, the overlay and the explanation map. */
export interface Cells { input: RgbaImage; perMethod: Map<MethodName, { heat: RgbaImage; e: RgbaImage }> }

/**
 * One figure row: the input, then per method its overlay and its explanation map E = L o I (a grey cell
 * where the method does not apply), upscaled to at least 128 px, with the boxes drawn when given.
 */
export function figureRow(cells: Cells, methods: readonly MethodName[], size: number, boxes: readonly Box[] | null): RgbaImage[] {
  const k = scaleFor(size);
  const up = (img: RgbaImage): RgbaImage => {
    const u = upscale(img, k);
    const copy = u === img ? { ...img, data: img.data.slice() } : u;
    if (boxes) drawBoxes(copy, boxes, k, undefined, Math.max(1, Math.round(k / 2)));
    return copy;
  };
  const row = [up(cells.input)];
  for (const m of methods) {
    const c = cells.perMethod.get(m);
    if (c) row.push(up(c.heat), up(c.e));
    else { const na = solid(size * k, size * k, NA_FILL); row.push(na, na); }
  }
  return row;
}

/** The column titles of figureRow. */
export function figureColumns(methods: readonly MethodName[]): string[] {
  return ['input', ...methods.flatMap((m) => [`${getMethod(m).title} heatmap`, `${getMethod(m).title} explanation map E = L o I`])];
}
