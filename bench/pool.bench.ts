// Throughput of createExplainerPool (src/node/pool.ts) against one worker and against an Explainer in this
// thread, interleaved in one run. Each round, every row explains the same N RGBA byte images (Grad-CAM++):
//   in-process      createExplainer(model).explain([N images])      (one tfjs-wasm thread, this thread)
//   pool 1 worker   createExplainerPool({ workers: 1 }).explain([N images])
//   pool W workers  createExplainerPool({ workers: W }).explain([N images])   (W = --workers, default 2)
// Reported per image: wall time (1 / throughput) and this process's CPU time (every thread, workers included).
// Throughput ratio = wall per image of 1 worker / wall per image of W workers, same run.
// Models: MobileNetV2 224 (nsfwjs weights) and ResNet-50 224 (random), saved to a temp folder as model.json
// (a pool loads its model from a file in each worker).
//   node --import tsx bench/pool.bench.ts [--quick] [--out DIR] [--rounds N] [--workers W] [--images N] [--only mobilenetv2,resnet50]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExplainer, useWasmBackend } from '../src/index.js';
import { createExplainerPool, saveModel } from '../src/node/index.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { benchModel, byteImages, type BenchModelName } from './lib/models.js';
import { benchArgs, ms, ratio, writeResults } from './lib/output.js';
import { interleave, type RowStat } from './lib/timing.js';

const a = benchArgs();
const value = (f: string) => { const i = a.args.indexOf(f); return i >= 0 ? Number(a.args[i + 1]) : null; };
const W = value('--workers') ?? 2;
const N = value('--images') ?? (a.quick ? 2 : 16);
const rounds = a.rounds ?? (a.quick ? 1 : 4);
const warmup = a.quick ? 0 : 1;
const MODELS = ['mobilenetv2', 'resnet50'] as const;
const names = (a.only ?? (a.quick ? ['mobilenetv2'] : MODELS)).filter((n): n is (typeof MODELS)[number] => (MODELS as readonly string[]).includes(n));
const log = (s: string) => console.log(s);

interface PoolResult {
  model: BenchModelName; title: string; images: number; workers: number; startMs: Record<string, number>;
  rows: Record<string, RowStat>;
  throughput: { imagesPerSecond: Record<string, number>; ratio: number; cpuPerImageRatio: number };
}

async function benchOne(name: (typeof MODELS)[number]): Promise<PoolResult> {
  const bm = await benchModel(name, 224);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-bench-'));
  try {
    await saveModel(bm.model, dir);
    const single = await createExplainer(bm.model, { preprocess: bm.preprocess });
    const startMs: Record<string, number> = {};
    const start = async (w: number) => {
      const t = performance.now();
      const p = await createExplainerPool({ workers: w, model: path.join(dir, 'model.json'), inputRange: '0,1' });
      startMs[`pool ${w}`] = performance.now() - t;
      return p;
    };
    const p1 = await start(1);
    const pW = await start(W);
    const images = byteImages(N, 224, 5);
    log(`${bm.title}: pools started (${Object.entries(startMs).map(([k, v]) => `${k}: ${(v / 1000).toFixed(1)} s`).join(', ')}); ${N} images per call`);
    try {
      const rows = await interleave({
        'in-process': { units: N, run: () => single.explain(images) },
        'pool 1 worker': { units: N, run: () => p1.explain(images) },
        [`pool ${W} workers`]: { units: N, run: () => pW.explain(images) },
      }, { rounds, warmup, log, firstCallApart: !a.quick });
      const one = rows['pool 1 worker']!, many = rows[`pool ${W} workers`]!;
      return {
        model: name, title: bm.title, images: N, workers: W, startMs, rows,
        throughput: {
          imagesPerSecond: Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, 1000 / r.wall.median])),
          ratio: one.wall.median / many.wall.median,
          cpuPerImageRatio: many.cpu.median / one.cpu.median,
        },
      };
    } finally {
      await Promise.all([p1.close(), pW.close()]);
      single.dispose();
      bm.model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await useWasmBackend();
const mach = await machine();
const results: PoolResult[] = [];
for (const n of names) results.push(await benchOne(n));
mach.end = load();
const command = `npm run bench -- pool ${a.args.join(' ')}`.trim();
const L: string[] = [
  `# Explainer pool throughput${a.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, '',
  `Command: \`${command}\`. ${rounds} interleaved round(s) after ${warmup} warm-up round(s); Grad-CAM++; each call explains ` +
  `${N} RGBA byte images of 224x224.`, '',
  `Machine: ${describeMachine(mach)}`, '',
  'Per image, ms: wall = 1 / throughput; CPU = this process\'s user + system time, every thread (the workers\' too). ' +
  'Speed-up = wall per image of 1 worker / wall per image of the pool, same run. On a machine whose cores are busy with ' +
  'other work, the speed-up is bounded by the CPU share this process gets, not by the pool.', '',
  '| model | row | images/s | wall median | wall min | CPU median | CPU min | cores obtained (CPU / wall) |', '|---|---|--:|--:|--:|--:|--:|--:|',
];
for (const r of results) {
  for (const [k, s] of Object.entries(r.rows)) {
    L.push(`| ${r.title} | ${k} | ${(1000 / s.wall.median).toFixed(2)} | ${ms(s.wall.median)} | ${ms(s.wall.min)} | ${ms(s.cpu.median)} | ${ms(s.cpu.min)} | ${(s.cpu.median / s.wall.median).toFixed(2)} |`);
  }
}
L.push('', `| model | speed-up, ${W} workers vs 1 (measured) | CPU per image, ${W} workers / 1 | ` +
  `speed-up on ${W} dedicated cores if CPU-bound (${W} / CPU ratio, an estimate) | pool start (s) |`, '|---|--:|--:|--:|--:|');
for (const r of results) {
  L.push(`| ${r.title} | ${ratio(r.throughput.ratio)} | ${ratio(r.throughput.cpuPerImageRatio)} | ${ratio(W / r.throughput.cpuPerImageRatio)} | ` +
    `${Object.entries(r.startMs).map(([k, v]) => `${k}: ${(v / 1000).toFixed(1)}`).join(', ')} |`);
}
writeResults(a.outDir, 'pool', { bench: 'pool', date: new Date().toISOString(), quick: a.quick, command, rounds, warmup, machine: mach, results }, L.join('\n'));
