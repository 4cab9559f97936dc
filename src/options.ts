/**
 * The options of the explainers and their validation: every option is checked before any work, and a bad
 * one is an InvalidInputError (or ClassIndexError, UnknownMethodError, BackendError) that says what to pass.
 */
import * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_METHOD, MAX_OUTPUT_PIXELS, SCORECAM_BATCH_SIZE, SMOOTH_NOISE, SMOOTH_SAMPLES, SMOOTH_SEED,
} from './constants.js';
import { BackendError, ClassIndexError, InvalidInputError, UnknownMethodError } from './errors.js';
import type { Preprocess } from './image.js';
import { getMethod, METHOD_NAMES, type MethodName } from './methods/registry.js';
import type { Method } from './methods/types.js';
import type { TargetFunction } from './plan/pass.js';

export type OutputSize = [height: number, width: number] | { width: number; height: number };

export interface ExplainerOptions {
  /**
   * Target layer name (LayersModel) or node name (GraphModel); default: the last layer/node with a 4-D output
   * of spatial size > 1 that feeds the class scores. Several names: multi-layer fusion (each layer's map ReLU'd,
   * normalised and upsampled to the output size, the maps averaged, then normalised again).
   */
  layer?: string | readonly string[];
  /** Applied to the float32 [1, H, W, C] batch before the model (default: none). */
  preprocess?: Preprocess;
  /** Size of `heatmap`; default: the input image's size. At most MAX_OUTPUT_PIXELS (8192 x 8192) pixels. */
  outputSize?: OutputSize;
  /** 'wasm' (AssemblyScript SIMD, default) or 'js' (the plain TypeScript reference kernels). */
  kernels?: 'wasm' | 'js';
  /**
   * Which tfjs backend runs the model. Default (unset): the wasm backend must already be active (call
   * `await useWasmBackend()` once at start-up), else a BackendError; the library never switches an app's
   * backend by itself. 'wasm': switch to the wasm backend now (for the whole app, as tf.setBackend does).
   * 'current': run on whatever backend is active (webgl, cpu, ...), no check.
   */
  backend?: 'wasm' | 'current';
  /** Class names, one per class: results carry `label`. Default: the labels loadModel found next to the model. */
  labels?: readonly string[];
  /**
   * Fold each BatchNormalization into the convolution before it, once, when the explainer is made (inference
   * only; a LayersModel's weights are read, never changed; docs/performance.md). Default true; false runs the
   * layers as they are.
   */
  foldBatchNorm?: boolean;
}

/** Options of the methods that run extra passes; each call's own (they never carry over to the next call). */
export interface PassOptions {
  /** Smooth Grad-CAM++: how many noisy copies of the input (default SMOOTH_SAMPLES = 16). */
  samples?: number;
  /**
   * Smooth Grad-CAM++: the noise's standard deviation as a fraction of the input's range (max - min of the model
   * input after preprocess); default SMOOTH_NOISE = 0.15. 0 gives Grad-CAM++.
   */
  noise?: number;
  /** Smooth Grad-CAM++: the seed of the noise (default SMOOTH_SEED = 0); the same seed gives the same maps. */
  seed?: number;
  /** Score-CAM: masked inputs per forward pass (default SCORECAM_BATCH_SIZE = 32). */
  batchSize?: number;
}

export interface ExplainOptions extends ExplainerOptions, PassOptions {
  /** A method of the registry (METHOD_NAMES); default 'gradcam++'. */
  method?: MethodName;
  /**
   * What to explain: a class index, or a function of the logits returning a scalar (the score S whose
   * gradient is taken). Default: the top-1 prediction.
   */
  target?: number | TargetFunction;
  /** The class to explain (the same as a numeric `target`). */
  classIndex?: number;
}

export interface ExplainRequest extends PassOptions {
  /** Methods; every gradient method shares ONE forward/backward pass per target (Smooth Grad-CAM++ and Score-CAM add their own passes); default ['gradcam++']. */
  methods?: readonly MethodName[];
  /**
   * What to explain: a class index, several, or a function `(logits: tf.Tensor1D) => tf.Scalar` (its value is
   * the score S; gradient methods only). Default: the top `topK` predictions.
   */
  target?: number | readonly number[] | TargetFunction;
  /** Class(es) to explain (the same as a numeric `target`). */
  classIndex?: number | readonly number[];
  /** Explain the top-k predicted classes (default 1); only without target/classIndex. */
  topK?: number;
  preprocess?: Preprocess;
  outputSize?: OutputSize;
  /** Class names for this request (default: the explainer's). */
  labels?: readonly string[];
}

export function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : typeof x === 'string' ? `the string "${x}"` : `${typeof x} ${String(x)}`;
}

export function sizeOf(size: OutputSize | undefined, fallback: { height: number; width: number }): { height: number; width: number } {
  const given = size != null;
  const s = !given ? fallback : Array.isArray(size) ? { height: size[0], width: size[1] } : typeof size === 'object'
    ? size as { height: number; width: number } : null;
  const text = given ? `outputSize ${JSON.stringify(size) ?? String(size)}` : `The image size ${fallback.width} x ${fallback.height}`;
  if (!s || (Array.isArray(size) && size.length !== 2) || !Number.isInteger(s.height) || !Number.isInteger(s.width) ||
    s.height < 1 || s.width < 1) {
    throw new InvalidInputError(`outputSize must be [height, width] or {width, height} of positive integers; got ${JSON.stringify(size) ?? String(size)}.`);
  }
  if (s.height * s.width > MAX_OUTPUT_PIXELS) {
    throw new InvalidInputError(`${text} has ${s.height * s.width} pixels, more than the ${MAX_OUTPUT_PIXELS} ` +
      '(8192 x 8192) a heatmap may have; pass a smaller outputSize and upscale the heatmap.');
  }
  return s;
}

export function checkOptions(o: unknown, what: string): void {
  if (o != null && (typeof o !== 'object' || Array.isArray(o))) {
    throw new InvalidInputError(`${what} must be an object of options; got ${kindOf(o)}.`);
  }
}

export function checkCommonOptions(o: ExplainerOptions): void {
  layerList(o.layer);
  if (o.kernels != null && o.kernels !== 'wasm' && o.kernels !== 'js') {
    throw new InvalidInputError(`kernels must be 'wasm' (AssemblyScript SIMD) or 'js' (TypeScript reference); got ${kindOf(o.kernels)}.`);
  }
  if (o.foldBatchNorm != null && typeof o.foldBatchNorm !== 'boolean') {
    throw new InvalidInputError(`foldBatchNorm must be true or false (or unset); got ${kindOf(o.foldBatchNorm)}.`);
  }
  if (o.backend != null && o.backend !== 'wasm' && o.backend !== 'current') {
    throw new InvalidInputError(`backend must be 'wasm' or 'current' (or unset); got ${kindOf(o.backend)}.`);
  }
  if (o.preprocess != null && typeof o.preprocess !== 'function') {
    throw new InvalidInputError(`preprocess must be a function (batch: tf.Tensor4D) => tf.Tensor4D; got ${kindOf(o.preprocess)}.`);
  }
  if (o.outputSize != null) sizeOf(o.outputSize, { height: 1, width: 1 });
}

export function checkLabels(labels: unknown, numClasses: number): readonly string[] | undefined {
  if (labels == null) return undefined;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) {
    throw new InvalidInputError(`labels must be an array of class names (strings); got ${kindOf(labels)}.`);
  }
  if (labels.length !== numClasses) {
    throw new InvalidInputError(`labels has ${labels.length} names but the model has ${numClasses} classes.`);
  }
  return labels;
}

/** The active backend, checked against the `backend` option (see ExplainerOptions.backend). */
export function checkBackend(option: ExplainerOptions['backend']): void {
  if (option === 'current') return;
  const active = tf.getBackend();
  if (active === 'wasm') return;
  throw new BackendError(`The active tfjs backend is '${active}', not 'wasm'. The library does not switch your app's ` +
    "backend by itself: call `await useWasmBackend()` once at start-up, pass `backend: 'wasm'` to let this call " +
    `switch it, or \`backend: 'current'\` to explain on '${active}'.`);
}

export type Targets = { kind: 'top'; k: number } | { kind: 'classes'; classes: number[] } | { kind: 'function'; fn: TargetFunction };

/** Validates target / classIndex / topK: class indices are integers in range, lists are not empty. */
export function resolveTargets(request: ExplainRequest, numClasses: number): Targets {
  if (request.target != null && request.classIndex != null) {
    throw new InvalidInputError('Pass either target or classIndex, not both (a numeric target is a class index).');
  }
  const t = request.target ?? request.classIndex;
  const name = request.target != null ? 'target' : 'classIndex';
  if (t == null) {
    const k = request.topK ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > numClasses) {
      throw new InvalidInputError(`topK must be an integer in 1..${numClasses}; got ${kindOf(k)}.`);
    }
    return { kind: 'top', k };
  }
  if (typeof t === 'function') return { kind: 'function', fn: t as TargetFunction };
  const list = Array.isArray(t) ? t as unknown[] : [t];
  if (list.length === 0) {
    throw new InvalidInputError(`${name} is an empty list; pass a class index, several, or leave it unset for the top prediction.`);
  }
  for (const c of list) {
    if (typeof c !== 'number' || !Number.isInteger(c)) {
      throw new InvalidInputError(`${name} must be an integer class index (or a list of them, or a function of the logits); ` +
        `got ${kindOf(c)}` + (typeof c === 'string' && /^\d+$/.test(c) ? ` (write ${c}, not '${c}').` : '.'));
    }
    if (c < 0 || c >= numClasses) throw new ClassIndexError(c, numClasses);
  }
  return { kind: 'classes', classes: list as number[] };
}

export function resolveMethods(names: unknown): Method[] {
  const list = names == null ? [DEFAULT_METHOD] : names;
  if (!Array.isArray(list)) throw new InvalidInputError(`methods must be an array of method names; got ${kindOf(names)}.`);
  if (list.length === 0) throw new InvalidInputError(`methods is empty; pass at least one of ${METHOD_NAMES.join(', ')}.`);
  return list.map((n) => {
    if (typeof n !== 'string') throw new UnknownMethodError(kindOf(n), METHOD_NAMES);
    return getMethod(n);
  });
}

/** The target layers asked for: [undefined] (the default layer), or the names, checked (strings, distinct, not empty). */
export function layerList(layer: unknown): (string | undefined)[] {
  if (layer == null) return [undefined];
  if (typeof layer === 'string') return [layer];
  if (!Array.isArray(layer)) throw new InvalidInputError(`layer must be a layer (or node) name or a list of them; got ${kindOf(layer)}.`);
  if (layer.length === 0) throw new InvalidInputError('layer is an empty list; name at least one layer, or leave it unset for the default.');
  for (const l of layer) {
    if (typeof l !== 'string') throw new InvalidInputError(`layer must be a list of layer (or node) names; it holds ${kindOf(l)}.`);
  }
  if (new Set(layer).size !== layer.length) throw new InvalidInputError(`layer names a layer twice: ${layer.join(', ')}.`);
  return [...layer] as string[];
}

/** samples / noise / seed / batchSize of a call, checked, with their defaults. */
export function passOptions(o: PassOptions): Required<PassOptions> {
  const int = (v: unknown, name: string, min: number, max: number) => {
    if (v != null && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
      throw new InvalidInputError(`${name} must be an integer in ${min}..${max}; got ${kindOf(v)}.`);
    }
  };
  int(o.samples, 'samples', 1, 1024);
  int(o.batchSize, 'batchSize', 1, 1024);
  int(o.seed, 'seed', 0, 2 ** 32 - 1);
  if (o.noise != null && (typeof o.noise !== 'number' || !Number.isFinite(o.noise) || o.noise < 0 || o.noise > 10)) {
    throw new InvalidInputError(`noise must be a number in [0, 10] (a fraction of the input range); got ${kindOf(o.noise)}.`);
  }
  return {
    samples: o.samples ?? SMOOTH_SAMPLES, noise: o.noise ?? SMOOTH_NOISE, seed: o.seed ?? SMOOTH_SEED,
    batchSize: o.batchSize ?? SCORECAM_BATCH_SIZE,
  };
}
