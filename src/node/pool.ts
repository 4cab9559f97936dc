/**
 * createExplainerPool: explanations on several cores in Node. tfjs-wasm runs one thread per process in Node, so
 * the pool starts `workers` worker_threads, each with its own tfjs (wasm backend) and its own copy of the model,
 * and hands them one image at a time (first come, first served). The results equal a single Explainer's, byte for
 * byte: every worker runs the same binary on the same weights.
 *
 * The model is given as a model.json path (or its folder) or a bundled model name: a LayersModel object cannot
 * cross threads. Likewise preprocessing is an `inputRange` ('0,1' | '-1,1' | '0,255', pixels arrive as 0..255),
 * default the model's card.json, else none.
 *
 * @example
 * import { createExplainerPool } from 'gradcam-wasm/node';
 * const pool = await createExplainerPool({ workers: 2, model: 'models/vgg16-digits/model.json' });
 * const results = await pool.explain([imageA, imageB, imageC], { methods: ['gradcam++'] });
 * await pool.close();
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { parseInputRange, type InputRange } from '../card.js';
import * as errors from '../errors.js';
import { DisposedError, GradCamError, InvalidInputError, WorkerError } from '../errors.js';
import type { ExplainerOptions, ExplainRequest, ImageExplanations } from '../explainer.js';
import { isImageDataLike, type ImageInput } from '../image.js';
import { movable, type FromWorker, type ToWorker, type WireError, type WireImage, type WireResult, type WorkerInit } from './pool-worker.js';
import { resolveModel } from './zoo.js';

export interface ExplainerPoolOptions extends Omit<ExplainerOptions, 'preprocess' | 'backend'> {
  /** A model.json path (or its folder) or a bundled model name. */
  model: string;
  /** Worker threads; default os.availableParallelism(). */
  workers?: number;
  /** The model's input range (pixels arrive as RGB 0..255); default the model's card.json, else none. */
  inputRange?: InputRange | string;
  /**
   * Move the images' pixel buffers to the workers instead of copying them (default false). The caller's arrays
   * are detached afterwards (length 0): use it only for images that are not needed again.
   */
  transfer?: boolean;
}

export type PoolRequest = Omit<ExplainRequest, 'preprocess'>;

export interface ExplainerPool {
  readonly workers: number;
  readonly layer: string;
  /** Explains the images, spread over the workers one image per job; results in the order given. */
  explain(images: ImageInput | readonly ImageInput[], request?: PoolRequest): Promise<ImageExplanations[]>;
  /** Waits for the calls in flight, then stops every worker. Idempotent. */
  close(): Promise<void>;
}

/** Symbol of a hidden method of a pool returning its Worker objects (diagnostics and tests only). */
export const POOL_WORKERS = Symbol.for('gradcam-wasm.pool.workers');

interface Job { id: number; image: WireImage; transfer: ArrayBuffer[]; request: PoolRequest; resolve(r: WireResult): void; reject(e: Error): void }
interface Slot { index: number; worker: Worker; job: Job | null; alive: boolean; exited: Promise<void>; lastError: Error | null }

/** The typed error the worker threw, rebuilt on this side with the worker's message. */
export function fromWireError(e: WireError, worker: number): Error {
  const Cls = (errors as Record<string, unknown>)[e.name];
  if (typeof Cls === 'function' && (Cls === GradCamError || Cls.prototype instanceof GradCamError)) {
    const err = Object.create(Cls.prototype) as GradCamError & Record<string, unknown>;
    Object.assign(err, { name: e.name, message: e.message, code: e.code, ...e.fields });
    err.stack = `${e.name}: ${e.message}\n    (in explainer pool worker ${worker})\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
    return err;
  }
  return new WorkerError(`Explainer pool worker ${worker} failed: ${e.name}: ${e.message}`, { cause: e });
}

/** The worker's entry: the compiled .js next to this file, or (running from src/ under tsx) the .ts. */
function startWorker(init: WorkerInit): Worker {
  const data = { ...init, gradcamPool: true };
  if (import.meta.url.endsWith('.ts')) {
    const entry = new URL('./pool-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}));`,
      { eval: true, workerData: data });
  }
  return new Worker(new URL('./pool-worker.js', import.meta.url), { workerData: data });
}

function toWireImage(image: ImageInput, transfer: boolean): { image: WireImage; buffers: ArrayBuffer[] } {
  const buffers: ArrayBuffer[] = [];
  if (isImageDataLike(image)) {
    const data = transfer ? movable(image.data, buffers) : movable(image.data.slice(), buffers);
    return { image: { kind: 'rgba', data, width: image.width, height: image.height }, buffers };
  }
  if (image instanceof tf.Tensor) {
    if (image.isDisposed) throw new InvalidInputError('The image tensor was disposed.');
    if (image.dtype !== 'float32' && image.dtype !== 'int32' && image.dtype !== 'bool') {
      throw new InvalidInputError(`An image tensor must be float32, int32 or bool, got ${image.dtype}.`);
    }
    const values = movable((image.dataSync() as Float32Array | Int32Array | Uint8Array).slice(), buffers);
    return { image: { kind: 'tensor', values, shape: image.shape, dtype: image.dtype }, buffers };
  }
  throw new InvalidInputError('The image must be a tf.Tensor3D, a Tensor4D batch of one, or an ImageData-like {data, width, height} of RGBA bytes.');
}

function withGet(r: WireResult): ImageExplanations {
  return {
    ...r,
    get: (method, classIndex) => r.explanations.find((e) => e.method === method && (classIndex == null || e.classIndex === classIndex)),
  };
}

export async function createExplainerPool(options: ExplainerPoolOptions): Promise<ExplainerPool> {
  if (!options || typeof options.model !== 'string') {
    throw new InvalidInputError('createExplainerPool needs `model`: a model.json path or a bundled model name. A LayersModel ' +
      'object cannot cross threads: save it first (saveModel(model, dir) from gradcam-wasm/node) and pass dir + "/model.json".');
  }
  if ('preprocess' in options && (options as { preprocess?: unknown }).preprocess !== undefined) {
    throw new InvalidInputError('A preprocess function cannot cross threads: give the pool an inputRange ' +
      "('0,1', '-1,1' or '0,255'; pixels arrive as RGB 0..255) instead.");
  }
  const workers = options.workers ?? (os.availableParallelism?.() ?? os.cpus().length);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new InvalidInputError(`workers must be an integer in 1..256, got ${workers}.`);
  }
  resolveModel(options.model); // fails here, early and typed, when the model does not exist
  const init: WorkerInit = {
    model: options.model, layer: options.layer, kernels: options.kernels, outputSize: options.outputSize,
    inputRange: options.inputRange == null ? undefined : parseInputRange(options.inputRange),
  };
  const transferImages = options.transfer ?? false;

  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closing: Promise<void> | null = null;
  let drained: (() => void) | null = null;

  const busy = () => slots.some((s) => s.job);
  const pump = () => {
    for (const s of slots) {
      if (!s.alive || s.job || !queue.length) continue;
      const job = queue.shift()!;
      s.job = job;
      s.worker.ref(); // a job in flight keeps the process alive; an idle pool does not
      const msg: ToWorker = { type: 'explain', id: job.id, images: [job.image], request: job.request };
      try {
        s.worker.postMessage(msg, job.transfer);
      } catch (e) {
        s.job = null;
        job.reject(e instanceof Error ? new InvalidInputError(`The request cannot be sent to a worker: ${e.message}`) : new WorkerError(String(e)));
      }
    }
    if (!slots.some((s) => s.alive)) {
      for (const job of queue.splice(0)) job.reject(new WorkerError('Every worker of the explainer pool has exited; create a new pool.'));
    }
    for (const s of slots) if (!s.job) s.worker.unref();
    if (!busy() && !queue.length) drained?.();
  };

  let ready!: () => void;
  let failed!: (e: Error) => void;
  const started = new Promise<void>((res, rej) => { ready = res; failed = rej; });
  let readyCount = 0;
  let layer = '';
  for (let i = 0; i < workers; i++) {
    const worker = startWorker(init);
    let exitedResolve!: () => void;
    const slot: Slot = { index: i, worker, job: null, alive: true, exited: new Promise((r) => { exitedResolve = r; }), lastError: null };
    slots.push(slot);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        layer = m.layer;
        if (++readyCount === workers) ready();
      } else if (m.type === 'init-error') {
        failed(fromWireError(m.error, i));
      } else {
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        slot.job = null;
        if (m.type === 'result') job.resolve(m.results[0]!);
        else job.reject(fromWireError(m.error, i));
        pump();
      }
    });
    worker.on('error', (e: Error) => { slot.lastError = e; }); // followed by 'exit'
    worker.on('exit', (code) => {
      slot.alive = false;
      exitedResolve();
      const why = slot.lastError ? `: ${slot.lastError.message}` : '';
      const err = slot.lastError && /ERR_WORKER_OUT_OF_MEMORY/.test(String((slot.lastError as { code?: string }).code))
        ? new WorkerError(`Explainer pool worker ${i} ran out of memory${why}`, { cause: slot.lastError })
        : new WorkerError(`Explainer pool worker ${i} exited (code ${code})${why}`, { cause: slot.lastError ?? undefined });
      if (readyCount < workers) failed(err);
      if (slot.job) { const job = slot.job; slot.job = null; job.reject(err); }
      pump();
    });
  }
  try {
    await started;
  } catch (e) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }
  pump(); // idle: unref every worker

  const pool: ExplainerPool = {
    workers,
    layer,
    async explain(images, request = {}) {
      if (closing) throw new DisposedError('This explainer pool');
      if ('preprocess' in request && (request as ExplainRequest).preprocess !== undefined) {
        throw new InvalidInputError('A preprocess function cannot cross threads: set inputRange when creating the pool.');
      }
      const list = Array.isArray(images) ? images : [images as ImageInput];
      const wire = list.map((im) => toWireImage(im, transferImages));
      const jobs = wire.map((w) => new Promise<WireResult>((resolve, reject) => {
        queue.push({ id: nextId++, image: w.image, transfer: w.buffers, request, resolve, reject });
      }));
      pump();
      const settled = await Promise.allSettled(jobs);
      const bad = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (bad) throw bad.reason;
      return settled.map((s) => withGet((s as PromiseFulfilledResult<WireResult>).value));
    },
    close() {
      closing ??= (async () => {
        if (busy() || queue.length) await new Promise<void>((r) => { drained = r; });
        for (const s of slots) if (s.alive) s.worker.postMessage({ type: 'close' } satisfies ToWorker);
        const timeout = setTimeout(() => { for (const s of slots) void s.worker.terminate(); }, 10_000);
        await Promise.all(slots.map((s) => s.exited));
        clearTimeout(timeout);
      })();
      return closing;
    },
  };
  // The worker threads, for diagnostics and tests (not part of the API).
  Object.defineProperty(pool, POOL_WORKERS, { value: () => slots.map((s) => s.worker) });
  return pool;
}
