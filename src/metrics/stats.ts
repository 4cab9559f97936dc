/**
 * Summaries of per-image values for reports, and the paired bootstrap behind the evaluation's verdicts
 * (issue: "a verdict only where the interval excludes 0").
 */
import { InvalidInputError } from '../errors.js';
import { Rng } from '../rng.js';
import { checkFinite, checkSame } from './regions.js';
import { BOOTSTRAP_LEVEL, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from './constants.js';

export interface Summary {
  /** Mean of the defined (non-NaN) values; NaN if there are none. */
  mean: number;
  /** Standard error of the mean, sd / sqrt(n) with the sample sd (n - 1); NaN if n < 2. */
  sem: number;
  /** Number of defined values. */
  n: number;
}

export function summarize(values: Iterable<number>): Summary {
  let n = 0, sum = 0, sumSq = 0;
  const kept: number[] = [];
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    kept.push(v);
    n++;
    sum += v;
  }
  const mean = n > 0 ? sum / n : NaN;
  for (const v of kept) sumSq += (v - mean) * (v - mean);
  return { mean, sem: n > 1 ? Math.sqrt(sumSq / (n - 1) / n) : NaN, n };
}

export interface BootstrapOptions {
  /** Resamples; default 2000 (BOOTSTRAP_RESAMPLES). */
  resamples?: number;
  /** Confidence level in (0, 1); default 0.95. */
  level?: number;
  /** Seed of the resampling (mulberry32, src/rng.ts); default BOOTSTRAP_SEED. Same seed, same interval. */
  seed?: number;
}

export interface PairedDifference {
  /** Pairs (images). */
  n: number;
  /** Mean of d_i = a_i - b_i. */
  mean: number;
  /** Percentile interval of the bootstrap means: [lo, hi]. */
  lo: number;
  hi: number;
  level: number;
  resamples: number;
  seed: number;
  /** lo > 0 or hi < 0: the interval excludes 0, so the sign of the difference is supported. */
  excludesZero: boolean;
}

/**
 * Paired bootstrap of the mean difference (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993,
 * Ch. 13, percentile interval): d_i = a_i - b_i for the same image i (e.g. a = Grad-CAM++, b = Grad-CAM);
 * B times, draw n indices uniformly with replacement (a seeded mulberry32 stream) and take the mean of
 * those d's; the interval is the (1 - level)/2 and (1 + level)/2 quantiles of the B means (linear
 * interpolation between order statistics, R's type 7). Deterministic for a seed. Resampling images as
 * pairs keeps the correlation between the two methods on one image, which is what makes the paired
 * interval narrower than two separate ones.
 *
 * Every value must be finite (drop undefined pairs first; a NaN is an error, not a silent skip).
 *
 * @example
 * import { pairedBootstrap } from 'gradcam-wasm/metrics';
 * const pp = [10, 12, 9, 14, 11, 13], gc = [20, 19, 25, 18, 22, 21]; // Average Drop % per image
 * const d = pairedBootstrap(pp, gc, { seed: 7 });
 * console.log(d.mean.toFixed(2), d.excludesZero, d.hi < 0); // -9.33 true true
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, options: BootstrapOptions = {}): PairedDifference {
  checkSame(a, b, 'pairedBootstrap');
  checkFinite(a, 'pairedBootstrap: a');
  checkFinite(b, 'pairedBootstrap: b');
  const B = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? BOOTSTRAP_LEVEL;
  const seed = options.seed ?? BOOTSTRAP_SEED;
  if (!Number.isInteger(B) || B < 1) throw new InvalidInputError(`pairedBootstrap: resamples must be an integer >= 1; got ${B}.`);
  if (!(typeof level === 'number' && level > 0 && level < 1)) throw new InvalidInputError(`pairedBootstrap: level must be in (0, 1); got ${level}.`);
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`pairedBootstrap: seed must be an integer; got ${seed}.`);
  const n = a.length;
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { d[i] = a[i]! - b[i]!; sum += d[i]!; }
  const rng = new Rng(seed);
  const means = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rng.next() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  const lo = quantile(means, (1 - level) / 2), hi = quantile(means, (1 + level) / 2);
  return { n, mean: sum / n, lo, hi, level, resamples: B, seed, excludesZero: lo > 0 || hi < 0 };
}

/** Quantile q of sorted values, R's type 7: h = (n - 1) q, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new InvalidInputError('quantile of no values.');
  if (!(q >= 0 && q <= 1)) throw new InvalidInputError(`quantile: q must be in [0, 1]; got ${q}.`);
  const h = (sorted.length - 1) * q, f = Math.floor(h);
  const x0 = sorted[f]!, x1 = sorted[Math.min(f + 1, sorted.length - 1)]!;
  return x0 === x1 ? x0 : x0 + (h - f) * (x1 - x0);
}
