/**
 * The tfjs WebAssembly backend, set up once. Node finds the tfjs .wasm files next to the package;
 * a browser bundle calls setWasmBackendPath() with the folder that serves them first.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from './backend/wasm-gradients.js';
import { registerWasmLayoutKernels } from './backend/layout-kernels.js';

let ready: Promise<void> | null = null;

/** Where the tfjs-backend-wasm .wasm files are served from (a URL or folder prefix ending in '/'). */
export function setWasmBackendPath(prefix: string): void {
  setWasmPaths(prefix.endsWith('/') ? prefix : prefix + '/');
}

/** Selects the tfjs 'wasm' backend (SIMD where available). Safe to call many times. */
export function useWasmBackend(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      if (tf.getBackend() !== 'wasm') {
        const ok = await tf.setBackend('wasm');
        if (!ok) throw new Error('The tfjs wasm backend could not be initialised.');
      }
      await tf.ready();
      registerWasmGradientKernels();
      registerWasmLayoutKernels();
    })();
    ready.catch(() => { ready = null; });
  }
  return ready;
}
