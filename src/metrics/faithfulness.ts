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

/** Average Drop % = 100/N * sum_i max(0, Y_i - O_i) / Y_i (paper Tables 1, 2, 10; lower is better). */
export function averageDrop(ys: readonly number[], os: readonly number[]): number {
  checkSame(ys, os, 'averageDrop');
  let s = 0;
  for (let i = 0; i < ys.length; i++) s += relativeDrop(ys[i]!, os[i]!);
  return (100 * s) / ys.length;
}

/**
 * % Increase in Confidence = 100/N * #{i : O_i > Y_i} (paper Tables 1, 2, 10; higher is better). Strict: O = Y
 * is no increase.
 */
export function increaseInConfidence(ys: readonly number[], os: readonly number[]): number {
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
  if (drops.length === 0) throw new InvalidInputError('winShares needs at least one method.');
  for (const d of drops) {
    if (!(d >= 0 && d <= 1)) throw new InvalidInputError(`relative drops must be in [0, 1]; got ${d}.`);
  }
  const best = Math.min(...drops);
  const win = drops.map((d) => d <= best + tol);
  const k = win.filter(Boolean).length;
  return win.map((w) => (w ? 1 / k : 0));
}

/**
 * Win % of each method over N images: 100/N * sum_i winShares(drops_i)[m]. `drops[i][m]` is the relative
 * drop of method m on image i (every image lists the methods in the same order). The values sum to 100.
 */
export function winPercent(drops: readonly (readonly number[])[], tol = WIN_TIE_TOLERANCE): number[] {
  if (drops.length === 0) throw new InvalidInputError('winPercent needs at least one image.');
  const M = drops[0]!.length;
  const sum = new Array<number>(M).fill(0);
  for (const row of drops) {
    if (row.length !== M) throw new InvalidInputError(`every image must list ${M} methods; got ${row.length}.`);
    winShares(row, tol).forEach((s, m) => { sum[m] += s; });
  }
  return sum.map((s) => (100 * s) / drops.length);
}
