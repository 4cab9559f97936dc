// The page of bench/browser.bench.ts: loads a layers model, then explains frames (224x224 RGBA, Grad-CAM++) on
// request and times them with performance.now(). Bundled by esbuild with the library and tfjs inside.
import { createExplainer, setWasmBackendPath, tf, useWasmBackend, type Explainer, type ImageDataLike } from '../../src/browser.js';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

let explainer: Explainer | null = null;
let frames: ImageDataLike[] = [];

function randomFrames(n: number, size: number): ImageDataLike[] {
  let seed = 11;
  const r = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
  return Array.from({ length: n }, () => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : (r() * 256) | 0;
    return { data, width: size, height: size };
  });
}

const bench = {
  /**
   * threads: XNNPACK's pool size on the threaded binary; 0 = tfjs's default. tfjs caps it at
   * navigator.hardwareConcurrency / 2 (one thread on a 2-core machine), so for threads > that, the page reports
   * 2 x threads cores to tfjs (an experiment, said so in the results).
   */
  async setup(modelUrl: string, size: number, threads: number) {
    setWasmBackendPath(new URL('./', location.href).href);
    const cores = navigator.hardwareConcurrency;
    if (threads > 0) {
      if (threads > Math.floor(cores / 2)) Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 2 * threads });
      setThreadsCount(threads); // before the backend starts; ignored by the one-thread binary
    }
    await useWasmBackend();
    const model = await tf.loadLayersModel(modelUrl);
    explainer = await createExplainer(model, { preprocess: (x) => tf.div(x, 255) as tf.Tensor4D });
    frames = randomFrames(4, size);
    return {
      crossOriginIsolated: self.crossOriginIsolated, backend: tf.getBackend(),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threadedBinary: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      threads: getThreadsCount(), requestedThreads: threads,
      pthreads: (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers?: unknown[]; unusedWorkers?: unknown[] } } }).wasm?.PThread?.runningWorkers?.length ?? null, hardwareConcurrency: cores, reportedCores: navigator.hardwareConcurrency, userAgent: navigator.userAgent, layer: explainer.layer,
    };
  },
  /** Explains k frames one after another; returns the wall time in ms. */
  async run(k: number) {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await explainer!.explain(frames[i % frames.length]!, { methods: ['gradcam++'] });
    return performance.now() - t0;
  },
};
(window as unknown as { bench: typeof bench }).bench = bench;
