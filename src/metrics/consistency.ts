/**
 * Cross-backbone consistency (source report Sec. 4.1.1, Fig. 1h: "Grad-CAM++ is more consistent across
 * CNN models"): how similar the heatmaps of different models are for the same image and method. All maps
 * at the image resolution (same length). Values are accumulated in float64.
 */
import { checkFinite, checkSame } from './regions.js';

/**
 * Pearson correlation of two maps over all pixels:
 *   r = sum (a - mean a)(b - mean b) / sqrt( sum (a - mean a)^2 * sum (b - mean b)^2 ).
 * In [-1, 1]; NaN when either map is constant (e.g. all zero), where r is undefined.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSame(a, b, 'pearson');
  checkFinite(a, 'pearson: a'); checkFinite(b, 'pearson: b');
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * IoU of two maps thresholded at delta (L > delta, see regions.ts): |{a > d} n {b > d}| / |{a > d} u {b > d}|.
 * NaN when both thresholded sets are empty.
 */
export function thresholdIoU(a: ArrayLike<number>, b: ArrayLike<number>, delta: number): number {
  checkSame(a, b, 'thresholdIoU');
  checkFinite(a, 'thresholdIoU: a'); checkFinite(b, 'thresholdIoU: b');
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > delta, y = b[i]! > delta;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union > 0 ? inter / union : NaN;
}

export interface PairwiseMean {
  /** Mean of f over the pairs where it is defined (NaN if none is). */
  mean: number;
  /** Number of pairs i < j. */
  pairs: number;
  /** Pairs where f is not NaN. */
  defined: number;
}

/** Mean of f(maps[i], maps[j]) over all pairs i < j, skipping undefined (NaN) values. */
export function meanPairwise<T>(maps: readonly T[], f: (a: T, b: T) => number): PairwiseMean {
  let sum = 0, pairs = 0, defined = 0;
  for (let i = 0; i < maps.length; i++) {
    for (let j = i + 1; j < maps.length; j++) {
      pairs++;
      const v = f(maps[i]!, maps[j]!);
      if (!Number.isNaN(v)) { sum += v; defined++; }
    }
  }
  return { mean: defined > 0 ? sum / defined : NaN, pairs, defined };
}
