// The page of test/zero-copy-browser.test.ts: in the browser, on tfjs-wasm (one thread, or the threaded binary on
// a cross-origin isolated page), explains a small seeded model with every method through the zero-copy kernels
// and through the one-copy ones, and reports what the test checks. Bundled by esbuild with the library inside.
import { createExplainer, METHODS, setWasmBackendPath, tf, useWasmBackend, type ImageExplanations } from '../../src/browser.js';
import { createKernels, getKernels, tensorBytesCopied, type Kernels } from '../../src/kernels/index.js';
import { tfjsHeap } from '../../src/kernels/wasm/tfjs-heap.js';

function model() {
  const input = tf.input({ shape: [12, 12, 3] });
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const c1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 10, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(2) }).apply(c1) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({}).apply(c2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: init(3) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Largest |difference| over every map, heatmap and weight vector; -1 if the lists differ in shape. */
function maxDiff(a: ImageExplanations, b: ImageExplanations): number {
  let max = 0;
  if (a.explanations.length !== b.explanations.length) return -1;
  a.explanations.forEach((e, i) => {
    const f = b.explanations[i];
    for (const key of ['cam', 'heatmap', 'weights'] as const) {
      if (e[key].length !== f[key].length) max = Infinity;
      for (let j = 0; j < e[key].length; j++) max = Math.max(max, Math.abs(e[key][j] - f[key][j]));
    }
  });
  return max;
}

const page = {
  async run() {
    setWasmBackendPath(new URL('./', location.href).href);
    await useWasmBackend();
    const m = model();
    const ex = await createExplainer(m);
    const x = tf.randomUniform([12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
    const req = { methods: METHODS.map((mm) => mm.name), classIndex: [0, 2], samples: 4 };
    const explainWith = async (k: Kernels | null, r: Parameters<typeof ex.explain>[1] = req) => {
      if (k) Object.defineProperty(ex, 'kernels', { value: k, configurable: true });
      else Object.defineProperty(ex, 'kernels', { value: await getKernels('wasm'), configurable: true });
      return (await ex.explain(x, r))[0];
    };
    const n0 = tf.memory().numTensors;
    const copied0 = tensorBytesCopied();
    const zero = await explainWith(null);
    const copiedZero = tensorBytesCopied() - copied0;
    const leaked = tf.memory().numTensors - n0;
    const one = await explainWith(await createKernels('wasm', 'one-copy'));
    const js = await explainWith(await createKernels('js'));
    // tfjs grows its memory inside the gradient pass (a function target allocating past the heap's size)
    const heap = tfjsHeap()!;
    let grew = false;
    const target = (logits: tf.Tensor1D) => {
      const before = heap.memory.buffer.byteLength;
      const big = tf.zeros([heap.memory.buffer.byteLength / 4 + (4 << 20)]);
      grew ||= heap.memory.buffer.byteLength > before;
      return tf.add(logits.gather(2), tf.mul(big.sum(), 0)) as tf.Scalar;
    };
    const gradMethods = { methods: ['gradcam', 'gradcam++', 'layercam'] as typeof req.methods };
    const growing = await explainWith(null, { ...gradMethods, target });
    const plain = await explainWith(null, { ...gradMethods, classIndex: 2 });
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      threadedBinary: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      sharedMemory: heap.shared, path: zero.timings.path, onePath: one.timings.path,
      explanations: zero.explanations.length, nonZero: zero.explanations.filter((e) => e.cam.some((v) => v > 0)).length,
      copiedZero, leaked, zeroVsOne: maxDiff(zero, one), zeroVsJs: maxDiff(zero, js),
      grew, growingVsPlain: maxDiff(growing, plain),
    };
  },
};
(window as unknown as { page: typeof page }).page = page;
