/**
 * Class names that travel with a model object: loadModel (gradcam-wasm/node) attaches the labels it finds
 * next to a model file (labels.json, or card.json's classNames), and explainers use them when no `labels`
 * option is given. Kept in a WeakMap: nothing is written onto the model, and nothing outlives it.
 */
import { InvalidInputError } from '../errors.js';

const byModel = new WeakMap<object, readonly string[]>();

/** Attaches class names to a model (what loadModel does with labels.json). */
export function attachLabels(model: object, labels: readonly string[]): void {
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
    throw new InvalidInputError('labels must be an array of class names (strings).');
  }
  byModel.set(model, Object.freeze([...labels]));
}

/** The class names attached to a model, if any. */
export function labelsOf(model: object): readonly string[] | undefined {
  return byModel.get(model);
}
