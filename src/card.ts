/**
 * A model's input scaling, from its card.json (`preprocessing`, e.g. 'RGB in [0,1]') or from the user.
 * Pure (no Node APIs, no tfjs import): the CLI, `npm run demo` and the browser demo share it.
 */
import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError, UnsupportedModelError } from './errors.js';
import type { Preprocess } from './image.js';

/** The pixel range the model was trained on. Images arrive as RGB 0..255. */
export const INPUT_RANGES = ['0,1', '0,255', '-1,1'] as const;
export type InputRange = (typeof INPUT_RANGES)[number];

/** The fields of card.json this package reads (the trainers write more). */
export interface ModelCardLike {
  name?: string;
  inputShape?: number[];
  classNames?: string[];
  targetLayer?: string;
  preprocessing?: string;
  [key: string]: unknown;
}

export function parseInputRange(text: string): InputRange {
  const t = text.replace(/[\s[\]]/g, '');
  if ((INPUT_RANGES as readonly string[]).includes(t)) return t as InputRange;
  throw new InvalidInputError(`Unknown input range "${text}"; use one of ${INPUT_RANGES.join(' | ')}.`);
}

/**
 * The input range: `override` if given, else the card's `preprocessing` ('RGB in [0,1]' -> '0,1',
 * '[-1,1]' -> '-1,1', '[0,255]' -> '0,255'), else '0,1' (the digit-scene models' convention).
 */
export function inputRangeOf(card: ModelCardLike | undefined, override?: string): { range: InputRange; from: 'option' | 'card' | 'default' } {
  if (override != null) return { range: parseInputRange(override), from: 'option' };
  const p = card?.preprocessing;
  if (p == null) return { range: '0,1', from: 'default' };
  const t = String(p).replace(/\s/g, '');
  for (const r of ['-1,1', '0,255', '0,1'] as const) if (t.includes(`[${r}]`)) return { range: r, from: 'card' };
  throw new UnsupportedModelError(`The model card's preprocessing "${p}" is not understood; ` +
    `give the input range explicitly (${INPUT_RANGES.join(' | ')}).`);
}

/** The Preprocess step for a range: RGB 0..255 -> the model's range (undefined for '0,255'). */
export function preprocessFor(range: InputRange): Preprocess | undefined {
  // the tensor's chained ops (registered by @tensorflow/tfjs), so this module needs no tfjs import
  if (range === '0,1') return (b) => b.div(255) as tf.Tensor4D;
  if (range === '-1,1') return (b) => b.div(127.5).sub(1) as tf.Tensor4D;
  return undefined;
}

/** The name of class c from the card, or its index as text. */
export function className(card: ModelCardLike | undefined, c: number): string {
  const n = card?.classNames?.[c];
  return n != null && n !== String(c) ? `${c} "${n}"` : String(c);
}

/** A --class value: an index, or a name from the card's classNames. */
export function parseClass(text: string, card: ModelCardLike | undefined): number {
  if (/^\d+$/.test(text.trim())) return Number(text);
  const i = card?.classNames?.indexOf(text) ?? -1;
  if (i >= 0) return i;
  throw new InvalidInputError(`--class "${text}" is neither a class index nor one of the model's class names` +
    (card?.classNames ? ` (${card.classNames.join(', ')})` : ' (the model has no card.json with classNames)') + '.');
}
