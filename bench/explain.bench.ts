// The end-to-end cost of an explanation against a plain forward pass of the same model, in one run:
// ResNet-50 (random weights, Keras topology and names) at 224x224, batch 1, tfjs wasm backend.
//   baseline  model.predict(x)                                  (the forward pass alone)
//   explain   explainer.explain(x, {methods: [m]}) per method  (forward + head gradient + kernels)
//   all       the three methods from ONE forward/backward pass
//   js        Grad-CAM++ with the plain-TypeScript twin kernels instead of the AssemblyScript ones
// Cold = the first call after the model is built (includes the split and kernel set-up); warm = the
// median of the following runs. Ratios are against the warm baseline of this run.
//   node --import tsx bench/explain.bench.ts [--quick] [--out DIR]
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExplainer, useWasmBackend, METHODS, type MethodName } from '../src/index.js';
import { buildBackbone } from '../src/models/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const outDir = path.resolve(outAt >= 0 ? args[outAt + 1] : path.join(root, quick ? '.tmp/bench-quick' : 'bench/results'));
const runs = quick ? 2 : 9;
const size = quick ? 64 : 224;

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };

await useWasmBackend();
const model = buildBackbone('resnet50', { inputShape: [size, size, 3], classes: 1000, head: 'original', seed: 1 });
const x = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 7) as tf.Tensor4D;

async function measure(fn: () => Promise<unknown> | unknown): Promise<{ cold: number; warm: number; runs: number[] }> {
  const t0 = performance.now();
  await fn();
  const cold = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { cold, warm: median(times), runs: times };
}

const rows: { name: string; cold: number; warm: number; runs: number[]; ratio?: number }[] = [];
const baseline = await measure(() => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()));
rows.push({ name: 'forward (model.predict)', ...baseline });
const wasmEx = await createExplainer(model);
const jsEx = await createExplainer(model, { kernels: 'js' });
const breakdown: Record<string, unknown> = {};
for (const m of METHODS) {
  const r = await measure(async () => { const [res] = await wasmEx.explain(x, { methods: [m.name as MethodName] }); breakdown[m.name] = res.timings; });
  rows.push({ name: `explain ${m.name}`, ...r });
}
const names = METHODS.map((m) => m.name as MethodName);
rows.push({ name: `explain ${names.join(' + ')} (one pass)`, ...(await measure(() => wasmEx.explain(x, { methods: names }))) });
rows.push({ name: 'explain gradcam++ with TS twin kernels', ...(await measure(() => jsEx.explain(x, { methods: ['gradcam++'] }))) });
for (const r of rows) r.ratio = r.warm / baseline.warm;

const result = {
  bench: 'explain', model: 'ResNet-50 (random weights, original head)', input: [1, size, size, 3], target: wasmEx.layer,
  backend: tf.getBackend(), runs, quick, date: new Date().toISOString(), node: process.version,
  rows, lastTimings: breakdown, memory: tf.memory().numTensors,
};
const md = [
  `# explain vs forward: ResNet-50 ${size}x${size}, wasm backend (${runs} warm runs, median)`, '',
  `Target layer: ${wasmEx.layer}. Command: \`npm run bench -- explain\`.`, '',
  '| what | cold ms | warm ms (median) | warm / forward |', '|---|--:|--:|--:|',
  ...rows.map((r) => `| ${r.name} | ${r.cold.toFixed(1)} | ${r.warm.toFixed(1)} | ${r.ratio!.toFixed(2)} |`), '',
  'Breakdown of the last warm explanation per method (ms): ' +
  Object.entries(breakdown).map(([k, t]) => `${k}: ${Object.entries(t as Record<string, number>).map(([a, b]) => `${a} ${b.toFixed(1)}`).join(', ')}`).join('; '), '',
].join('\n');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'explain.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(path.join(outDir, 'explain.md'), md);
console.log(md);
