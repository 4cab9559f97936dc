/**
 * Reading a model card (card.json next to a model.json): invalid JSON or a field of the wrong type is an
 * InvalidInputError that names the file and says what to fix, never a SyntaxError or a TypeError later.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';
import type { ModelCardLike } from '../card.js';

/** The card at `file`, or undefined when there is no such file. */
export function readCard(file: string): ModelCardLike | undefined {
  if (!existsSync(file)) return undefined;
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError(`${file} is not valid JSON (${(e as Error).message}); fix or delete that model card.`);
  }
  const bad = (what: string) => new InvalidInputError(`${file}: ${what}; fix or delete that model card.`);
  if (card === null || typeof card !== 'object' || Array.isArray(card)) throw bad('a model card must be a JSON object');
  const c = card as Record<string, unknown>;
  for (const k of ['targetLayer', 'preprocessing', 'name'] as const) {
    if (c[k] != null && typeof c[k] !== 'string') throw bad(`"${k}" must be a string, got ${JSON.stringify(c[k])}`);
  }
  if (c.classNames != null && !(Array.isArray(c.classNames) && c.classNames.every((n) => typeof n === 'string'))) {
    throw bad('"classNames" must be an array of strings');
  }
  if (c.inputShape != null && !(Array.isArray(c.inputShape) && c.inputShape.every((n) => Number.isInteger(n)))) {
    throw bad('"inputShape" must be an array of integers');
  }
  return c as ModelCardLike;
}
