/**
 * Deletion and insertion (Petsiuk, Das and Saenko, "RISE: Randomized Input Sampling for Explanation of
 * Black-box Models", BMVC 2018, Sec. 4.1, Fig. 4 and Table 2): causal faithfulness measures that, unlike
 * Average Drop, do not saturate when the softmax is confident.
 *
 * Pixels are ranked by the map, hottest first (ties: lower pixel index first, so the order is
 * deterministic). For k = 0..steps, the first n_k = round(k * P / steps) of the P pixels are
 *   deletion:  replaced by the baseline in the image (start: the image; end: the baseline), RISE's "removed";
 *   insertion: copied from the image onto the baseline (start: the baseline; end: the image).
 * p_k = the class probability of the k-th image (the caller's `score`, e.g. the softmax probability of the
 * class predicted on the full image), and
 *
 *   AUC = sum_k (x_{k+1} - x_k) (p_k + p_{k+1}) / 2,   x_k = n_k / P   (trapezoid rule over the fraction).
 *
 * Deletion AUC: lower is better (the map finds the pixels the class needs). Insertion AUC: higher is better.
 * Defaults: 16 steps (DEFAULT_PERTURBATION_STEPS; RISE: 224 steps of 224 pixels), deletion baseline 'zero'
 * (a black image, RISE's deletion), insertion baseline 'blur' (the image blurred with a Gaussian of sigma 5
 * pixels, RISE's insertion canvas). Pure: no tfjs; the model is behind `score`.
 * RISE Table 2 compares Grad-CAM, sliding window, LIME and RISE this way on ResNet50 and VGG16 (ImageNet
 * val; e.g. RISE's own insertion AUC 0.7267 on ResNet50). AUCs depend on the step count and the baseline:
 * compare methods only at the same settings.
 */
import { InvalidInputError } from '../errors.js';
import { checkFinite, checkSize } from './regions.js';
import { DEFAULT_BLUR_SIGMA, DEFAULT_PERTURBATION_STEPS } from './constants.js';

/**
 * Scores a batch of images (each HWC, float, the same layout as the image given to deletion/insertion):
 * one number per image, normally the probability of the explained class. May be async.
 */
export type ImageScorer = (images: Float32Array[]) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** 'zero': every value 0; 'blur': the image blurred (blurSigma); or an image of the same size. */
export type Baseline = 'zero' | 'blur' | ArrayLike<number>;

export interface PerturbationOptions {
  /** Steps from 0 % to 100 % of the pixels (the curve has steps + 1 points); default 16. */
  steps?: number;
  /** Default: 'zero' for deletion, 'blur' for insertion (RISE). */
  baseline?: Baseline;
  /** Sigma of the 'blur' baseline in pixels; default DEFAULT_BLUR_SIGMA (5). */
  blurSigma?: number;
  /** Images per `score` call; default steps + 1 (one call). */
  batchSize?: number;
}

export interface PerturbationCurve {
  /** Area under the curve (trapezoid rule over the fraction of pixels); in [0, 1] for probabilities. */
  auc: number;
  /** x_k = n_k / P, from 0 to 1. */
  fractions: number[];
  /** p_k, the score of each step's image. */
  scores: number[];
  steps: number;
  baseline: 'zero' | 'blur' | 'custom';
}

/**
 * Deletion curve and AUC (RISE Sec. 4.1; lower is better): the map's hottest pixels are removed first
 * (set to the baseline, default 'zero').
 *
 * @example
 * import { deletion } from 'gradcam-wasm/metrics';
 * // a 2 x 2 grey image whose "model" is the mean pixel value; the map ranks the pixels 3, 2, 1, 0
 * const image = new Float32Array(4).fill(1), map = [0.1, 0.2, 0.3, 0.4];
 * const mean = (imgs) => imgs.map((im) => im.reduce((a, b) => a + b, 0) / im.length);
 * const d = await deletion(image, map, 2, 2, mean, { steps: 4 });
 * console.log(d.scores, d.auc); // [ 1, 0.75, 0.5, 0.25, 0 ] 0.5
 */
export function deletion(image: ArrayLike<number>, map: ArrayLike<number>, width: number, height: number,
  score: ImageScorer, options: PerturbationOptions = {}): Promise<PerturbationCurve> {
  return curve('deletion', image, map, width, height, score, options);
}

/**
 * Insertion curve and AUC (RISE Sec. 4.1; higher is better): the map's hottest pixels are inserted first
 * into the baseline (default 'blur', sigma 5 px).
 *
 * @example
 * import { insertion } from 'gradcam-wasm/metrics';
 * // the "model" looks at pixel 3 only; a map that points at it scores a high insertion AUC
 * const image = new Float32Array([0, 0, 0, 1]), score = (imgs) => imgs.map((im) => im[3]);
 * const good = await insertion(image, [0, 0, 0, 1], 2, 2, score, { steps: 4, baseline: 'zero' });
 * const bad = await insertion(image, [1, 0, 0, 0], 2, 2, score, { steps: 4, baseline: 'zero' });
 * console.log(good.auc, bad.auc); // 0.875 0.125
 */
export function insertion(image: ArrayLike<number>, map: ArrayLike<number>, width: number, height: number,
  score: ImageScorer, options: PerturbationOptions = {}): Promise<PerturbationCurve> {
  return curve('insertion', image, map, width, height, score, options);
}

/** Pixel indices by decreasing map value; equal values by increasing index (deterministic). */
export function perturbationOrder(map: ArrayLike<number>): Uint32Array {
  checkFinite(map, 'perturbationOrder: map');
  const idx = Uint32Array.from({ length: map.length }, (_, i) => i);
  return idx.sort((a, b) => map[b]! - map[a]! || a - b);
}

/**
 * Area under y(x) by the trapezoid rule: sum_k (x_{k+1} - x_k) (y_k + y_{k+1}) / 2. xs non-decreasing.
 *
 * @example
 * import { trapezoidAuc } from 'gradcam-wasm/metrics';
 * console.log(trapezoidAuc([0, 0.5, 1], [1, 1, 0])); // 0.75
 */
export function trapezoidAuc(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  if (xs.length !== ys.length || xs.length < 2) {
    throw new InvalidInputError(`trapezoidAuc needs xs and ys of one length >= 2; got ${xs.length} and ${ys.length}.`);
  }
  checkFinite(xs, 'trapezoidAuc: xs');
  checkFinite(ys, 'trapezoidAuc: ys');
  let a = 0;
  for (let k = 0; k + 1 < xs.length; k++) {
    const dx = xs[k + 1]! - xs[k]!;
    if (dx < 0) throw new InvalidInputError(`trapezoidAuc: xs must be non-decreasing; x[${k + 1}] < x[${k}].`);
    a += (dx * (ys[k]! + ys[k + 1]!)) / 2;
  }
  return a;
}

/**
 * Separable Gaussian blur of an HWC image (any number of channels): weights exp(-d^2 / (2 sigma^2)) for
 * |d| <= ceil(3 sigma), normalised to sum 1, edges replicated. sigma = 0 returns a copy.
 */
export function gaussianBlur(image: ArrayLike<number>, width: number, height: number, sigma = DEFAULT_BLUR_SIGMA): Float32Array {
  const C = channelsOf(image, width, height, 'gaussianBlur');
  if (!(typeof sigma === 'number' && sigma >= 0 && Number.isFinite(sigma))) {
    throw new InvalidInputError(`gaussianBlur: sigma must be a finite number >= 0 (pixels); got ${sigma}.`);
  }
  const src = Float64Array.from(image);
  if (sigma === 0) return Float32Array.from(src);
  const r = Math.ceil(3 * sigma);
  const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ws = w.reduce((a, b) => a + b, 0);
  const k = w.map((v) => v / ws);
  const clamp = (v: number, n: number): number => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const tmp = new Float64Array(src.length), out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += k[d + r]! * src[(y * width + clamp(x + d, width)) * C + c]!;
        tmp[(y * width + x) * C + c] = s;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let d = -r; d <= r; d++) s += k[d + r]! * tmp[(clamp(y + d, height) * width + x) * C + c]!;
        out[(y * width + x) * C + c] = s;
      }
    }
  }
  return out;
}

function channelsOf(image: ArrayLike<number>, width: number, height: number, what: string): number {
  checkSize({ length: width * height }, width, height, what);
  if (image == null || typeof image.length !== 'number') throw new InvalidInputError(`${what}: the image must be an array of numbers (HWC).`);
  const C = image.length / (width * height);
  if (!Number.isInteger(C) || C < 1) {
    throw new InvalidInputError(`${what}: the image has ${image.length} values, not a multiple of ${width} x ${height} ` +
      '(an HWC image of width x height pixels with 1 or more channels).');
  }
  return C;
}

async function curve(kind: 'deletion' | 'insertion', image: ArrayLike<number>, map: ArrayLike<number>, width: number,
  height: number, score: ImageScorer, o: PerturbationOptions): Promise<PerturbationCurve> {
  const C = channelsOf(image, width, height, kind);
  checkSize(map, width, height, `${kind}: map`);
  checkFinite(image, `${kind}: image`);
  if (typeof score !== 'function') throw new InvalidInputError(`${kind}: score must be a function (images) => one number per image.`);
  const P = width * height;
  const steps = o.steps ?? DEFAULT_PERTURBATION_STEPS;
  if (!Number.isInteger(steps) || steps < 1 || steps > P) {
    throw new InvalidInputError(`${kind}: steps must be an integer in [1, ${P}] (the number of pixels); got ${steps}.`);
  }
  const batchSize = o.batchSize ?? steps + 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidInputError(`${kind}: batchSize must be an integer >= 1; got ${batchSize}.`);
  const spec = o.baseline ?? (kind === 'deletion' ? 'zero' : 'blur');
  let base: Float32Array;
  if (spec === 'zero') base = new Float32Array(image.length);
  else if (spec === 'blur') base = gaussianBlur(image, width, height, o.blurSigma ?? DEFAULT_BLUR_SIGMA);
  else if (spec != null && typeof spec === 'object' && spec.length === image.length) {
    checkFinite(spec, `${kind}: baseline`);
    base = Float32Array.from(spec);
  } else {
    throw new InvalidInputError(`${kind}: baseline must be 'zero', 'blur' or an image of ${image.length} values; got ${typeof spec === 'object' ? `${spec?.length} values` : String(spec)}.`);
  }
  const order = perturbationOrder(map);
  const from = kind === 'deletion' ? Float32Array.from(image) : base;
  const to = kind === 'deletion' ? base : Float32Array.from(image);
  const counts = Array.from({ length: steps + 1 }, (_, k) => Math.round((k * P) / steps));
  const scores: number[] = [];
  let batch: Float32Array[] = [];
  const flush = async (): Promise<void> => {
    const out = await score(batch);
    if (out == null || out.length !== batch.length) {
      throw new InvalidInputError(`${kind}: score returned ${out?.length} values for ${batch.length} images; return one number per image.`);
    }
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError(`${kind}: score returned ${String(v)}; it must return finite numbers (class probabilities).`);
      scores.push(v);
    }
    batch = [];
  };
  const cur = Float32Array.from(from);
  for (let k = 0; k <= steps; k++) {
    if (k > 0) {
      for (let j = counts[k - 1]!; j < counts[k]!; j++) {
        const p = order[j]! * C;
        for (let c = 0; c < C; c++) cur[p + c] = to[p + c]!;
      }
    }
    batch.push(cur.slice());
    if (batch.length === batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  const fractions = counts.map((n) => n / P);
  return { auc: trapezoidAuc(fractions, scores), fractions, scores, steps, baseline: typeof spec === 'string' ? spec : 'custom' };
}
