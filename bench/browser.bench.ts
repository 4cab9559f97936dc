// Explained frames per second in headless Chromium: MobileNetV2 224 (nsfwjs's pretrained weights), Grad-CAM++
// on 224x224 RGBA frames, one page served cross-origin isolated (COOP/COEP, demo/serve.ts: tfjs loads its
// threaded SIMD binary) and one served without the headers (one thread), interleaved round by round in one run.
// Per row: wall time measured in the page (performance.now), and the CPU time of the whole browser (every
// Chromium process, from /proc) over the same call. Needs /usr/bin/chromium (apt-get install -y chromium) and
// playwright-core (never a downloaded browser).
// tfjs's threaded binary starts a pool of 1 thread here unless told otherwise: the page calls
// setThreadsCount(--threads, default the core count) before the backend starts (ignored without isolation).
//   node --import tsx bench/browser.bench.ts [--quick] [--out DIR] [--rounds N] [--frames K] [--threads T]
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { useWasmBackend } from '../src/index.js';
import { saveModel } from '../src/node/index.js';
import { serve, type Served } from '../demo/serve.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { loadNsfwMobileNetV2 } from './lib/models.js';
import { benchArgs, ms, ratio, ROOT, writeResults } from './lib/output.js';
import { interleave, type Sample } from './lib/timing.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];
const a = benchArgs();
const fi = a.args.indexOf('--frames');
const K = fi >= 0 ? Number(a.args[fi + 1]) : a.quick ? 2 : 10;
const rounds = a.rounds ?? (a.quick ? 1 : 5);
const ti = a.args.indexOf('--threads');
/** XNNPACK threads of the third page (isolated, setThreadsCount before the backend starts); default the core count. */
const THREADS = ti >= 0 ? Number(a.args[ti + 1]) : os.cpus().length;
const PAGES = [
  { name: 'isolated, tfjs default threads', isolated: true, threads: 0 },
  { name: `isolated, ${THREADS} threads`, isolated: true, threads: THREADS },
  { name: 'not isolated (one thread)', isolated: false, threads: 0 },
];
const warmup = a.quick ? 0 : 1;
const log = (s: string) => console.log(s);

/** utime + stime (ms) of the descendants of a process (not itself), from /proc: here, every Chromium process. */
function treeCpuMs(root: number): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const parent = new Map<number, number>(), cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) * tick);
    } catch { /* exited meanwhile */ }
  }
  let total = 0;
  for (const [pid, c] of cpu) {
    if (pid === root) continue;
    for (let p: number | undefined = pid; p; p = parent.get(p)) if (p === root) { total += c; break; }
  }
  return total;
}

async function site(dir: string): Promise<void> {
  await build({
    entryPoints: [path.join(ROOT, 'bench', 'browser', 'page.ts')], outfile: path.join(dir, 'page.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true, logLevel: 'warning',
  });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="page.js"></script>\n');
  const tfwasm = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(tfwasm).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(tfwasm, f), path.join(dir, f));
  await useWasmBackend();
  const model = await loadNsfwMobileNetV2();
  await saveModel(model, path.join(dir, 'model'));
  model.dispose();
}

if (!existsSync(CHROMIUM)) {
  console.error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  process.exit(1);
}
await useWasmBackend();
const mach = await machine();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'browser-bench-'));
const servers: Served[] = [];
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
try {
  mkdirSync(path.join(tmp, 'site'));
  await site(path.join(tmp, 'site'));
  const pid = process.pid; // Chromium runs as our child process
  const pages: Record<string, { page: Page; info: Record<string, unknown> }> = {};
  for (const { name, isolated, threads } of PAGES) {
    const s = await serve(path.join(tmp, 'site'), 0, { isolated });
    servers.push(s);
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    await page.waitForFunction(() => 'bench' in window, null, { timeout: 60_000 });
    const info = await page.evaluate(([u, n, t]) => (window as unknown as { bench: { setup(u: string, n: number, t: number): Promise<Record<string, unknown>> } }).bench.setup(u, n, t),
      [`${s.url}model/model.json`, 224, threads] as const);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    pages[name] = { page, info };
    log(`${name}: ${JSON.stringify(info)}`);
  }
  const runIn = (page: Page) => async (): Promise<Sample> => {
    const c0 = treeCpuMs(pid);
    const wall = await page.evaluate((k) => (window as unknown as { bench: { run(k: number): Promise<number> } }).bench.run(k), K);
    return { wall, cpu: treeCpuMs(pid) - c0 };
  };
  const rows = await interleave(Object.fromEntries(Object.entries(pages).map(([n, p]) => [n, { units: K, measured: runIn(p.page) }])),
    { rounds, warmup, log, firstCallApart: !a.quick });
  mach.end = load();
  const [def, thr, one] = PAGES.map((p) => rows[p.name]!);
  const command = `npm run bench -- browser ${a.args.join(' ')}`.trim();
  const md = [
    `# Explained frames/s in headless Chromium${a.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, '',
    `Command: \`${command}\`. MobileNetV2 224 (nsfwjs weights), Grad-CAM++, 224x224 RGBA frames; ${K} frames per call, ` +
    `${rounds} interleaved round(s) after ${warmup} warm-up round(s).`, '',
    `Machine: ${describeMachine(mach)}`, '',
    `Chromium: ${String(pages[PAGES[0]!.name]!.info.userAgent)}.`, '',
    'Per frame, ms: wall in the page; CPU = every Chromium process (from /proc) over the same call. tfjs-wasm caps its ' +
    'XNNPACK threads at navigator.hardwareConcurrency / 2 (and 8): on a 2-core machine its threaded binary runs one ' +
    `thread by default. The "${THREADS} threads" page calls setThreadsCount(${THREADS}) and, to pass that cap, reports ` +
    `${2 * THREADS} cores to tfjs (an experiment; a site would call setThreadsCount only).`, '',
    '| page | crossOriginIsolated | threaded binary | tfjs threads | frames/s (median) | frames/s (best) | wall median | wall min | CPU median | CPU min |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|',
    ...Object.entries(rows).map(([n, r]) => {
      const info = pages[n]!.info;
      return `| ${n} | ${info.crossOriginIsolated} | ${info.threadedBinary} | ${info.threads} | ${(1000 / r.wall.median).toFixed(2)} | ${(1000 / r.wall.min).toFixed(2)} | ` +
        `${ms(r.wall.median)} | ${ms(r.wall.min)} | ${ms(r.cpu.median)} | ${ms(r.cpu.min)} |`;
    }),
    '', 'Frames/s against the page without isolation (median; best in brackets): ' +
    `isolated with tfjs's default threads ${ratio(one!.wall.median / def!.wall.median)} (${ratio(one!.wall.min / def!.wall.min)}); ` +
    `isolated with ${THREADS} threads ${ratio(one!.wall.median / thr!.wall.median)} (${ratio(one!.wall.min / thr!.wall.min)}). ` +
    `CPU per frame against it: ${ratio(def!.cpu.median / one!.cpu.median)} and ${ratio(thr!.cpu.median / one!.cpu.median)}.`, '',
  ].join('\n');
  writeResults(a.outDir, 'browser', {
    bench: 'browser', date: new Date().toISOString(), quick: a.quick, command, frames: K, rounds, warmup, machine: mach,
    pages: Object.fromEntries(Object.entries(pages).map(([n, p]) => [n, p.info])), rows,
  }, md);
} finally {
  await browser.close();
  for (const s of servers) await s.close();
  rmSync(tmp, { recursive: true, force: true });
}
