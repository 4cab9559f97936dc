// Where an explanation's time goes, kernel by kernel: tf.profile over warm Grad-CAM++ explanations (b1) of each
// bench model, kernel times (the wasm backend's own timer) summed by kernel name, and the explanation's phases
// (prepare = RGBA bytes -> float batch + finiteness check + preprocess; forward = body to the target layer;
// gradients = head + its gradient; maps = the AssemblyScript kernels).
//   node --import tsx bench/profile.bench.ts [--quick] [--out DIR] [--rounds N (profiled runs, default 5)] [--only resnet50,vgg16,mobilenetv2]
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend, type ImageExplanations } from '../src/index.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { BENCH_MODELS, benchModel, byteImages, type BenchModelName } from './lib/models.js';
import { benchArgs, writeResults } from './lib/output.js';
import { median } from './lib/timing.js';

const a = benchArgs();
const SIZE = a.quick ? 64 : 224;
const names = (a.only ?? BENCH_MODELS).filter((n): n is BenchModelName => (BENCH_MODELS as readonly string[]).includes(n));
const TOP = 12;
const RUNS = a.rounds ?? (a.quick ? 1 : 5);

interface Kernel { name: string; ms: number; calls: number; share: number }
interface ProfileResult { model: string; title: string; layer: string; timings: ImageExplanations['timings']; kernelMs: number; kernels: Kernel[] }

await useWasmBackend();
const mach = await machine();
const results: ProfileResult[] = [];
for (const n of names) {
  const bm = await benchModel(n, SIZE);
  const ex = await createExplainer(bm.model, { preprocess: bm.preprocess });
  const [image] = byteImages(1, bm.size, 9);
  await ex.explain(image!); // warm: the split, kernel set-up and first-call costs are not profiled
  const runs: Array<{ timings: ImageExplanations['timings']; by: Map<string, { ms: number; calls: number }> }> = [];
  for (let r = 0; r < RUNS; r++) {
    let timings: ImageExplanations['timings'] | null = null;
    const info = await tf.profile(async () => { timings = (await ex.explain(image!))[0]!.timings; });
    const by = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue; // an op wrapper (e.g. fusedConv2d__op) around a kernel listed too: not counted twice
      const e = by.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs) || 0;
      e.calls++;
      by.set(k.name, e);
    }
    runs.push({ timings: timings!, by });
  }
  // per kernel name: the median over the runs (one slow call on a busy machine does not make a kernel look slow)
  const kernels0 = [...runs[0]!.by.entries()].map(([name, e]) => ({ name, calls: e.calls, ms: median(runs.map((r) => r.by.get(name)?.ms ?? 0)), share: 0 }));
  const kernelMs = kernels0.reduce((s, e) => s + e.ms, 0);
  const kernels = kernels0.map((k) => ({ ...k, share: k.ms / kernelMs })).sort((x, y) => y.ms - x.ms);
  const timings = Object.fromEntries(Object.keys(runs[0]!.timings).map((k) =>
    [k, median(runs.map((r) => r.timings[k as keyof ImageExplanations['timings']]))])) as ImageExplanations['timings'];
  results.push({ model: n, title: bm.title, layer: ex.layer, timings, kernelMs, kernels });
  console.log(`${bm.title}: ${kernelMs.toFixed(0)} ms of kernel time (median of ${RUNS} profiled explanations)`);
  ex.dispose();
  bm.model.dispose();
}
mach.end = load();
const command = `npm run bench -- profile ${a.args.join(' ')}`.trim();
const L = [`# Profile of one Grad-CAM++ explanation (b1)${a.quick ? ' (quick smoke run)' : ''}`, '',
  `Command: \`${command}\`. Machine: ${describeMachine(mach)}`, '',
  `Kernel times are the wasm backend's own (tf.profile; wall), summed by kernel name, median over ${RUNS} profiled explanations; ` +
  'shares are of the summed kernel time (op wrappers such as fusedConv2d__op left out: their kernels are listed). Phases are the explanations\' own timings (ms, medians).', ''];
for (const r of results) {
  const t = r.timings;
  L.push(`## ${r.title} (target ${r.layer})`, '',
    `Phases: prepare ${t.prepare.toFixed(1)}, forward ${t.forward.toFixed(1)}, gradients ${t.gradients.toFixed(1)}, maps ${t.maps.toFixed(2)}, ` +
    `total ${t.total.toFixed(1)} ms (gradients ${((100 * t.gradients) / t.total).toFixed(1)} %). Kernel time: ${r.kernelMs.toFixed(1)} ms.`, '',
    '| kernel | calls | ms | share |', '|---|--:|--:|--:|',
    ...r.kernels.slice(0, TOP).map((k) => `| ${k.name} | ${k.calls} | ${k.ms.toFixed(1)} | ${(100 * k.share).toFixed(1)} % |`), '');
}
writeResults(a.outDir, 'profile', { bench: 'profile', date: new Date().toISOString(), quick: a.quick, command, machine: mach, results }, L.join('\n'));
