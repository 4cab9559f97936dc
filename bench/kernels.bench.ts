// Kernels bench: the AssemblyScript SIMD kernels ('wasm') vs their TypeScript twins ('js') vs the same maths in
// tfjs ops on the tfjs wasm backend ('tfjs'), on the target-layer shapes of ResNet-50 (7x7x2048) and VGG-16
// (14x14x512), upsampled to 224x224.
//
// Stages: Grad-CAM++ weights, weighted sum, ReLU + min-max normalisation, bilinear upsampling, and "map" =
// the four in a row (what one explanation costs after the gradients).
// - warm: in this process, after warm-up; each sample times a batch of calls; median over the samples; the
//   samples of the three implementations are interleaved, so background load falls on all alike.
// - cold: the first call in a fresh child process (for 'wasm' on a fresh compile + instantiate of the module,
//   whose own time is reported as "instantiate"); median over several child processes. The map and the
//   stages are measured in different children, so each first call is really the first.
// - ratio: tfjs time / this time, from the same run (> 1: faster than tfjs ops).
// - the kernels of the methods past the paper (bench/kernels-methods.ts): AS vs the TS twin, warm only, their
//   samples interleaved the same way; with the agreement of their outputs.
// The inputs are resident (regions of the kernels; tensors for tfjs). tfjs timings include dataSync() of the
// stage's output (what a caller needs; the wasm backend runs ops synchronously); the kernels write their
// output in place.
//
//   node --import tsx bench/kernels.bench.ts [--quick] [--out DIR]     (or through bench/run.mjs)
// Writes DIR/kernels.json and DIR/kernels.md (default bench/results; with --quick, .tmp/bench-quick).
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useWasmBackend } from '../src/backend/index.js';
import { createKernels, getKernels, type Kernels } from '../src/kernels/index.js';
import { kernelsWasmBytes } from '../src/kernels/wasm/loader.js';
import { EPS } from '../src/constants.js';
import { load } from './lib/machine.js';
import { median, timeOnce, timeWarm, type Stat, type WarmStat } from './lib/timing.js';
import { METHOD_KERNELS, methodRunners, relDiff, type MethodKernel } from './kernels-methods.js';
import { Rng } from '../src/rng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const OUT_H = 224, OUT_W = 224;

export const SHAPES = [
  { name: 'ResNet-50 conv5_block3_out', h: 7, w: 7, k: 2048 },
  { name: 'VGG-16 block5_conv3', h: 14, w: 14, k: 512 },
] as const;
type Shape = (typeof SHAPES)[number];
export const STAGES = ['map', 'weights', 'weightedSum', 'reluNormalize', 'resize'] as const;
type Stage = (typeof STAGES)[number];
export const IMPLS = ['wasm', 'js', 'tfjs'] as const;
type Impl = (typeof IMPLS)[number];

export interface Row {
  shape: string; dims: string; stage: Stage; impl: Impl;
  warm: WarmStat;
  cold: Stat | null;
  ratioVsTfjs: { warm: number | null; cold: number | null };
}
export interface Result {
  bench: 'kernels'; date: string; quick: boolean;
  environment: Record<string, string | number | boolean>;
  config: { warmSamples: number; coldRuns: number; output: [number, number]; eps: number };
  rows: Row[];
  instantiate: Stat;
  agreement: Array<{ shape: string; maxAbsDiff: { js: number; tfjs: number } }>;
  /** The kernels of the methods past the paper (bench/kernels-methods.ts): AS vs the TS twin, warm. */
  methodRows: MethodRow[];
}
export interface MethodRow {
  shape: string; dims: string; kernel: MethodKernel;
  warm: { wasm: WarmStat; js: WarmStat };
  /** js time / wasm time (> 1: the AS kernel is faster). */
  speedupVsJs: number;
  /** max |wasm - js| / max |js| of the kernel's output on the same inputs. */
  maxRelDiff: number;
}

// ------------------------------------------------------------------------------------------ inputs
function rng(seed: number): () => number { // the project's one RNG (mulberry32)
  const r = new Rng(seed);
  return () => r.next();
}
/** Post-ReLU activations (half zeros) and small logit gradients of both signs, like a real last conv block. */
function inputs(s: Shape): { a: Float32Array; g: Float32Array } {
  const r = rng(s.h * 1000 + s.k);
  const n = s.h * s.w * s.k;
  const a = new Float32Array(n), g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.max(0, r() * 2 - 1);
    g[i] = (r() - 0.5) * 2e-4;
  }
  return { a, g };
}

// --------------------------------------------------------------------------- one stage = one closure
type Runner = Record<Stage, () => void>;

function kernelRunner(k: Kernels, s: Shape): { run: Runner; result: () => Float32Array } {
  const r = coldKernelRunner(k, s);
  r.run.map(); // primed: the first call is not part of the warm timings
  return r;
}

/** The same maths in tfjs ops (Grad-CAM++ alpha with the same guards and EPS). */
function tfWeights(A: tf.Tensor2D, G: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const d = tf.add(2, tf.mul(tf.sum(A, 0), G));
    const keep = tf.logicalAnd(tf.notEqual(G, 0), tf.greaterEqual(tf.abs(d), EPS));
    const alpha = tf.where(keep, tf.div(1, d), tf.zerosLike(d));
    return tf.sum(tf.mul(alpha, tf.relu(G)), 0) as tf.Tensor1D;
  });
}
const tfWeightedSum = (A: tf.Tensor2D, w: tf.Tensor1D) => tf.tidy(() => tf.matMul(A, tf.reshape(w, [-1, 1])));
function tfReluNormalize(m: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.relu(m);
    const mn = tf.min(x), mx = tf.max(x);
    const range = tf.sub(mx, mn);
    return tf.where(tf.greater(range, tf.mul(EPS, mx)), tf.div(tf.sub(x, mn), range), tf.zerosLike(x));
  });
}
const tfResize = (m: tf.Tensor, s: Shape) =>
  tf.tidy(() => tf.image.resizeBilinear(tf.reshape(m, [1, s.h, s.w, 1]) as tf.Tensor4D, [OUT_H, OUT_W], false, true));

function tfjsRunner(s: Shape): { run: Runner; result: () => Float32Array; dispose: () => void } {
  const Z = s.h * s.w;
  const { a, g } = inputs(s);
  const A = tf.tensor2d(a, [Z, s.k]), G = tf.tensor2d(g, [Z, s.k]);
  const w = tfWeights(A, G), map = tfReluNormalize(tfWeightedSum(A, w));
  const read = (t: tf.Tensor) => { t.dataSync(); t.dispose(); };
  const mapOnce = () => tf.tidy(() => tfResize(tfReluNormalize(tfWeightedSum(A, tfWeights(A, G))), s));
  const run: Runner = {
    weights: () => read(tfWeights(A, G)),
    weightedSum: () => read(tfWeightedSum(A, w)),
    reluNormalize: () => read(tfReluNormalize(map)),
    resize: () => read(tfResize(map, s)),
    map: () => read(mapOnce()),
  };
  return {
    run,
    result: () => { const t = mapOnce(); const v = t.dataSync() as Float32Array; t.dispose(); return v.slice(); },
    dispose: () => tf.dispose([A, G, w, map]),
  };
}

// ----------------------------------------------------------------- cold: one child process per run
interface ColdReport { si: number; instantiate_us: number; times: Partial<Record<Impl, Partial<Record<Stage, number>>>> }

async function coldChild(task: string): Promise<ColdReport> {
  const [si, mode] = task.split(':');
  const shapeIndex = Number(si);
  const s = SHAPES[shapeIndex];
  if (!s || (mode !== 'map' && mode !== 'stages')) throw new Error(`bad cold task "${task}"`);
  await useWasmBackend();
  const t0 = performance.now();
  const k = await createKernels('wasm'); // decode + compile + instantiate, nothing run yet
  const instantiate_us = (performance.now() - t0) * 1000;
  const stages: Stage[] = mode === 'map' ? ['map'] : ['weights', 'weightedSum', 'reluNormalize', 'resize'];
  const times: ColdReport['times'] = {};
  // Set-up of the inputs is not timed, and runs none of the code being timed.
  const jsKernels = await createKernels('js');
  const setups: Record<Impl, () => { run: Runner; done?: () => void }> = {
    wasm: () => coldKernelRunner(k, s),
    js: () => coldKernelRunner(jsKernels, s),
    tfjs: () => { const t = tfjsRunnerCold(s); return { run: t.run, done: t.dispose }; },
  };
  for (const impl of IMPLS) {
    const { run, done } = setups[impl]();
    times[impl] = {};
    for (const st of stages) times[impl]![st] = timeOnce(run[st]);
    done?.();
  }
  return { si: shapeIndex, instantiate_us, times };
}

/** The AS kernels (or their TS twins) over one reserved set of regions; not primed (for first-call timings). */
function coldKernelRunner(k: Kernels, s: Shape): { run: Runner; result: () => Float32Array } {
  const Z = s.h * s.w, K = s.k;
  const { a, g } = inputs(s);
  const r = k.reserve({ a: Z * K, g: Z * K, scratch: K, w: K, map: Z, up: OUT_H * OUT_W });
  const f = r.f32;
  f.a.set(a);
  f.g.set(g);
  const rw = rng(5);
  for (let i = 0; i < K; i++) f.w[i] = rw() * 1e-3; // plausible weights for the single stages
  for (let i = 0; i < Z; i++) f.map[i] = rw() * 2 - 0.5;
  const run: Runner = {
    weights: () => k.gradcamppWeights(f.a, f.g, Z, K, f.scratch, f.w),
    weightedSum: () => k.weightedSum(f.a, f.w, Z, K, f.map),
    reluNormalize: () => k.reluNormalize(f.map, Z),
    resize: () => k.resizeBilinear(f.map, s.h, s.w, f.up, OUT_H, OUT_W),
    map: () => {
      k.gradcamppWeights(f.a, f.g, Z, K, f.scratch, f.w);
      k.weightedSum(f.a, f.w, Z, K, f.map);
      k.reluNormalize(f.map, Z);
      k.resizeBilinear(f.map, s.h, s.w, f.up, OUT_H, OUT_W);
    },
  };
  return { run, result: () => { run.map(); return f.up.slice(); } };
}

/** tfjs runner whose single-stage inputs are made without running the ops being timed. */
function tfjsRunnerCold(s: Shape): { run: Runner; dispose: () => void } {
  const Z = s.h * s.w;
  const { a, g } = inputs(s);
  const A = tf.tensor2d(a, [Z, s.k]), G = tf.tensor2d(g, [Z, s.k]);
  const rw = rng(5);
  const w = tf.tensor1d(Float32Array.from({ length: s.k }, () => rw() * 1e-3));
  const map = tf.tensor2d(Float32Array.from({ length: Z }, () => rw() * 2 - 0.5), [Z, 1]);
  const read = (t: tf.Tensor) => { t.dataSync(); t.dispose(); };
  return {
    run: {
      weights: () => read(tfWeights(A, G)),
      weightedSum: () => read(tfWeightedSum(A, w)),
      reluNormalize: () => read(tfReluNormalize(map)),
      resize: () => read(tfResize(map, s)),
      map: () => read(tf.tidy(() => tfResize(tfReluNormalize(tfWeightedSum(A, tfWeights(A, G))), s))),
    },
    dispose: () => tf.dispose([A, G, w, map]),
  };
}

/** Runs cold tasks "shapeIndex:mode" in one child process, in order; returns one report per task. */
function runChild(tasks: string[]): Promise<ColdReport[]> {
  const args = ['--cold', tasks.join(',')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('[')) reject(new Error(`cold child ${args.join(' ')} failed (${code}): ${err || out}`));
      else resolve(JSON.parse(line));
    });
  });
}

async function pool<T>(jobs: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) { const i = next++; results[i] = await jobs[i](); }
  }));
  return results;
}

// ---------------------------------------------------------------------------------------- the bench
export async function runKernelsBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<Result> {
  const quick = !!opts.quick;
  const log = opts.log ?? (() => {});
  await useWasmBackend();
  const coldRuns = quick ? 1 : 5;

  // Full run: one child process per (run, shape, map | stages), one at a time, before the warm timings, so
  // nothing runs beside a timing. Quick run (a smoke test: only the plumbing matters): one child for all the
  // tasks (only its first is really cold), beside the warm timings.
  const tasks: string[] = [];
  for (let si = 0; si < SHAPES.length; si++) tasks.push(`${si}:map`, `${si}:stages`);
  log(quick ? `cold: 1 child process for ${tasks.length} tasks (quick: not all cold)...`
    : `cold: ${coldRuns} runs x ${tasks.length} tasks, one child process each...`);
  const jobs = quick ? [() => runChild(tasks)]
    : Array.from({ length: coldRuns }, () => tasks.map((t) => () => runChild([t]))).flat();
  const coldDone = pool(jobs, 1).then((reports) => reports.flat());
  coldDone.catch(() => {}); // awaited below; this only keeps a quick run's early failure from being "unhandled"
  const cold = quick ? [] as ColdReport[] : await coldDone;

  const wasm = await getKernels('wasm'), js = await getKernels('js');
  // The method kernels get kernels of their own (their regions do not disturb the stages' ones).
  const methodKernels = { wasm: await createKernels('wasm'), js: await createKernels('js') };
  const methodRows: MethodRow[] = [];
  const rows: Row[] = [];
  const agreement: Result['agreement'] = [];
  type Warm = Partial<Record<Stage, Record<Impl, WarmStat>>>;
  const warmAll: Array<{ si: number; s: Shape; dims: string; warm: Warm }> = [];
  for (const [si, s] of SHAPES.entries()) {
    const dims = `${s.h}x${s.w}x${s.k}`;
    log(`warm: ${s.name} (${dims})...`);
    const runners = { wasm: kernelRunner(wasm, s), js: kernelRunner(js, s), tfjs: tfjsRunner(s) };
    const ref = runners.wasm.result();
    const maxDiff = (x: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
    agreement.push({ shape: dims, maxAbsDiff: { js: maxDiff(runners.js.result()), tfjs: maxDiff(runners.tfjs.result()) } });
    const warm: Warm = {};
    for (const stage of STAGES) {
      warm[stage] = timeWarm({ wasm: runners.wasm.run[stage], js: runners.js.run[stage], tfjs: runners.tfjs.run[stage] }, quick);
    }
    runners.tfjs.dispose();
    warmAll.push({ si, s, dims, warm });
    log(`warm: method kernels, ${dims}...`);
    const { a, g } = inputs(s);
    const mw = methodRunners(methodKernels.wasm, s, a, g, [OUT_H, OUT_W]);
    const mj = methodRunners(methodKernels.js, s, a, g, [OUT_H, OUT_W]);
    for (const kernel of METHOD_KERNELS) {
      mw.run[kernel]();
      mj.run[kernel]();
      const maxRelDiff = relDiff(mw.output[kernel](), mj.output[kernel]());
      const t = timeWarm({ wasm: mw.run[kernel], js: mj.run[kernel] }, quick);
      methodRows.push({ shape: s.name, dims, kernel, warm: t, speedupVsJs: t.js.median_us / t.wasm.median_us, maxRelDiff });
    }
  }
  if (quick) cold.push(...(await coldDone));
  for (const { si, s, dims, warm } of warmAll) {
    for (const stage of STAGES) {
      const coldOf = (impl: Impl): Stat | null => {
        const xs = cold.filter((c) => c.si === si).map((c) => c.times[impl]?.[stage]).filter((x): x is number => x !== undefined);
        return xs.length ? { median_us: median(xs), min_us: Math.min(...xs), n: xs.length } : null;
      };
      const tfWarm = warm[stage]!.tfjs!.median_us, tfCold = coldOf('tfjs')?.median_us ?? null;
      for (const impl of IMPLS) {
        const w = warm[stage]![impl]!, c = coldOf(impl);
        rows.push({
          shape: s.name, dims, stage, impl, warm: w, cold: c,
          ratioVsTfjs: { warm: tfWarm / w.median_us, cold: c && tfCold !== null ? tfCold / c.median_us : null },
        });
      }
    }
  }
  const inst = cold.map((c) => c.instantiate_us);
  const require = createRequire(import.meta.url);
  return {
    bench: 'kernels', date: new Date().toISOString(), quick,
    environment: {
      node: process.version, v8: process.versions.v8, platform: `${process.platform} ${process.arch}`,
      cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadavg1: Number(os.loadavg()[0].toFixed(2)),
      cpuPressureAvg10: load().cpuPressure?.avg10 ?? -1,
      tfjs: tf.version.tfjs, tfjsBackend: tf.getBackend(),
      tfjsWasmSimd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      assemblyscript: require('assemblyscript/package.json').version, kernelsWasmBytes: (await kernelsWasmBytes()).length,
    },
    config: { warmSamples: quick ? 3 : 21, coldRuns, output: [OUT_H, OUT_W], eps: EPS },
    rows,
    instantiate: { median_us: median(inst), min_us: Math.min(...inst), n: inst.length },
    agreement,
    methodRows,
  };
}

// ------------------------------------------------------------------------------------------- report
const fmt = (us: number | undefined | null) => (us == null ? '-' : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`);
const fx = (r: number | null) => (r == null ? '-' : `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}x`);

export function markdown(res: Result): string {
  const lines: string[] = [];
  lines.push(`# Kernels bench${res.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, '');
  lines.push(`${res.date} — Node ${res.environment.node}, ${res.environment.cpu} (${res.environment.cores} cores, ` +
    `load ${res.environment.loadavg1}), tfjs ${res.environment.tfjs} on the '${res.environment.tfjsBackend}' backend ` +
    `(SIMD ${res.environment.tfjsWasmSimd ? 'on' : 'off'}), AssemblyScript ${res.environment.assemblyscript} ` +
    `(${res.environment.kernelsWasmBytes}-byte module).`, '');
  lines.push('Median time per call. warm: in-process after warm-up, ' +
    `${res.config.warmSamples} samples of batched calls, the implementations' samples interleaved; ` +
    `cold: first call in a fresh process (the AS module freshly compiled), ${res.config.coldRuns} ` +
    'process(es). "vs tfjs" = tfjs-ops time / this time, same run (> 1: faster). ' +
    `map = Grad-CAM++ weights + weighted sum + ReLU/min-max + upsampling to ${res.config.output.join('x')}. ` +
    'tfjs timings include dataSync() of the output.', '');
  lines.push('| layer | stage | AS wasm warm | TS js warm | tfjs warm | AS vs tfjs | TS vs tfjs | AS wasm cold | TS js cold | tfjs cold | AS vs tfjs cold |');
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const dimsList = [...new Set(res.rows.map((r) => r.dims))];
  for (const dims of dimsList) {
    for (const stage of STAGES) {
      const get = (impl: Impl) => res.rows.find((r) => r.dims === dims && r.stage === stage && r.impl === impl)!;
      const [a, j, t] = [get('wasm'), get('js'), get('tfjs')];
      lines.push(`| ${dims} | ${stage} | ${fmt(a.warm.median_us)} | ${fmt(j.warm.median_us)} | ${fmt(t.warm.median_us)} | ` +
        `${fx(a.ratioVsTfjs.warm)} | ${fx(j.ratioVsTfjs.warm)} | ${fmt(a.cold?.median_us)} | ${fmt(j.cold?.median_us)} | ` +
        `${fmt(t.cold?.median_us)} | ${fx(a.ratioVsTfjs.cold)} |`);
    }
  }
  lines.push('', `Instantiating the AS module (base64 decode + compile + instantiate, cold process): median ` +
    `${fmt(res.instantiate.median_us)} over ${res.instantiate.n}.`, '');
  lines.push('Kernels of the methods past the paper (AS vs its TS twin, warm, interleaved samples; scorecamMasks = ' +
    'channelPlanes + normalizePlanes of the K maps at the layer size; fuseMaps = three ' +
    `${res.config.output.join('x')} maps; max rel diff = max |AS - TS| / max |TS| of the output):`, '');
  lines.push('| layer | kernel | AS wasm warm | TS js warm | AS vs TS | max rel diff |');
  lines.push('|---|---|--:|--:|--:|--:|');
  for (const r of res.methodRows) {
    lines.push(`| ${r.dims} | ${r.kernel} | ${fmt(r.warm.wasm.median_us)} | ${fmt(r.warm.js.median_us)} | ` +
      `${fx(r.speedupVsJs)} | ${r.maxRelDiff.toExponential(1)} |`);
  }
  lines.push('');
  lines.push('Agreement of the 224x224 map (max |difference| vs the AS kernels): ' +
    res.agreement.map((a) => `${a.shape}: js ${a.maxAbsDiff.js.toExponential(1)}, tfjs ${a.maxAbsDiff.tfjs.toExponential(1)}`).join('; ') + '.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const coldAt = args.indexOf('--cold');
  if (coldAt >= 0) {
    const reps: ColdReport[] = [];
    for (const task of args[coldAt + 1].split(',')) reps.push(await coldChild(task));
    process.stdout.write(JSON.stringify(reps) + '\n');
    return;
  }
  const quick = args.includes('--quick');
  const outAt = args.indexOf('--out');
  const outDir = path.resolve(outAt >= 0 ? args[outAt + 1] : path.join(root, quick ? '.tmp/bench-quick' : 'bench/results'));
  const res = await runKernelsBench({ quick, log: (s) => console.log(s) });
  const md = markdown(res);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'kernels.json'), JSON.stringify(res, null, 2) + '\n');
  writeFileSync(path.join(outDir, 'kernels.md'), md);
  console.log('\n' + md);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'kernels.json'))} and kernels.md`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
