/**
 * The tfjs WebAssembly backend, set up once. Node finds the tfjs .wasm files next to the package; a
 * browser bundle serves them itself and says where (setWasmBackendPath, or useWasmBackend's wasmPaths).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { WasmBackendError } from '../errors.js';
import { registerMissingWasmKernels, useFastTrainingKernels } from './kernels/index.js';

export { useFastTrainingKernels, fastTrainingKernelsActive } from './kernels/index.js';

/** The binaries tfjs-backend-wasm loads (one of them, by the browser's SIMD and thread support). */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

let ready: Promise<void> | null = null;

/** The active backend's name, or null: unlike tf.getBackend(), never starts a backend itself. */
function activeBackend(): string | null {
  return (tf.engine() as unknown as { backendName: string | null }).backendName ?? null;
}
let wasmPrefix: string | null = null;

/** How to fix a missing .wasm file: which files to copy where. */
function copyHint(): string {
  const where = wasmPrefix ?? 'the folder of the page or bundle that loads tfjs (the default)';
  return `Copy ${WASM_FILES.join(', ')} from node_modules/@tensorflow/tfjs-backend-wasm/dist/ to the folder ` +
    `your server serves them from, and give its URL (ending in '/') to setWasmBackendPath(url) or ` +
    `useWasmBackend({ wasmPaths: url }) before the first explanation. Looked in: ${where}.`;
}

/**
 * Where the tfjs-backend-wasm .wasm files are served from: a URL or folder prefix ('/' is appended when
 * missing). Call it before the backend starts (before the first useWasmBackend() or explanation); the
 * files to serve there are WASM_FILES.
 */
export function setWasmBackendPath(prefix: string): void {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new WasmBackendError(`setWasmBackendPath needs a URL or folder prefix (a non-empty string), got ${JSON.stringify(prefix)}.`);
  }
  const p = prefix.endsWith('/') ? prefix : prefix + '/';
  try {
    setWasmPaths(p);
  } catch (e) {
    throw new WasmBackendError(`The wasm path cannot change now: ${(e as Error).message}. ` +
      'Call setWasmBackendPath() before the first useWasmBackend() or explanation (reload the page to retry).');
  }
  wasmPrefix = p;
}

export interface WasmBackendOptions {
  /** Where the .wasm files are served from (see setWasmBackendPath); used when the backend starts. */
  wasmPaths?: string;
  /**
   * Also use the faster training kernels (useFastTrainingKernels): for training scripts only; they
   * replace tfjs's own Conv2DBackpropInput, Tile, Sum and Mean for the whole process.
   */
  fastTrainingKernels?: boolean;
}

/**
 * Selects the tfjs 'wasm' backend (SIMD where available) and registers the gradient kernels it lacks
 * (only those; tfjs's own kernels are left as they are). Safe to call many times. Fails with a
 * WasmBackendError that lists the files to copy when the .wasm binaries cannot be loaded.
 */
export function useWasmBackend(options: WasmBackendOptions = {}): Promise<void> {
  if (options.wasmPaths != null && activeBackend() !== 'wasm' && options.wasmPaths !== wasmPrefix) {
    setWasmBackendPath(options.wasmPaths);
  }
  if (!ready) {
    ready = (async () => {
      registerMissingWasmKernels();
      if (activeBackend() !== 'wasm') {
        let ok = false, cause = '';
        try {
          ok = await tf.setBackend('wasm');
        } catch (e) {
          cause = ` (${(e as Error)?.message ?? String(e)})`;
        }
        if (!ok) throw new WasmBackendError(`The tfjs wasm backend could not be initialised${cause}: most often its .wasm files were not found. ${copyHint()}`);
      }
      await tf.ready();
    })();
    ready.catch(() => { ready = null; });
  }
  if (options.fastTrainingKernels) return ready.then(() => { useFastTrainingKernels(); });
  return ready;
}
