// Where an explanation's time goes, kernel by kernel: tf.profile over warm Grad-CAM++ explanations (b1) of each
// bench model, kernel times (the wasm backend's own timer) summed by kernel name, and the explanation's phases
// (prepare = RGBA bytes -> float batch + checks + preprocess; forward = body to the target layer;
// gradients = head + its gradient; maps = the AssemblyScript kernels).
// Then, per model, one interleaved run (bench/lib/timing.ts; wall and CPU time) of:
//   forward folded / unfolded      the body pass (input -> target) with BatchNorm folded (the default) or not
//                                  (foldBatchNorm: false), on the same prepared batch
//   gradcam++ folded / unfolded    a whole Grad-CAM++ explanation of one RGBA byte image, each way
//   prepare / prepare (before)     toBatch of the byte image (+ the model's preprocess) vs the steps it took before
//                                  (a float copy of the RGBA bytes, slice, finiteness scans, peak), kept here as the baseline
//   node --import tsx bench/profile.bench.ts [--quick] [--out DIR] [--rounds N (profiled runs and rounds, default 5)] [--only resnet50,vgg16,mobilenetv2]
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend, type Explainer, type ImageDataLike, type ImageExplanations, type Preprocess } from '../src/index.js';
import { toBatch } from '../src/image.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { BENCH_MODELS, benchModel, byteImages, type BenchModelName } from './lib/models.js';
import { benchArgs, ratio, writeResults } from './lib/output.js';
import { interleave, median, type RowStat } from './lib/timing.js';

const a = benchArgs();
const SIZE = a.quick ? 64 : 224;
const names = (a.only ?? BENCH_MODELS).filter((n): n is BenchModelName => (BENCH_MODELS as readonly string[]).includes(n));
const TOP = 12;
const RUNS = a.rounds ?? (a.quick ? 1 : 5);

interface Kernel { name: string; ms: number; calls: number; share: number }
interface ProfileResult {
  model: string; title: string; layer: string; timings: ImageExplanations['timings']; kernelMs: number; kernels: Kernel[];
  foldedBatchNorms: number; rows: Record<string, RowStat>;
}

/** The steps toBatch took before (bd40402..375bc7e), the baseline of the prepare rows. */
function prepareBefore(image: ImageDataLike, pre: Preprocess): tf.Tensor4D {
  return tf.tidy(() => {
    const { data, width, height } = image;
    const rgb = tf.slice(tf.tensor3d(Float32Array.from(data), [height, width, 4]), [0, 0, 0], [-1, -1, 3]);
    const x = tf.expandDims(rgb, 0) as tf.Tensor4D;
    const finite = (t: tf.Tensor) => !tf.any(tf.logicalNot(tf.isFinite(t))).dataSync()[0];
    if (!finite(x)) throw new Error('non-finite');
    const b = tf.cast(pre(x), 'float32') as tf.Tensor4D;
    if (!finite(b) || tf.max(tf.abs(b)).dataSync()[0] > 1e15) throw new Error('non-finite');
    return b;
  });
}

/** Forward, Grad-CAM++ and prepare rows, folded vs not, interleaved. */
async function foldRows(ex: Explainer, plain: Explainer, image: ImageDataLike, pre: Preprocess): Promise<Record<string, RowStat>> {
  const batch = toBatch(image, ex.plan.inputShape, pre);
  const forward = (e: Explainer) => () => e.plan.body(batch).dispose();
  const explain = (e: Explainer) => () => e.explain(image);
  const rows = await interleave({
    'forward, folded': { run: forward(ex) }, 'forward, unfolded': { run: forward(plain) },
    'gradcam++, folded': { run: explain(ex) }, 'gradcam++, unfolded': { run: explain(plain) },
    prepare: { run: () => toBatch(image, ex.plan.inputShape, pre).dispose() },
    'prepare (before)': { run: () => prepareBefore(image, pre).dispose() },
  }, { rounds: RUNS, warmup: a.quick ? 0 : 1, log: (l) => console.log(l) });
  batch.dispose();
  return rows;
}

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
  console.log(`${bm.title}: ${kernelMs.toFixed(0)} ms of kernel time (median of ${RUNS} profiled explanations)`);
  const plain = await createExplainer(bm.model, { preprocess: bm.preprocess, foldBatchNorm: false });
  const rows = await foldRows(ex, plain, image!, bm.preprocess);
  results.push({ model: n, title: bm.title, layer: ex.layer, timings, kernelMs, kernels, foldedBatchNorms: ex.plan.foldedBatchNorms ?? 0, rows });
  plain.dispose();
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
  const row = (k: string) => r.rows[k]!;
  const cmp = (x: string, y: string) => `${ratio(row(x).cpu.median / row(y).cpu.median)} (${ratio(row(x).wall.median / row(y).wall.median)})`;
  L.push(`Interleaved, ${RUNS} rounds (${r.foldedBatchNorms} BatchNormalization layers folded): ms per call, median (min); ratios of CPU medians (wall in brackets).`, '',
    '| row | wall | CPU |', '|---|--:|--:|',
    ...Object.entries(r.rows).map(([k, v]) => `| ${k} | ${v.wall.median.toFixed(1)} (${v.wall.min.toFixed(1)}) | ${v.cpu.median.toFixed(1)} (${v.cpu.min.toFixed(1)}) |`), '',
    `Forward folded / unfolded: ${cmp('forward, folded', 'forward, unfolded')}; Grad-CAM++ folded / unfolded: ` +
    `${cmp('gradcam++, folded', 'gradcam++, unfolded')}; prepare / prepare (before): ${cmp('prepare', 'prepare (before)')}.`, '');
}
writeResults(a.outDir, 'profile', { bench: 'profile', date: new Date().toISOString(), quick: a.quick, command, machine: mach, results }, L.join('\n'));
