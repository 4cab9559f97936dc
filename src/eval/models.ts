/**
 * The models of an evaluation: resolved, loaded, checked against the digit scenes (square RGB input, the
 * scene size, 10 classes), with one explainer each at the default or a given layer.
 */
import * as tf from '@tensorflow/tfjs';
import { createExplainer, probabilities, type Explainer } from '../explainer.js';
import { getMethod, type MethodName } from '../methods/registry.js';
import { InvalidInputError, UnsupportedModelError } from '../errors.js';
import { NUM_CLASSES } from '../data/index.js';
import { inputRangeOf, type InputRange } from '../card.js';
import type { Preprocess } from '../image.js';
import { resolveModel } from '../node/zoo.js';
import { loadLayersModel as loadModel } from '../node/model-io.js';
import type { ModelInfo, ModelSpec } from './types.js';

export interface LoadedModel {
  name: string;
  model: tf.LayersModel;
  explainer: Explainer;
  size: number;
  info: ModelInfo;
  ok: MethodName[];
  /** Maps [0,1] pixels to the model's range; undefined for [0,1]. Applied to I, E and the curves' images alike. */
  preprocess?: Preprocess;
  time: { explain: number; predict: number; auc: number; metrics: number; total: number };
}

/** `name@layer` or a ModelSpec -> a ModelSpec. */
export function toSpec(m: string | ModelSpec): ModelSpec {
  if (typeof m === 'string') {
    const at = m.lastIndexOf('@');
    if (at > 0 && at < m.length - 1 && !/[\\/]/.test(m.slice(at + 1))) return { model: m.slice(0, at), layer: m.slice(at + 1) };
    return { model: m };
  }
  if (m == null || typeof m !== 'object' || typeof m.model !== 'string') {
    throw new InvalidInputError(`models entries must be a name, a model.json path, 'name@layer' or {model, layer?, name?}; got ${JSON.stringify(m)}.`);
  }
  return m;
}

/** Scene pixels in [0,1] -> the model's input range (E = L o I is formed in [0,1] first, as in the paper). */
const FROM_UNIT: Record<InputRange, Preprocess | undefined> = {
  '0,1': undefined,
  '0,255': (b) => tf.mul(b, 255) as tf.Tensor4D,
  '-1,1': (b) => tf.sub(tf.mul(b, 2), 1) as tf.Tensor4D,
};

function inputShapeOf(model: tf.LayersModel, card: Record<string, unknown> | undefined, name: string, size?: number): [number, number, number] {
  const fromCard = card?.inputShape;
  const shape = Array.isArray(fromCard) ? fromCard : model.inputs[0]!.shape.slice(1);
  const [h, w, c] = shape as (number | null)[];
  if (h == null || w == null || h !== w || c !== 3) {
    throw new UnsupportedModelError(`Model ${name}: digit scenes are square RGB, so the model needs a fixed input of [S, S, 3]; ` +
      `its input shape is [${shape.join(', ')}].`);
  }
  if (h < 24) throw new UnsupportedModelError(`Model ${name}: digit scenes need an input of at least 24 x 24; got ${h}.`);
  if (size != null && h !== size) {
    throw new UnsupportedModelError(`Model ${name} takes ${h} x ${h} images; the scenes are ${size} x ${size} (size). ` +
      `Evaluate it at size ${h}, or leave size out to use each model's own input size.`);
  }
  return [h, w, 3];
}

/** Loads one model; `taken` makes report names unique. Throws (after disposing) if it does not fit the scenes. */
export async function loadEntry(spec: ModelSpec, methods: MethodName[], taken: Set<string>, size?: number): Promise<LoadedModel> {
  const r = resolveModel(spec.model);
  const base = spec.name ?? (spec.layer ? `${r.name}@${spec.layer}` : r.name);
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}#${k}`;
  taken.add(name);
  const model = await loadModel(r.file);
  let inputShape: [number, number, number], explainer: Explainer | undefined, range: InputRange;
  try {
    range = inputRangeOf(r.card).range;
    inputShape = inputShapeOf(model, r.card, name, size);
    const layer = spec.layer ?? (typeof r.card?.targetLayer === 'string' ? r.card.targetLayer : undefined);
    explainer = await createExplainer(model, { layer });
    if (explainer.plan.numClasses !== NUM_CLASSES) {
      throw new UnsupportedModelError(`Model ${name} has ${explainer.plan.numClasses} classes; the digit scenes have ${NUM_CLASSES} ` +
        '(digits 0-9), so its accuracy and metrics would mean nothing. Evaluate a 10-class digit model.');
    }
  } catch (e) {
    explainer?.dispose();
    model.dispose();
    throw e;
  }
  const plan = explainer.plan;
  const status = methods.map((method) => {
    const m = getMethod(method);
    const why = m.applies(plan); return why === true ? { method, applicable: true } : { method, applicable: false, reason: why };
  });
  return {
    name, model, explainer, size: inputShape[0],
    info: {
      name, file: r.file, inputShape, params: model.countParams(), layer: explainer.layer, layerGiven: spec.layer != null,
      camSize: [plan.camHeight, plan.camWidth], outputActivation: plan.outputActivation, inputRange: range, methods: status,
      accuracy: 0, correct: 0,
    },
    ok: status.filter((s) => s.applicable).map((s) => s.method),
    preprocess: FROM_UNIT[range],
    time: { explain: 0, predict: 0, auc: 0, metrics: 0, total: 0 },
  };
}

/**
 * Class probabilities of a batch of [S,S,3] images in [0,1] (softmax of the logits when the output is
 * linear), one Float32Array per image. Disposes everything it creates.
 */
export function predictRows(lm: LoadedModel, images: tf.Tensor3D[] | Float32Array[]): Float32Array[] {
  const S = lm.size;
  const out = tf.tidy(() => {
    const t = images.map((im) => (im instanceof tf.Tensor ? im : tf.tensor3d(im, [S, S, 3])));
    const b = tf.stack(t) as tf.Tensor4D;
    const o = lm.model.predict(lm.preprocess ? lm.preprocess(b) : b);
    if (Array.isArray(o)) throw new UnsupportedModelError(`Model ${lm.name} has ${o.length} outputs; evaluation needs one class-score output.`);
    return o;
  });
  const v = out.dataSync() as Float32Array;
  out.dispose();
  const k = v.length / images.length;
  return Array.from({ length: images.length }, (_, i) => {
    const row = v.slice(i * k, (i + 1) * k);
    return lm.info.outputActivation === 'linear' ? probabilities(row, 'softmax') : row;
  });
}
