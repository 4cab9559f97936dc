/**
 * The zero-copy path (issue 14): on the tfjs wasm backend the AssemblyScript kernels import tfjs-wasm's memory
 * and read activations and gradients in place. Checked here:
 * - the importing builds carry no data segments, globals or start function (nothing of theirs in tfjs's heap);
 * - input() aliases the tensor's bytes (same offset), counts 0 bytes copied, holds the data and lets it go;
 * - tfjs growing its memory between reserve() and use: the regions and inputs are re-taken, the data kept;
 * - explanations with every method: zero-copy maps are bit for bit the one-copy ones, and the TS twins' within
 *   float32 rounding; 0 tensor bytes copied; no tensor leaked; timings.path says which path ran;
 * - after a huge outputSize the bytes malloc'd in tfjs's heap are given back;
 * - the copy bench (bench/kernels-copy.bench.ts) runs end to end.
 * (The oracle cases of test/kernels*.test.ts run on both wasm paths too: test/helpers/kernel-cases.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend, METHODS, type ImageExplanations } from '../src/index.js';
import { createKernels, getKernels, tensorBytesCopied, type Kernels } from '../src/kernels/index.js';
import { kernelsWasmBytes } from '../src/kernels/wasm/loader.js';
import { tfjsHeap } from '../src/kernels/wasm/tfjs-heap.js';
import { KERNEL_MEMORY_KEEP_BYTES } from '../src/constants.js';
import { InvalidInputError } from '../src/errors.js';
import { wasmSections, sharingProblems } from '../scripts/wasm-sections.mjs';
import { COPY_SHAPES, PATHS, TASKS, type CopyResult } from '../bench/kernels-copy.bench.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

await useWasmBackend();

function model(seed = 1) {
  const input = tf.input({ shape: [12, 12, 3] });
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const c1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(seed) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 10, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(seed + 1) }).apply(c1) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4, activation: 'softmax', name: 'fc', kernelInitializer: init(seed + 2) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
const MODEL = model();
const image = (seed: number) => tf.randomUniform([12, 12, 3], 0, 1, 'float32', seed) as tf.Tensor3D;
const ALL = METHODS.map((m) => m.name);

/** The explanations of an explainer whose kernels are replaced by `kernels` (the path under test). */
async function explainWith(kernels: Kernels | null, req: Parameters<Awaited<ReturnType<typeof createExplainer>>['explain']>[1],
  layer?: string | string[]): Promise<ImageExplanations> {
  const ex = await createExplainer(MODEL, layer ? { layer } : {});
  // test only: the same explainer over other kernels (createExplainer picks getKernels('wasm'))
  if (kernels) Object.defineProperty(ex, 'kernels', { value: kernels });
  const x = image(3);
  try {
    return (await ex.explain(x, req))[0];
  } finally {
    x.dispose();
    ex.dispose();   // the explainer's own tensors (the head gradient's transposed Dense kernel)
  }
}

function sameMaps(a: ImageExplanations, b: ImageExplanations, tol: number, what: string): void {
  assert.is(a.explanations.length, b.explanations.length);
  for (const [i, e] of a.explanations.entries()) {
    const f = b.explanations[i];
    assert.is(e.method, f.method);
    for (const key of ['cam', 'heatmap', 'weights'] as const) {
      assert.is(e[key].length, f[key].length, `${what} ${e.method} ${key} length`);
      let max = 0;
      for (let j = 0; j < e[key].length; j++) max = Math.max(max, Math.abs(e[key][j] - f[key][j]));
      if (tol === 0) assert.equal(Array.from(e[key]), Array.from(f[key]), `${what}: ${e.method} ${key} bit for bit`);
      else assert.ok(max <= tol, `${what}: ${e.method} ${key} differ by ${max}`);
    }
    assert.ok(e.cam.some((v) => v > 0), `${what}: ${e.method} map is not all zeros (the comparison means something)`);
  }
}

test('the builds that import tfjs\'s memory have no data segments, globals or start function', async () => {
  for (const build of ['imported', 'shared'] as const) {
    const bytes = await kernelsWasmBytes(build);
    assert.is(sharingProblems(bytes), '', `${build}: ${JSON.stringify(wasmSections(bytes))}`);
    const mod = new WebAssembly.Module(bytes);
    const mem = WebAssembly.Module.imports(mod).filter((i) => i.kind === 'memory');
    assert.equal(mem.map((i) => `${i.module}.${i.name}`), ['env.memory'], `${build} imports env.memory`);
  }
  // the own-memory build does have a memory of its own and imports none
  assert.equal(WebAssembly.Module.imports(new WebAssembly.Module(await kernelsWasmBytes('own'))), []);
  // a check that can fail: a module with a data segment is refused
  const withData = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 11, 7, 1, 0, 65, 0, 11, 1, 42]);
  assert.ok(WebAssembly.validate(withData));
  assert.is(sharingProblems(withData), '1 data');
});

test('getKernels on the wasm backend: zero-copy, over tfjs\'s own memory', async () => {
  const k = await getKernels('wasm');
  assert.is(k.path, 'zero-copy');
  const heap = tfjsHeap()!;
  assert.ok(heap, 'tfjs-wasm heap reachable');
  const r = k.reserve({ x: 8 });
  assert.is(r.f32.x.buffer, heap.memory.buffer, 'the regions are in tfjs\'s heap');
  assert.is((await createKernels('wasm', 'one-copy')).path, 'one-copy');
  assert.is((await getKernels('js')).path, 'one-copy');
});

test('input(): the view aliases the tensor, copies nothing, holds the data until the slot is reused or released', async () => {
  const k = await createKernels('wasm', 'zero-copy');
  const heap = tfjsHeap()!;
  const n0 = tf.memory().numTensors;
  const t = tf.tensor1d([1, -2, 3, 4.5]);
  const copied = tensorBytesCopied();
  const v = k.input('a', t, new Float32Array(0));
  assert.is(tensorBytesCopied(), copied, '0 bytes copied');
  assert.is(v.byteOffset, heap.offsetOf(t), 'same bytes as the tensor');
  assert.is(v.buffer, heap.memory.buffer);
  const dataMap = (tf.backend() as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap;
  t.dispose();                                 // the caller lets go: the kernels still hold the data
  assert.is(tf.memory().numTensors, n0, 'the tensor is gone for tfjs');
  assert.ok(dataMap.has(t.dataId), 'its data is still held by the backend');
  assert.equal(Array.from(k.inputView('a')!), [1, -2, 3, 4.5]);
  const r = k.reserve({ out: 1 });
  assert.is(k.inputView('a'), null, 'reserve() lets go of the inputs');
  assert.not.ok(dataMap.has(t.dataId), 'and the data held is freed');
  // a tensor of another backend is copied once (and counted)
  const cpu = tf.tensor1d([2, 4], 'float32');
  const fake = { ...cpu, dtype: 'float32', size: 2, shape: [2], dataId: {}, dataSync: () => cpu.dataSync() } as unknown as tf.Tensor;
  const w = k.input('a', fake, new Float32Array(0));
  assert.is(tensorBytesCopied(), copied + 8, 'a foreign tensor: 8 bytes copied');
  k.gradcamWeights(w, 2, 1, r.f32.out);
  assert.equal(Array.from(r.f32.out), [3]);
  cpu.dispose();
  k.release();
  assert.is(tf.memory().numTensors, n0);
});

test('tfjs growing its memory after reserve(): regions and inputs are re-taken, data and kernels intact', async () => {
  const k = await createKernels('wasm', 'zero-copy');
  const heap = tfjsHeap()!;
  const pattern = Float32Array.from({ length: 1000 }, (_, i) => (i % 10) - 4.5); // Z=100, K=10
  const r = k.reserve({ g: 1000, out: 10 });
  r.f32.g.set(pattern);
  const gt = tf.tensor2d(pattern, [100, 10]);
  k.input('g', gt, new Float32Array(0));
  const stale = r.f32.g, staleInput = k.inputView('g')!;
  const before = heap.memory.buffer.byteLength;
  const p = heap.malloc(before + (64 << 20)); // more than the whole heap: tfjs must grow its memory
  assert.ok(p > 0);
  heap.free(p);
  assert.ok(heap.memory.buffer.byteLength > before, 'tfjs\'s memory grew');
  assert.is(stale.length, 0, 'the old view is detached');
  assert.throws(() => k.gradcamWeights(stale, 100, 10, r.f32.out), /not a view over this wasm kernels' current memory/);
  assert.is(staleInput.length, 0);
  assert.equal(Array.from(r.f32.g), Array.from(pattern), 'the region, re-read, has its data');
  k.gradcamWeights(k.inputView('g')!, 100, 10, r.f32.out);
  assert.equal(Array.from(r.f32.out), [-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
  gt.dispose();
  k.release();
});

test('regions too large for tfjs\'s 4 GB heap: a typed error, and the kernels still work', async () => {
  const k = await createKernels('wasm', 'zero-copy');
  const n0 = tf.memory().numTensors;
  for (const floats of [1.1e9, 2 ** 30 - 4]) {   // 4.4 GB (would wrap to 32 bits), then 4 GB - 16 bytes
    try {
      k.reserve({ small: 4, big: floats });
      assert.unreachable(`reserve of ${floats} floats`);
    } catch (e) {
      assert.instance(e, InvalidInputError);
      assert.match((e as Error).message, /smaller outputSize/);
    }
  }
  const r = k.reserve({ x: 5 });
  r.f32.x.set([1, 2, 3, 4, 5]);
  k.reluNormalize(r.f32.x, 5);
  assert.equal(Array.from(r.f32.x), [0, 0.25, 0.5, 0.75, 1]);
  assert.is(tf.memory().numTensors, n0);
  k.release();
});

test('explain, every method: zero-copy maps = one-copy maps bit for bit, = the TS twins\' within rounding; 0 bytes copied', async () => {
  const req = { methods: ALL, classIndex: [0, 2], samples: 4 };
  const n0 = tf.memory().numTensors;
  const copied = tensorBytesCopied();
  const zero = await explainWith(null, req);
  assert.is(tensorBytesCopied(), copied, 'no tensor byte copied on the zero-copy path');
  assert.is(zero.timings.path, 'zero-copy');
  assert.is(tf.memory().numTensors, n0, 'no tensor leaked');
  const one = await explainWith(await createKernels('wasm', 'one-copy'), req);
  assert.is(one.timings.path, 'one-copy');
  assert.ok(tensorBytesCopied() > copied, 'the one-copy path copies (the counter can move)');
  const js = await explainWith(await createKernels('js'), req);
  assert.is(zero.explanations.length, ALL.length * 2);
  sameMaps(zero, one, 0, 'zero-copy vs one-copy');
  sameMaps(zero, js, 1e-5, 'zero-copy vs js');
  assert.is(tf.memory().numTensors, n0);
});

test('explain over two layers (fusion), and with tfjs growing its memory inside the gradient pass', async () => {
  const layers = ['c1', 'target'];
  const req = { methods: ['gradcam', 'gradcam++', 'layercam', 'eigencam'] as typeof ALL, classIndex: 1 };
  const zero = await explainWith(null, req, layers);
  const one = await explainWith(await createKernels('wasm', 'one-copy'), req, layers);
  sameMaps(zero, one, 0, 'fusion zero-copy vs one-copy');
  // a function target that allocates 256 MB inside the gradient pass: tfjs grows its memory after A was handed
  // to the kernels and the regions reserved; the maps must not change
  const heap = tfjsHeap()!;
  let grew = false;
  const target = (logits: tf.Tensor1D) => {
    const before = heap.memory.buffer.byteLength;
    const big = tf.zeros([heap.memory.buffer.byteLength / 4 + (16 << 20)]);
    grew ||= heap.memory.buffer.byteLength > before;
    return tf.add(logits.gather(1), tf.mul(big.sum(), 0)) as tf.Scalar;
  };
  const growing = await explainWith(null, { methods: req.methods, target }, layers);
  assert.ok(grew, 'tfjs\'s memory grew during the gradient pass');
  sameMaps(growing, zero, 0, 'growth mid-explanation');
});

test('memory: after a huge outputSize the bytes malloc\'d in tfjs\'s heap are given back', async () => {
  const k = await getKernels('wasm');
  const ex = await createExplainer(MODEL);
  const x = image(4);
  const n0 = tf.memory().numTensors;
  await ex.explain(x, { methods: ['gradcam'], outputSize: { width: 64, height: 64 } });
  const baseline = k.memoryBytes;
  assert.ok(baseline <= KERNEL_MEMORY_KEEP_BYTES, `baseline ${baseline}`);
  const [r] = await ex.explain(x, { methods: ['gradcam', 'gradcam++'], outputSize: { width: 8192, height: 8192 } });
  assert.is(r.explanations[0].heatmap.length, 8192 * 8192);
  assert.ok(k.memoryBytes <= baseline, `after the huge call: ${k.memoryBytes} bytes held vs ${baseline} before`);
  // the freed block is tfjs's again: the same huge call does not grow tfjs's memory any further
  const heapBytes = tfjsHeap()!.memory.buffer.byteLength;
  await ex.explain(x, { methods: ['gradcam', 'gradcam++'], outputSize: { width: 8192, height: 8192 } });
  assert.is(tfjsHeap()!.memory.buffer.byteLength, heapBytes, 'tfjs reused the bytes given back');
  assert.is(tf.memory().numTensors, n0);
  x.dispose();
});

test('bench/run.mjs kernels-copy --quick: both paths at both shapes, 0 bytes copied on zero-copy, identical maps', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-copy-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs', 'kernels-copy', '--quick', '--out', out], {
      cwd: ROOT, encoding: 'utf8', timeout: 180_000,
    });
    assert.is(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    const res = JSON.parse(readFileSync(path.join(out, 'kernels-copy.json'), 'utf8')) as CopyResult;
    assert.is(res.rows.length, COPY_SHAPES.length * TASKS.length * PATHS.length);
    for (const r of res.rows) {
      assert.ok(r.warm.median_us > 0 && Number.isFinite(r.warm.median_us), `${r.dims} ${r.task} ${r.path}`);
      assert.is(r.bytesCopied, r.path === 'zero-copy' ? 0 : 2 * 4 * COPY_SHAPES.find((s) => `${s.h}x${s.w}x${s.k}` === r.dims)!.k *
        (r.dims === '14x14x512' ? 196 : 49), `${r.dims} ${r.task} ${r.path}: bytes copied`);
    }
    assert.ok(res.shapes.every((s) => s.mapsIdentical), 'maps identical');
    assert.match(readFileSync(path.join(out, 'kernels-copy.md'), 'utf8'), /\| 7x7x2048 \| inputs \|/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
