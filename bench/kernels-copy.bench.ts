// Kernels copy bench: what it costs to hand a layer's activations A and gradients dS/dA (two float32 tensors of
// the tfjs wasm backend) to the AssemblyScript kernels, before (one-copy: set() from a view of tfjs's heap into
// the kernels' own memory) and after issue 14 (zero-copy: the kernels import tfjs's memory; input() returns a
// view at the tensor's offset and holds its data), at the target-layer shapes of VGG-16 (14x14x512) and
// ResNet-50 (7x7x2048).
// Rows per shape: "inputs" = A + dS/dA handed over; "inputs + map" = the same followed by the Grad-CAM++ map
// (weights, weighted sum, ReLU + min-max, upsampling to 224x224) on them. Warm, in-process; each sample times a
// batch of calls; the samples of the two paths are interleaved round-robin (bench/lib/timing.ts), so background
// load falls on both alike. Also: the maps of the two paths (must be identical), and the kernel memory each path
// holds for the regions of one such call (one-copy: A and dS/dA are regions too).
//
//   node --import tsx bench/kernels-copy.bench.ts [--quick] [--out DIR]     (or: npm run bench -- kernels-copy)
// Writes DIR/kernels-copy.json and DIR/kernels-copy.md (default bench/results; with --quick, .tmp/bench-quick).
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useWasmBackend } from '../src/backend/index.js';
import { createKernels, tensorBytesCopied, type Kernels } from '../src/kernels/index.js';
import { EPS } from '../src/constants.js';
import { load } from './lib/machine.js';
import { timeWarm, type WarmStat } from './lib/timing.js';
import { Rng } from '../src/rng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const OUT = 224;
export const COPY_SHAPES = [
  { name: 'VGG-16 block5_conv3', h: 14, w: 14, k: 512 },
  { name: 'ResNet-50 conv5_block3_out', h: 7, w: 7, k: 2048 },
] as const;
export const PATHS = ['one-copy', 'zero-copy'] as const;
type Path = (typeof PATHS)[number];
export const TASKS = ['inputs', 'inputs + map'] as const;
type Task = (typeof TASKS)[number];

export interface CopyRow {
  shape: string; dims: string; task: Task; path: Path; warm: WarmStat;
  /** Tensor bytes copied per call (counted by src/kernels/tensor-io.ts). */
  bytesCopied: number;
}
export interface CopyResult {
  bench: 'kernels-copy'; date: string; quick: boolean;
  environment: Record<string, string | number | boolean>;
  rows: CopyRow[];
  /** Per shape: kernel memory held for one call's regions, and whether the two paths' maps are identical. */
  shapes: { dims: string; regionBytes: Record<Path, number>; mapsIdentical: boolean }[];
}

function runner(k: Kernels, s: (typeof COPY_SHAPES)[number], A: tf.Tensor, G: tf.Tensor) {
  const Z = s.h * s.w, K = s.k;
  const copies = k.path === 'one-copy';
  const r = k.reserve({ a: copies ? Z * K : 0, g: copies ? Z * K : 0, scratch: K, w: K, cam: Z, heat: OUT * OUT });
  const inputs = () => {
    k.input('a', A, r.f32.a);
    k.input('g', G, r.f32.g);
  };
  const map = () => {
    inputs();
    const a = k.inputView('a')!, g = k.inputView('g')!;
    k.gradcamppWeights(a, g, Z, K, r.f32.scratch, r.f32.w);
    k.weightedSum(a, r.f32.w, Z, K, r.f32.cam);
    k.reluNormalize(r.f32.cam, Z);
    k.resizeBilinear(r.f32.cam, s.h, s.w, r.f32.heat, OUT, OUT);
  };
  return { inputs, map, heat: () => r.f32.heat.slice(), bytes: () => k.memoryBytes };
}

export async function runCopyBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<CopyResult> {
  const quick = !!opts.quick, log = opts.log ?? (() => {});
  await useWasmBackend();
  const rows: CopyRow[] = [];
  const shapes: CopyResult['shapes'] = [];
  for (const s of COPY_SHAPES) {
    const dims = `${s.h}x${s.w}x${s.k}`;
    log(`${s.name} (${dims})...`);
    const rng = new Rng(7);
    const n = s.h * s.w * s.k;
    const A = tf.tensor4d(Float32Array.from({ length: n }, () => Math.max(0, rng.gaussian())), [1, s.h, s.w, s.k]);
    const G = tf.tensor4d(Float32Array.from({ length: n }, () => rng.gaussian() * 1e-3), [1, s.h, s.w, s.k]);
    // kernels of their own per path (fresh compile), so each path's regions stay put between calls
    const k = { 'one-copy': await createKernels('wasm', 'one-copy'), 'zero-copy': await createKernels('wasm', 'zero-copy') };
    const run = { 'one-copy': runner(k['one-copy'], s, A, G), 'zero-copy': runner(k['zero-copy'], s, A, G) };
    run['one-copy'].map();
    run['zero-copy'].map();
    const h1 = run['one-copy'].heat(), h0 = run['zero-copy'].heat();
    shapes.push({
      dims, mapsIdentical: h1.every((v, i) => Object.is(v, h0[i])),
      regionBytes: { 'one-copy': 4 * (2 * n + 2 * s.k + s.h * s.w + OUT * OUT), 'zero-copy': run['zero-copy'].bytes() },
    });
    for (const task of TASKS) {
      const fn = (p: Path) => (task === 'inputs' ? run[p].inputs : run[p].map);
      const copied = (p: Path) => { const c = tensorBytesCopied(); fn(p)(); return tensorBytesCopied() - c; };
      const bytes = { 'one-copy': copied('one-copy'), 'zero-copy': copied('zero-copy') };
      const t = timeWarm({ 'one-copy': fn('one-copy'), 'zero-copy': fn('zero-copy') }, quick);
      for (const p of PATHS) rows.push({ shape: s.name, dims, task, path: p, warm: t[p], bytesCopied: bytes[p] });
    }
    k['one-copy'].release();
    k['zero-copy'].release();
    A.dispose();
    G.dispose();
  }
  return {
    bench: 'kernels-copy', date: new Date().toISOString(), quick,
    environment: {
      node: process.version, platform: `${process.platform} ${process.arch}`, cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length, loadavg1: Number(os.loadavg()[0].toFixed(2)), cpuPressureAvg10: load().cpuPressure?.avg10 ?? -1,
      tfjs: tf.version.tfjs, tfjsBackend: tf.getBackend(), eps: EPS,
    },
    rows, shapes,
  };
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`);
const mb = (b: number) => `${(b / (1 << 20)).toFixed(2)} MB`;

export function copyMarkdown(res: CopyResult): string {
  const lines = [`# Kernels copy bench: one-copy vs zero-copy${res.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, ''];
  lines.push(`${res.date} — Node ${res.environment.node}, ${res.environment.cpu} (${res.environment.cores} cores, load ` +
    `${res.environment.loadavg1}, CPU pressure avg10 ${res.environment.cpuPressureAvg10}), tfjs ${res.environment.tfjs} on ` +
    `'${res.environment.tfjsBackend}'. On a loaded machine the CPU time is the steadier figure.`, '');
  lines.push('Median wall time per call (CPU time of this process in brackets), warm, the two paths\' samples interleaved. ' +
    '"inputs" = A and dS/dA handed to the kernels; "inputs + map" = then the Grad-CAM++ map upsampled to 224x224. ' +
    'one-copy: set() from tfjs\'s heap into the kernels\' own memory; zero-copy: the kernels read tfjs\'s heap in place.', '');
  lines.push('| layer | task | one-copy | zero-copy | saved, wall (CPU) | bytes copied (one / zero) |', '|---|---|--:|--:|--:|--:|');
  for (const dims of [...new Set(res.rows.map((r) => r.dims))]) {
    for (const task of TASKS) {
      const [o, z] = PATHS.map((p) => res.rows.find((r) => r.dims === dims && r.task === task && r.path === p)!);
      lines.push(`| ${dims} | ${task} | ${fmt(o.warm.median_us)} (${fmt(o.warm.cpu_median_us)}) | ` +
        `${fmt(z.warm.median_us)} (${fmt(z.warm.cpu_median_us)}) | ${fmt(o.warm.median_us - z.warm.median_us)} ` +
        `(${fmt(o.warm.cpu_median_us - z.warm.cpu_median_us)}) | ` +
        `${o.bytesCopied} / ${z.bytesCopied} |`);
    }
  }
  lines.push('', 'Kernel memory held for one call\'s regions, and agreement of the maps:', '');
  for (const s of res.shapes) {
    lines.push(`- ${s.dims}: one-copy ${mb(s.regionBytes['one-copy'])}, zero-copy ${mb(s.regionBytes['zero-copy'])} ` +
      `(malloc'd in tfjs's heap); maps ${s.mapsIdentical ? 'identical bit for bit' : 'DIFFERENT'}.`);
  }
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const outAt = args.indexOf('--out');
  const outDir = path.resolve(outAt >= 0 ? args[outAt + 1] : path.join(root, quick ? '.tmp/bench-quick' : 'bench/results'));
  const res = await runCopyBench({ quick, log: (s) => console.log(s) });
  const md = copyMarkdown(res);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'kernels-copy.json'), JSON.stringify(res, null, 2) + '\n');
  writeFileSync(path.join(outDir, 'kernels-copy.md'), md);
  console.log('\n' + md);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'kernels-copy.json'))} and kernels-copy.md`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
