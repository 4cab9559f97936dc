/**
 * The worker-thread side of createExplainerPool (./pool.ts): its own tfjs (wasm backend, one thread), its own
 * copy of the model (loaded from a model.json path or a bundled model name) and one Explainer. It explains one
 * request at a time and posts the results back with their Float32Array buffers transferred.
 * Also the wire format both sides share (plain, structured-clone-able data).
 */
import * as tf from '@tensorflow/tfjs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { inputRangeOf, preprocessFor, type InputRange } from '../card.js';
import { GradCamError } from '../errors.js';
import type { ExplainRequest, ImageExplanations, OutputSize } from '../explainer.js';
import type { ImageDataLike, ImageInput } from '../image.js';

/** What a worker is started with. */
export interface WorkerInit {
  model: string;
  layer?: string | readonly string[];
  kernels?: 'wasm' | 'js';
  outputSize?: OutputSize;
  inputRange?: InputRange;
}

/** An image on the wire: RGBA bytes, or a tensor's values. */
export type WireImage =
  | { kind: 'rgba'; data: Uint8Array | Uint8ClampedArray; width: number; height: number }
  | { kind: 'tensor'; values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype: 'float32' | 'int32' | 'bool' };

export type WireRequest = Omit<ExplainRequest, 'preprocess'>;
/** ImageExplanations without its `get` method. */
export type WireResult = Omit<ImageExplanations, 'get'>;

export interface WireError {
  name: string; message: string; stack?: string; code?: string;
  /** Extra fields of typed errors (UnknownLayerError.candidates, ModelFileError.file, ...). */
  fields?: Record<string, unknown>;
}

export type ToWorker =
  | { type: 'explain'; id: number; images: WireImage[]; request: WireRequest }
  | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; layer: string }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; results: WireResult[] }
  | { type: 'error'; id: number; error: WireError };

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const out: WireError = { name: e.name, message: e.message, stack: e.stack };
  if (e instanceof GradCamError) {
    out.code = e.code;
    // the typed error's own fields (UnknownLayerError.candidates, ModelFileError.file, ...), when plain data
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'code' || k === 'name' || k === 'message') continue;
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x !== 'object' && typeof x !== 'function'))) fields[k] = v;
    }
    out.fields = fields;
  }
  return out;
}

/** The buffers of typed arrays that can be moved (own, whole, non-shared buffers); others are copied first. */
export function movable<T extends Float32Array | Uint8Array | Uint8ClampedArray | Int32Array>(v: T, transfer: ArrayBuffer[]): T {
  const whole = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer;
  const own = whole ? v : (v.slice() as T);
  if (!transfer.includes(own.buffer as ArrayBuffer)) transfer.push(own.buffer as ArrayBuffer);
  return own;
}

function fromWire(image: WireImage): { input: ImageInput; dispose(): void } {
  if (image.kind === 'rgba') return { input: image as ImageDataLike, dispose: () => {} };
  const t: tf.Tensor = tf.tensor(image.values, image.shape, image.dtype);
  return { input: t as tf.Tensor3D, dispose: () => t.dispose() };
}

function toWire(r: ImageExplanations, transfer: ArrayBuffer[]): WireResult {
  return {
    layer: r.layer, top: r.top, timings: r.timings,
    logits: movable(r.logits, transfer), probabilities: movable(r.probabilities, transfer),
    explanations: r.explanations.map((e) => ({
      ...e, cam: movable(e.cam, transfer), heatmap: movable(e.heatmap, transfer), weights: movable(e.weights, transfer),
    })),
  };
}

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  let explainer: import('../explainer.js').Explainer, model: import('../plan/plan.js').ExplainableModel;
  try {
    // Imported here, not at the top: the main thread imports this module for its types and helpers only.
    const { useWasmBackend } = await import('../backend/index.js');
    const { createExplainer } = await import('../explainer.js');
    const { loadModel } = await import('./model-io.js');
    const { resolveModel } = await import('./zoo.js');
    await useWasmBackend();
    const resolved = resolveModel(init.model);
    model = await loadModel(resolved.file);
    const range = init.inputRange ?? (resolved.card ? inputRangeOf(resolved.card).range : undefined);
    explainer = await createExplainer(model, {
      layer: init.layer, kernels: init.kernels, outputSize: init.outputSize, preprocess: range ? preprocessFor(range) : undefined,
    });
  } catch (e) {
    port.postMessage({ type: 'init-error', error: toWireError(e) } satisfies FromWorker);
    return;
  }
  port.on('message', async (msg: ToWorker) => {
    if (msg.type === 'close') {
      explainer.dispose();
      model.dispose();
      port.close(); // nothing else keeps this thread alive: it exits
      return;
    }
    const inputs = msg.images.map(fromWire);
    try {
      const res = await explainer.explain(inputs.map((i) => i.input), msg.request);
      const transfer: ArrayBuffer[] = [];
      const results = res.map((r) => toWire(r, transfer));
      port.postMessage({ type: 'result', id: msg.id, results } satisfies FromWorker, transfer);
    } catch (e) {
      port.postMessage({ type: 'error', id: msg.id, error: toWireError(e) } satisfies FromWorker);
    } finally {
      for (const i of inputs) i.dispose();
    }
  });
  port.postMessage({ type: 'ready', layer: explainer.layer } satisfies FromWorker);
}

if (!isMainThread && parentPort && (workerData as { gradcamPool?: boolean } | null)?.gradcamPool) {
  void main();
}
