// The evaluation's options past the paper's protocol: scene size, a layer per model, models that do not
// fit the scenes, deletion / insertion, Win % ties, paired comparisons with bootstrap intervals, progress.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useWasmBackend } from '../src/backend/index.js';
import { buildBackbone } from '../src/models/index.js';
import { saveModel } from '../src/node/model-io.js';
import { evaluate, METRICS, type EvalProgress, type EvaluateResult, type PairedResult } from '../src/eval/index.js';
import { pairedComparisons } from '../src/eval/summary.js';
import type { Values } from '../src/eval/run.js';
import type { LoadedModel } from '../src/eval/models.js';
import { evaluateCommand } from '../src/cli/evaluate.js';
import { pairedBootstrap, relativeDrop, winShares } from '../src/metrics/index.js';
import { InvalidInputError, UnsupportedModelError } from '../src/errors.js';
import { rejects } from './helpers/rejects.js';

await useWasmBackend();

const tmp = mkdtempSync(path.join(tmpdir(), 'gradcam-eval-'));
const dirs = { r50: path.join(tmp, 'r50'), five: path.join(tmp, 'five'), mnv2: path.join(tmp, 'mnv2') };
{
  const r50 = buildBackbone('resnet50', { inputShape: [64, 64, 3], classes: 10, width: 0.125, head: 'gap', seed: 2 });
  const five = buildBackbone('mobilenetv2', { inputShape: [64, 64, 3], classes: 5, width: 0.35, head: 'gap', seed: 1 });
  const mnv2 = buildBackbone('mobilenetv2', { inputShape: [64, 64, 3], classes: 10, width: 0.35, head: 'gap', seed: 1 });
  await saveModel(r50, dirs.r50); await saveModel(five, dirs.five); await saveModel(mnv2, dirs.mnv2);
  r50.dispose(); five.dispose(); mnv2.dispose();
}

const t = suite('evaluate: size, layers, refusals, curves, ties, paired intervals');
let run: EvaluateResult;
const progress: EvalProgress[] = [];

t('two layers of one model side by side, with progress reported through the callback', async () => {
  const before = tf.memory().numTensors;
  run = await evaluate({
    models: [dirs.r50, `${dirs.r50}@conv4_block6_out`, { model: dirs.mnv2, layer: 'block_13_expand_relu', name: 'mnv2-fine' }],
    methods: ['gradcam', 'gradcam++'], split: 'multi', n: 4, seed: 5, size: 64, aucSteps: 4, bootstrap: { resamples: 500 },
    onProgress: (p) => progress.push(p),
  });
  assert.is(tf.memory().numTensors, before, 'no tensors leak');
  const m = run.report.models;
  assert.equal(m.map((x) => x.name), ['r50', 'r50@conv4_block6_out', 'mnv2-fine']);
  assert.equal(m.map((x) => x.layer), ['conv5_block3_out', 'conv4_block6_out', 'block_13_expand_relu']);
  assert.equal(m.map((x) => x.layerGiven), [false, true, true]);
  assert.ok(m[1]!.camSize[0] > m[0]!.camSize[0], `the finer layer has a larger map: ${m[1]!.camSize} vs ${m[0]!.camSize}`);
  assert.is(run.report.protocol.size, 64);
  // consistency only among models at a given layer (r50 alone at its default layer has no partner)
  assert.equal(run.report.consistency.map((c) => [c.method, c.layers, c.models]),
    [['gradcam', 'given', ['r50@conv4_block6_out', 'mnv2-fine']], ['gradcam++', 'given', ['r50@conv4_block6_out', 'mnv2-fine']]]);
  assert.is(progress.length, 4 * 3);
  progress.forEach((p, i) => assert.equal([p.done, p.total], [i + 1, 12]));
  assert.equal(progress.slice(0, 3).map((p) => [p.scene, p.model]), [[0, 'r50'], [0, 'r50@conv4_block6_out'], [0, 'mnv2-fine']]);
});

t('deletion / insertion AUC per image, in [0, 1], summarised', () => {
  const r = run.report;
  assert.equal(r.protocol.perturbation, { steps: 4, deletionBaseline: 'zero', insertionBaseline: 'blur', blurSigma: 5 });
  for (const x of r.results) {
    const per = r.images.map((im) => im.models[x.model]!.methods[x.method]!.values);
    for (const k of ['deletion', 'insertion'] as const) {
      const v = per.map((p) => p[k] as number);
      assert.ok(v.every((a) => a >= 0 && a <= 1), `${k} in [0, 1]: ${v}`);
      assert.ok(Math.abs(v.reduce((a, b) => a + b, 0) / v.length - x[k]!.mean) < 1e-12);
    }
  }
  assert.match(run.markdown, 'Del AUC ↓ | Ins AUC ↑');
  assert.match(run.markdown, 'RISE, 4 steps');
});

t('Win % with its tie rate, from the per-image drops', () => {
  const r = run.report;
  for (const model of ['r50', 'mnv2-fine']) {
    const rows = r.images.map((im) => ['gradcam', 'gradcam++'].map((m) => im.models[model]!.methods[m]!.drop));
    const tied = rows.filter((d) => winShares(d).every((s) => s > 0)).length;
    for (const x of r.results.filter((y) => y.model === model)) {
      assert.ok(Math.abs(x.winTies!.mean - (100 * tied) / rows.length) < 1e-9, `${model} ${x.method} ties`);
    }
    const w = r.results.filter((y) => y.model === model).map((y) => y.win!.mean);
    assert.ok(Math.abs(w[0]! + w[1]! - 100) < 1e-9);
  }
  assert.match(run.markdown, /\| r50 \| gradcam \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \([\d]+\) \|/);
});

t('paired differences: one per model and metric (per delta), the bootstrap of the per-image values, verdicts only where the CI excludes 0', () => {
  const r = run.report;
  assert.equal(r.protocol.comparison, { a: 'gradcam++', b: 'gradcam', resamples: 500, level: 0.95, seed: 1 });
  const perModel = METRICS.filter((m) => m.key !== 'winTies').reduce((s, m) => s + (m.perDelta ? 3 : 1), 0);
  assert.is(r.comparisons.length, 3 * perModel);
  for (const c of r.comparisons) {
    const d = c.difference;
    assert.ok(d.lo <= d.mean + 1e-12 && d.mean <= d.hi + 1e-12, `${c.model} ${c.metric}: ${d.lo} <= ${d.mean} <= ${d.hi}`);
    assert.ok(Math.abs(d.mean - (c.meanA - c.meanB)) < 1e-9);
    assert.is(c.verdict != null, d.excludesZero, 'a verdict exactly where the interval excludes 0');
    assert.is(d.n, 4);
  }
  // recompute one: Average Drop of r50, and the pairwise Win (between the two methods only)
  const im = r.images.map((x) => x.models.r50!);
  const ad = r.comparisons.find((c) => c.model === 'r50' && c.metric === 'averageDrop')!;
  const want = pairedBootstrap(im.map((x) => 100 * x.methods['gradcam++']!.drop), im.map((x) => 100 * x.methods.gradcam!.drop), { resamples: 500, seed: 1 });
  assert.equal(ad.difference, want);
  const win = r.comparisons.find((c) => c.model === 'r50' && c.metric === 'win')!;
  const shares = im.map((x) => winShares([relativeDrop(x.y, x.methods['gradcam++']!.o), relativeDrop(x.y, x.methods.gradcam!.o)]));
  assert.ok(Math.abs(win.meanA - (100 * shares.reduce((s, v) => s + v[0]!, 0)) / 4) < 1e-9);
  assert.match(run.markdown, '| model | metric | Grad-CAM++ | Grad-CAM | paired difference [95% CI] | verdict |');
  assert.match(run.markdown, /\| r50 \| Avg Drop ↓ \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \[-?[\d.]+, -?[\d.]+\] \|/);
});

t('verdicts: the direction comes from the table, and only where the interval excludes 0 (synthetic values)', () => {
  // 6 images; Grad-CAM++ has a lower Average Drop on every image (better), a lower Loc(0) (worse), equal EBPG
  const n = 6, lm = { name: 'm', ok: ['gradcam', 'gradcam++'] } as unknown as LoadedModel;
  const per = (f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
  const vals = (pp: boolean): Map<string, number[]> => new Map<string, number[]>([
    ['averageDrop', per((i) => 10 + i - (pp ? 5 : 0))], ['loc@0', per((i) => 0.3 + 0.01 * i - (pp ? 0.1 : 0))],
    ['ebpg', per((i) => 40 + i)], ['mass', per((i) => 20 + i + (pp ? 3 : 0))],
  ]);
  const values: Values = new Map([['m', new Map([['gradcam', vals(false)], ['gradcam++', vals(true)]])]]) as Values;
  const images = Array.from({ length: n }, (_, i) => ({ index: i, label: 0, instances: 1, models: { m: { predicted: 0, correct: true, y: 0.9,
    methods: { gradcam: { o: 0.5, drop: 0, covered: [], values: {} }, 'gradcam++': { o: i < 3 ? 0.8 : 0.5, drop: 0, covered: [], values: {} } } } } }));
  const c = pairedComparisons([lm], values, images as never, false, { a: 'gradcam++', b: 'gradcam', resamples: 200, seed: 3 });
  const by = (k: string): PairedResult => c.find((x) => x.metric === k && (x.delta ?? '0') === '0')!;
  assert.is(by('averageDrop').verdict, 'Grad-CAM++ better');
  assert.equal([by('averageDrop').difference.lo, by('averageDrop').difference.hi], [-5, -5]);
  assert.is(by('loc').verdict, 'Grad-CAM better');
  assert.is(by('ebpg').verdict, undefined, 'no difference, no verdict');
  assert.is(by('mass').verdict, 'Grad-CAM++ larger', 'a descriptive metric: which is larger, not better');
  // pairwise Win: Grad-CAM++ wins images 0-2 (O = 0.8 > 0.5), ties 3-5 -> 100 * (3 + 1.5) / 6 = 75 vs 25
  assert.ok(Math.abs(by('win').meanA - 75) < 1e-9 && Math.abs(by('win').meanB - 25) < 1e-9);
  assert.ok(!c.some((x) => x.metric === 'winTies'), 'the tie rate is not compared');
  assert.ok(!c.some((x) => x.metric === 'deletion'), 'no curves, no AUC comparison');
  // the markdown of the real run shows every verdict it has
  for (const x of run.report.comparisons.filter((y) => y.verdict)) assert.match(run.markdown, x.verdict!);
});

t('deterministic for a seed, including the intervals; aucSteps 0 drops the curves', async () => {
  const again = await evaluate({
    models: [dirs.r50, `${dirs.r50}@conv4_block6_out`, { model: dirs.mnv2, layer: 'block_13_expand_relu', name: 'mnv2-fine' }],
    methods: ['gradcam', 'gradcam++'], split: 'multi', n: 4, seed: 5, size: 64, aucSteps: 4, bootstrap: { resamples: 500 },
  });
  assert.equal(again.report.images, run.report.images);
  assert.equal(again.report.comparisons, run.report.comparisons);
  const off = await evaluate({ models: [dirs.r50], methods: ['gradcam', 'gradcam++'], n: 2, aucSteps: 0 });
  assert.is(off.report.protocol.perturbation, null);
  assert.is(off.report.results[0]!.deletion, undefined);
  assert.ok(!off.markdown.includes('Del AUC'));
  assert.ok(!off.report.comparisons.some((c) => c.metric === 'deletion'));
  const one = await evaluate({ models: [dirs.r50], methods: ['gradcam'], n: 1, aucSteps: 0 });
  assert.is(one.report.protocol.comparison, null, 'no comparison without both methods');
  assert.is(one.report.comparisons.length, 0);
  assert.ok(!one.markdown.includes('Paired differences'));
});

t('models that do not fit the scenes are refused with a typed error, nothing leaks', async () => {
  const before = tf.memory().numTensors;
  await rejects(() => evaluate({ models: [dirs.five], n: 1 }), (e) => e instanceof UnsupportedModelError && /5 classes.*10/.test((e as Error).message), '5 classes');
  await rejects(() => evaluate({ models: [dirs.r50], n: 1, size: 96 }), (e) => e instanceof UnsupportedModelError && /64 x 64.*96 x 96/.test((e as Error).message), 'size');
  await rejects(() => evaluate({ models: [dirs.r50, dirs.five], n: 1 }), (e) => e instanceof UnsupportedModelError, 'one of two');
  await rejects(() => evaluate({ models: [`${dirs.r50}@nope`], n: 1 }), (e) => (e as Error).name === 'UnknownLayerError', 'unknown layer');
  await rejects(() => evaluate({ models: [dirs.r50], n: 1, size: 10 }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.r50], n: 1, aucSteps: -1 }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.r50], n: 1, bootstrap: { resamples: 0 } }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.r50], n: 1, methods: ['gradcam'], compare: ['gradcam++', 'gradcam'] }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [{ layer: 'x' } as never], n: 1 }), (e) => e instanceof InvalidInputError);
  assert.is(tf.memory().numTensors, before);
});

t('the CLI: one line for a model that does not fit, --size and name@layer', async () => {
  const o = process.stdout.write.bind(process.stdout), e = process.stderr.write.bind(process.stderr);
  const cap = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '', stderr = '';
    process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
    try { return { code: await evaluateCommand.run(args), stdout, stderr }; } finally { process.stdout.write = o; process.stderr.write = e; }
  };
  const five = await cap(['-m', dirs.five, '-n', '1', '-q']);
  assert.is(five.code, 1);
  assert.is(five.stderr.trim().split('\n').length, 1, five.stderr);
  assert.match(five.stderr, /^gradcam-wasm evaluate: Model five has 5 classes/);
  assert.is(five.stdout, '');
  const size = await cap(['-m', dirs.r50, '--size', '48', '-n', '1', '-q']);
  assert.is(size.code, 1);
  assert.match(size.stderr, 'takes 64 x 64 images');
  assert.is((await cap(['--size', 'big'])).code, 2);
  const ok = await cap(['-m', `${dirs.r50}@conv4_block6_out`, '--methods', 'gradcam,gradcam++', '-n', '2', '--auc-steps', '2', '--resamples', '50']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, '| r50@conv4_block6_out | gradcam |');
  assert.match(ok.stdout, 'paired difference [95% CI]');
  if (!process.stderr.isTTY) assert.match(ok.stderr, 'evaluate: 2/2 (100%)', 'progress lines on a non-TTY stream');
});

t.after(() => rmSync(tmp, { recursive: true, force: true }));
t.run();
