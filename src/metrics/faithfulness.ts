/**
 * Faithfulness of explanation maps (Chattopadhyay et al., "Grad-CAM++", WACV 2018, arXiv 1710.11063:
 * the objective evaluation of Tables 1 (VGG-16, ImageNet), 2 (VOC 2007) and 10 (ResNet-50); see
 * docs methods-and-protocol.md). For one image and one method:
 *   c = the class predicted on the full image I,
 *   Y = softmax probability of c with the full image as input,
 *   E = L o I (upsampled normalised map times the image, pixel-wise; src/render.ts explanationMap),
 *   O = softmax probability of c with E as input.
 * These functions take Y and O (numbers the runner gets from the model) and are pure.
 */
import { InvalidInputError } from '../errors.js';
import { checkSame } from './regions.js';
import { WIN_TIE_TOLERANCE } from './constants.js';


function checkProb(y: number, o: number): void {
  if (!(y > 0 && y <= 1) || !(o >= 0 && o <= 1)) {
    throw new InvalidInputError(`Y must be in (0, 1] and O in [0, 1]; got Y = ${y}, O = ${o}.`);
  }
}

/** The relative drop of one image, max(0, Y - O) / Y, in [0, 1] (the term of the Average Drop sum). */
export function relativeDrop(y: number, o: number): number {
  checkProb(y, o);
  return Math.max(0, y - o) / y;
}

/**
 * Map mass = mean_p L(p) of a map in [0, 1]: how much of the image the explanation map E = L o I keeps. Descriptive,
 * not a quality: a broader map keeps more of the scene, which by itself lowers the Average Drop of its E (so two
 * methods' Average Drops are read beside their masses).
 *
 * @example
 * import { mapMass } from 'gradcam-wasm/metrics';
 * console.log(mapMass([1, 0, 0.5, 0.5])); // 0.5
 */
export function mapMass(map: ArrayLike<number>): number {
  if (map.length === 0) throw new InvalidInputError('mapMass needs a non-empty map.');
  let s = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (!(v >= 0 && v <= 1)) throw new InvalidInputError(`mapMass takes a map in [0, 1]; value ${v} at index ${i}.`);
    s += v;
  }
  return s / map.length;
}

/**
 * Average Drop % = 100/N * sum_i max(0, Y_i - O_i) / Y_i (Chattopadhyay et al. 2018, Sec. 5.1, Tables 1, 2,
 * 10; lower is better). Y_i = probability of the class on image i, O_i = on its explanation map E = L o I.
 * Paper Table 1 (VGG-16, ImageNet val): Grad-CAM++ 36.84, Grad-CAM 46.56.
 *
 * @example
 * import { averageDrop } from 'gradcam-wasm/metrics';
 * // image 1 loses half its confidence on E, image 2 gains (no drop)
 * console.log(averageDrop([0.9, 0.8], [0.45, 0.9])); // 25
 */
export function averageDrop(ys: ArrayLike<number>, os: ArrayLike<number>): number {
  checkSame(ys, os, 'averageDrop');
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += relativeDrop(ys[i]!, os[i]!);
  return (100 * s) / ys.length;
}

/**
 * % Increase in Confidence = 100/N * #{i : O_i > Y_i} (Chattopadhyay et al. 2018, Sec. 5.1, Tables 1, 2, 10;
 * higher is better). Strict: O = Y is no increase. Paper Table 1: Grad-CAM++ 19.53, Grad-CAM 18.96.
 *
 * @example
 * import { increaseInConfidence } from 'gradcam-wasm/metrics';
 * console.log(increaseInConfidence([0.9, 0.8], [0.45, 0.9])); // 50
 */
export function increaseInConfidence(ys: ArrayLike<number>, os: ArrayLike<number>): number {
  checkSame(ys, os, 'increaseInConfidence');
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    checkProb(ys[i]!, os[i]!);
    if (os[i]! > ys[i]!) n++;
  }
  return (100 * n) / ys.length;
}

/**
 * One image's share of the win among M methods, from their relative drops (paper Tables 1, 2, 10, Win %:
 * the method whose explanation map gives the smaller fall in confidence wins the image; the paper
 * compares two methods, this takes any number and states the ties). The winners are every method
 * with drop <= min(drop) + tol; each winner gets 1 / #winners, the others 0, so shares sum to 1 and a tie
 * is split equally (two methods with equal drops, e.g. both 0 because O >= Y for both, get 0.5 each).
 */
export function winShares(drops: readonly number[], tol = WIN_TIE_TOLERANCE): number[] {
  if (!drops || drops.length === 0) throw new InvalidInputError('winShares needs at least one method.');
  for (const d of drops) {
    if (!(typeof d === 'number' && d >= 0 && d <= 1)) throw new InvalidInputError(`relative drops must be in [0, 1]; got ${d}.`);
  }
  const best = Math.min(...drops);
  const win = drops.map((d) => d <= best + tol);
  const k = win.filter(Boolean).length;
  return win.map((w) => (w ? 1 / k : 0));
}

export interface WinStats {
  /** Win % of each method (ties split equally; the values sum to 100). */
  win: number[];
  /** % of images on which each method shares the win with at least one other method. */
  ties: number[];
  /**
   * % of images whose win is shared (two or more methods within the tie tolerance of the lowest drop). A
   * high tie rate means Win % says little: with a saturated softmax most drops are 0 for every method.
   */
  tieRate: number;
}

/**
 * Win % with its tie rate (issue: Win % is only meaningful next to the share of tied images). `drops[i][m]`
 * as in winPercent.
 *
 *   win_m   = 100/N sum_i winShares(drops_i)[m]
 *   ties_m  = 100/N #{i : m is a winner of image i and image i has >= 2 winners}
 *   tieRate = 100/N #{i : image i has >= 2 winners}
 *
 * @example
 * import { winStats } from 'gradcam-wasm/metrics';
 * const s = winStats([[0.1, 0.3], [0.2, 0.2], [0.5, 0.1], [0, 0]]); // Grad-CAM++, Grad-CAM drops per image
 * console.log(s.win, s.tieRate); // [ 50, 50 ] 50
 */
export function winStats(drops: readonly (readonly number[])[], tol = WIN_TIE_TOLERANCE): WinStats {
  const win = winPercent(drops, tol);
  const ties = new Array<number>(win.length).fill(0);
  let tied = 0;
  for (const row of drops) {
    const shares = winShares(row, tol);
    if (shares.filter((v) => v > 0).length < 2) continue;
    tied++;
    shares.forEach((v, m) => { if (v > 0) ties[m] += 1; });
  }
  return { win, ties: ties.map((t) => (100 * t) / drops.length), tieRate: (100 * tied) / drops.length };
}

/**
 * Win % of each method over N images: 100/N * sum_i winShares(drops_i)[m] (Chattopadhyay et al. 2018, Sec.
 * 5.1, Tables 1, 2, 10: Grad-CAM++ 70.72 vs Grad-CAM 29.28 on VGG-16, ImageNet). `drops[i][m]` is the
 * relative drop (relativeDrop) of method m on image i (every image lists the methods in the same order).
 * The values sum to 100. Report it with its tie rate (winStats).
 *
 * @example
 * import { winPercent } from 'gradcam-wasm/metrics';
 * const w = winPercent([[0.1, 0.3], [0.2, 0.2], [0.05, 0.1]]); // [method A, method B] per image
 * console.log(w.map((v) => v.toFixed(1))); // [ '83.3', '16.7' ]
 */
export function winPercent(drops: readonly (readonly number[])[], tol = WIN_TIE_TOLERANCE): number[] {
  if (!Array.isArray(drops) || drops.length === 0) throw new InvalidInputError('winPercent needs at least one image (an array of rows of drops).');
  const M = drops[0]!.length;
  const sum = new Array<number>(M).fill(0);
  for (const row of drops) {
    if (!row || row.length !== M) throw new InvalidInputError(`every image must list ${M} methods; got ${row.length}.`);
    winShares(row, tol).forEach((s, m) => { sum[m] += s; });
  }
  return sum.map((s) => (100 * s) / drops.length);
}
