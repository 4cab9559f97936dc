// Smoke test of the benches: `bench/run.mjs kernels --quick` runs end to end (child processes included) and
// writes a result file with every shape x stage x implementation, finite timings and ratios, and maps that
// agree across implementations; `bench/run.mjs explain --quick` times every model's interleaved rows (wall and
// CPU), records the machine, and leaks no tensors; `bench/run.mjs browser --quick` (headless Chromium; skipped with
// SKIP_BROWSER=1) shows the demo server's COOP/COEP headers at work: the isolated pages are cross-origin isolated
// and load tfjs's threaded binary, the other is not and does not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPLS, SHAPES, STAGES, type Result } from '../bench/kernels.bench.js';
import { METHOD_KERNELS } from '../bench/kernels-methods.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

test('bench/run.mjs kernels --quick writes kernels.json and kernels.md with the expected fields', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs', 'kernels', '--quick', '--out', out], {
      cwd: root, encoding: 'utf8', timeout: 120_000,
    });
    assert.is(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    assert.ok(existsSync(path.join(out, 'kernels.md')), 'kernels.md written');
    const res = JSON.parse(readFileSync(path.join(out, 'kernels.json'), 'utf8')) as Result;
    assert.is(res.bench, 'kernels');
    assert.is(res.quick, true);
    assert.is(res.environment.tfjsBackend, 'wasm');
    assert.equal(res.config.output, [224, 224]);
    assert.is(res.rows.length, SHAPES.length * STAGES.length * IMPLS.length);
    for (const s of SHAPES) {
      for (const stage of STAGES) {
        for (const impl of IMPLS) {
          const row = res.rows.find((r) => r.dims === `${s.h}x${s.w}x${s.k}` && r.stage === stage && r.impl === impl);
          assert.ok(row, `row ${s.h}x${s.w}x${s.k} ${stage} ${impl}`);
          const label = `${row!.dims} ${stage} ${impl}`;
          assert.ok(row!.warm.median_us > 0 && Number.isFinite(row!.warm.median_us), `${label}: warm median`);
          assert.ok(row!.warm.callsPerSample >= 1, `${label}: calls per sample`);
          assert.ok(row!.cold && row!.cold.median_us > 0 && row!.cold.n >= 1, `${label}: cold median`);
          assert.ok(Number.isFinite(row!.ratioVsTfjs.warm!) && row!.ratioVsTfjs.warm! > 0, `${label}: warm ratio`);
          assert.ok(Number.isFinite(row!.ratioVsTfjs.cold!) && row!.ratioVsTfjs.cold! > 0, `${label}: cold ratio`);
          if (impl === 'tfjs') assert.is(row!.ratioVsTfjs.warm, 1, `${label}: tfjs is its own baseline`);
        }
      }
    }
    assert.ok(res.instantiate.median_us > 0, 'instantiate time');
    assert.is(res.agreement.length, SHAPES.length);
    for (const a of res.agreement) {
      // The maps are normalised to [0, 1]; the implementations differ by float32 rounding only.
      assert.ok(a.maxAbsDiff.js < 1e-4 && a.maxAbsDiff.tfjs < 1e-4, `maps agree for ${a.shape}: ${JSON.stringify(a.maxAbsDiff)}`);
    }
    // The kernels of the methods past the paper: one row per shape and kernel, AS and TS timed, outputs agreeing.
    assert.is(res.methodRows.length, SHAPES.length * METHOD_KERNELS.length);
    for (const r of res.methodRows) {
      const label = `${r.dims} ${r.kernel}`;
      assert.ok(r.warm.wasm.median_us > 0 && r.warm.js.median_us > 0, `${label}: warm medians`);
      assert.ok(Number.isFinite(r.speedupVsJs) && r.speedupVsJs > 0, `${label}: speed-up`);
      assert.ok(r.maxRelDiff < 1e-4, `${label}: AS and TS agree (${r.maxRelDiff})`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench/run.mjs explain --quick writes explain.json with interleaved rows, CPU times, ratios and the machine', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs', 'explain', '--quick', '--out', out], {
      cwd: root, encoding: 'utf8', timeout: 240_000,
    });
    assert.is(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    assert.ok(existsSync(path.join(out, 'explain.md')), 'explain.md written');
    const res = JSON.parse(readFileSync(path.join(out, 'explain.json'), 'utf8'));
    assert.is(res.bench, 'explain');
    assert.is(res.quick, true);
    assert.is(res.machine.tfjsBackend, 'wasm');
    assert.ok(res.machine.cores >= 1 && res.machine.start.loadavg.length === 3 && res.machine.end, 'machine and load recorded');
    assert.equal(res.models.map((m: { model: string }) => m.model), ['resnet50', 'vgg16', 'mobilenetv2']);
    for (const m of res.models) {
      assert.is(m.leakedTensors, 0, `${m.model}: no tensor leaked`);
      const rows = Object.keys(m.rows);
      for (const want of ['forward b1', 'gradcam++ b1', 'forward b2', 'gradcam++ b2']) assert.ok(rows.includes(want), `${m.model}: row ${want}`);
      assert.ok(rows.includes(`${m.methods.length} methods b2`) && m.methods.length >= 2, `${m.model}: several methods`);
      for (const [k, r] of Object.entries(m.rows) as [string, { wall: { median: number; min: number }; cpu: { median: number }; n: number }][]) {
        assert.ok(r.n >= 1 && r.wall.median > 0 && r.wall.min <= r.wall.median && Number.isFinite(r.cpu.median) && r.cpu.median >= 0,
          `${m.model} ${k}: wall and CPU stats`);
      }
      for (const [k, x] of Object.entries(m.ratios) as [string, { cpu: number; wall: number }][]) {
        assert.ok(Number.isFinite(x.wall) && x.wall > 0, `${m.model} ${k}: ratio`);
      }
      const b = m.breakdown['gradcam++ b1'];
      assert.ok(b && b.forward > 0 && b.total >= b.forward, `${m.model}: breakdown of an explanation`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench/run.mjs sequence --quick writes sequence.json: forward, gradcam and gradcam++ per clip, ratios, breakdown, no leak', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs', 'sequence', '--quick', '--out', out], {
      cwd: root, encoding: 'utf8', timeout: 120_000,
    });
    assert.is(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    assert.ok(existsSync(path.join(out, 'sequence.md')), 'sequence.md written');
    const res = JSON.parse(readFileSync(path.join(out, 'sequence.json'), 'utf8'));
    assert.equal([res.bench, res.quick, res.machine.tfjsBackend, res.leakedTensors], ['sequence', true, 'wasm', 0]);
    assert.ok(res.machine.end, 'load at the end recorded');
    assert.equal(Object.keys(res.rows), ['forward', 'gradcam', 'gradcam++']);
    assert.equal(res.model.layer, 'convlstm');
    for (const [k, r] of Object.entries(res.rows) as [string, { wall: { median: number; min: number }; cpu: { median: number }; n: number }][]) {
      assert.ok(r.n >= 1 && r.wall.median > 0 && r.wall.min <= r.wall.median && Number.isFinite(r.cpu.median) && r.cpu.median >= 0, `${k}: wall and CPU stats`);
    }
    for (const [k, x] of Object.entries(res.ratios) as [string, { cpu: number; wall: number }][]) assert.ok(Number.isFinite(x.wall) && x.wall > 0, `${k}: ratio`);
    for (const m of ['gradcam', 'gradcam++']) {
      const b = res.breakdown[m];
      assert.ok(b.forward > 0 && b.gradients > 0 && b.total >= b.forward + b.gradients, `${m}: breakdown`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench/run.mjs browser --quick: isolated pages get the threaded binary, the plain page does not', () => {
  if (process.env.SKIP_BROWSER === '1') { console.log('browser bench smoke: skipped because SKIP_BROWSER=1'); return; }
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs', 'browser', '--quick', '--out', out], {
      cwd: root, encoding: 'utf8', timeout: 180_000,
    });
    assert.is(run.status, 0, `bench exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    const res = JSON.parse(readFileSync(path.join(out, 'browser.json'), 'utf8'));
    const pages = Object.entries(res.pages) as [string, { crossOriginIsolated: boolean; threadedBinary: boolean; threads: number }][];
    assert.is(pages.length, 3);
    for (const [name, p] of pages) {
      const isolated = name.startsWith('isolated');
      assert.is(p.crossOriginIsolated, isolated, `${name}: crossOriginIsolated`);
      assert.is(p.threadedBinary, isolated, `${name}: tfjs's threaded binary`);
      assert.ok(p.threads >= 1, `${name}: threads`);
      const r = res.rows[name];
      assert.ok(r && r.wall.median > 0 && r.n >= 1, `${name}: timed`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
