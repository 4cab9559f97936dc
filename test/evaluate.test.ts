import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { useWasmBackend } from '../src/backend/index.js';
import { buildBackbone } from '../src/models/index.js';
import { saveModel } from '../src/node/model-io.js';
import { evaluate, reportToJson, type EvaluateResult } from '../src/eval/index.js';
import { evaluateCommand } from '../src/cli/evaluate.js';
import { composeGrid, drawBoxes, solid, upscale, scaleFor } from '../src/node/figures.js';
import { METHODS, ONE_PASS_METHOD_NAMES } from '../src/methods/registry.js';
import { UnknownMethodError, InvalidInputError } from '../src/errors.js';
import { rejects } from './helpers/rejects.js';

await useWasmBackend();

const tmp = mkdtempSync(path.join(tmpdir(), 'gradcam-evaluate-'));
// the default methods: every method of the registry but those that cost extra passes (Score-CAM, Smooth Grad-CAM++)
const M = [...ONE_PASS_METHOD_NAMES];

/** conv -> conv -> flatten -> dense: CAM does not apply. */
function flattenModel(): tf.LayersModel {
  const input = tf.input({ shape: [48, 48, 3] });
  const c1 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'c1', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'target', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }).apply(c1) as tf.SymbolicTensor;
  const f = tf.layers.flatten().apply(c2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'predictions', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }).apply(f) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const dirs = { mnv2: path.join(tmp, 'mnv2'), r50: path.join(tmp, 'r50'), flat: path.join(tmp, 'flat') };
{
  const built = [
    buildBackbone('mobilenetv2', { inputShape: [64, 64, 3], classes: 10, width: 0.35, head: 'gap', seed: 1 }),
    buildBackbone('resnet50', { inputShape: [64, 64, 3], classes: 10, width: 0.125, head: 'gap', seed: 2 }),
    flattenModel(),
  ];
  await saveModel(built[0]!, dirs.mnv2);
  await saveModel(built[1]!, dirs.r50);
  await saveModel(built[2]!, dirs.flat);
  for (const m of built) m.dispose();
  // a card: the input size, the target layer and a 0..255 input range are taken from it
  writeFileSync(path.join(dirs.flat, 'card.json'), JSON.stringify({ inputShape: [48, 48, 3], targetLayer: 'c1', preprocessing: 'RGB in [0,255]' }));
}

const png = (file: string): PNG => PNG.sync.read(readFileSync(file));

// ---------------------------------------------------------------------------------------------------
const figures = suite('figure helpers');

figures('upscale, boxes and grid sizes', () => {
  const a = solid(2, 1, [10, 20, 30]);
  a.data[4] = 200; // pixel (1, 0) red 200
  const u = upscale(a, 3);
  assert.is(u.width, 6); assert.is(u.height, 3);
  assert.is(u.data[(2 * 6 + 4) * 4], 200, 'pixel (4, 2) comes from source (1, 0)');
  assert.is(u.data[(2 * 6 + 2) * 4], 10);
  const b = solid(8, 8, [0, 0, 0]);
  drawBoxes(b, [{ x0: 1, y0: 1, x1: 3, y1: 3 }], 2, [0, 255, 0]);
  assert.is(b.data[(2 * 8 + 2) * 4 + 1], 255, 'outline starts at the box corner times k');
  assert.is(b.data[(5 * 8 + 5) * 4 + 1], 255, 'and ends at its last pixel');
  assert.is(b.data[(3 * 8 + 3) * 4 + 1], 0, 'inside stays');
  const g = composeGrid([[solid(3, 2, [1, 1, 1]), solid(5, 2, [2, 2, 2])], [solid(3, 4, [3, 3, 3]), null]], 1);
  assert.is(g.width, 1 + 3 + 1 + 5 + 1);
  assert.is(g.height, 1 + 2 + 1 + 4 + 1);
  assert.is(scaleFor(64), 2); assert.is(scaleFor(128), 1); assert.is(scaleFor(48), 3);
});

figures.run();

// ---------------------------------------------------------------------------------------------------
const smoke = suite('evaluate: smoke run on tiny untrained models');

let run: EvaluateResult;
const out = path.join(tmp, 'out');
const N = 3;

smoke('runs, reports every model x method, CAM n/a where it does not apply', async () => {
  const before = tf.memory().numTensors;
  run = await evaluate({ models: [dirs.mnv2, dirs.r50, dirs.flat], split: 'multi', n: N, seed: 7, out });
  assert.is(tf.memory().numTensors, before, 'no tensors leak (the models are disposed too)');
  const r = run.report;
  assert.is(r.protocol.split, 'test-multi');
  assert.equal(r.protocol.methods, M);
  assert.equal(M, METHODS.map((m) => m.name).filter((n) => n !== 'scorecam' && n !== 'smoothgradcam++'));
  assert.equal(r.models.map((m) => m.name), ['mnv2', 'r50', 'flat']);
  assert.equal(r.models.map((m) => m.inputShape[0]), [64, 64, 48]);
  assert.equal(r.models.map((m) => m.inputRange), ['0,1', '0,1', '0,255']);
  assert.equal(r.models.map((m) => m.layer), ['out_relu', 'conv5_block3_out', 'c1']);
  assert.equal(r.models[2]!.camSize, [23, 23]);
  assert.is(r.results.length, 3 * M.length);
  const camFlat = r.results.find((x) => x.model === 'flat' && x.method === 'cam')!;
  assert.is(camFlat.applicable, false);
  assert.ok(camFlat.reason && camFlat.reason.length > 10, 'the reason is reported');
  for (const x of r.results.filter((x) => x.applicable)) {
    assert.is(x.averageDrop!.n, N);
    assert.ok(x.averageDrop!.mean >= 0 && x.averageDrop!.mean <= 100);
    for (const k of ['0', '0.25', '0.5'] as const) {
      assert.ok(x.loc![k].mean >= 0 && x.loc![k].mean <= 1, `loc ${k}`);
      assert.ok(x.iou![k].mean >= 0 && x.iou![k].mean <= 1, `iou ${k}`);
    }
    assert.ok(x.coverage!.mean >= 0 && x.coverage!.mean <= 100);
    // the summaries are the means of the per-image values in the report
    const per = r.images.map((im) => 100 * im.models[x.model]!.methods[x.method]!.drop);
    assert.ok(Math.abs(per.reduce((a, b) => a + b, 0) / N - x.averageDrop!.mean) < 1e-9);
  }
  for (const model of ['mnv2', 'r50', 'flat']) {
    const wins = r.results.filter((x) => x.model === model && x.applicable).reduce((s, x) => s + x.win!.mean, 0);
    assert.ok(Math.abs(wins - 100) < 1e-9, `Win % of ${model} sums to 100: ${wins}`);
  }
  assert.is(r.images.length, N);
  for (const im of r.images) assert.ok(im.instances >= 2 && im.instances <= 3);
  const acc = r.models[0]!;
  assert.is(acc.accuracy, (100 * r.images.filter((im) => im.models.mnv2!.correct).length) / N);
});

smoke('consistency only between models of one input size', () => {
  const c = run.report.consistency;
  assert.equal(c.map((x) => x.method), M);
  for (const x of c) {
    assert.is(x.size, 64);
    assert.equal(x.models, ['mnv2', 'r50']);
    assert.is(x.pairs.length, 1);
    assert.equal([x.pairs[0]!.a, x.pairs[0]!.b], ['mnv2', 'r50']);
    const both = run.report.images.filter((im) => im.models.mnv2!.correct && im.models.r50!.correct).length;
    assert.is(x.pairs[0]!.pearson.n, both, 'only images both models classify correctly');
  }
});

smoke('consistency on all images: Pearson and IoU in range; identical models agree exactly', async () => {
  const r = await evaluate({ models: [dirs.r50, dirs.r50, dirs.mnv2], methods: ['gradcam'], split: 'single', n: 2, seed: 3, consistencyOn: 'all' });
  assert.equal(r.report.models.map((m) => m.name), ['r50', 'r50#2', 'mnv2']);
  const [c] = r.report.consistency;
  assert.is(c!.pairs.length, 3);
  const same = c!.pairs.find((p) => p.a === 'r50' && p.b === 'r50#2')!;
  const other = c!.pairs.find((p) => p.a === 'r50' && p.b === 'mnv2')!;
  assert.equal([same.pearson.n, other.pearson.n, c!.pearson.n], [2, 2, 2], 'every pair on every image');
  assert.ok(Math.abs(same.pearson.mean - 1) < 1e-9, `a model vs itself: r = ${same.pearson.mean}`);
  assert.is(same.iou.mean, 1);
  assert.ok(other.pearson.mean >= -1 && other.pearson.mean < 1);
  assert.ok(other.iou.mean >= 0 && other.iou.mean < 1);
  // per image: mean over the 3 pairs (1, r, r); then over images
  assert.ok(Math.abs(c!.pearson.mean - (1 + 2 * other.pearson.mean) / 3) < 1e-9);
});

smoke('consistency of Grad-CAM++ minus Grad-CAM: paired over the same images, in the Markdown', async () => {
  const r = await evaluate({ models: [dirs.r50, dirs.mnv2], methods: ['gradcam', 'gradcam++'], split: 'multi', n: 3, seed: 5, consistencyOn: 'all', bootstrap: { resamples: 200 } });
  const [d] = r.report.consistencyComparisons;
  assert.is(r.report.consistencyComparisons.length, 1);
  assert.equal([d!.a, d!.b, d!.models, d!.layers, d!.size], ['gradcam++', 'gradcam', ['r50', 'mnv2'], 'default', 64]);
  const ca = r.report.consistency.find((c) => c.method === 'gradcam++')!, cb = r.report.consistency.find((c) => c.method === 'gradcam')!;
  for (const k of ['pearson', 'iou'] as const) {
    assert.is(d![k].n, 3, 'one value per image and method');
    // one pair of models: the per-image mean is that pair's value, so the mean difference is the difference of means
    assert.ok(Math.abs(d![k].mean - (ca[k].mean - cb[k].mean)) < 1e-9, `${k}: ${d![k].mean} vs ${ca[k].mean} - ${cb[k].mean}`);
    assert.ok(d![k].lo <= d![k].mean && d![k].mean <= d![k].hi);
  }
  assert.match(r.markdown, `Grad-CAM++ − Grad-CAM, paired over 3 images (size 64, default layers): Pearson r ${d!.pearson.mean.toFixed(3)}`);
  const one = await evaluate({ models: [dirs.r50, dirs.mnv2], methods: ['gradcam'], split: 'single', n: 1, seed: 3, consistencyOn: 'all' });
  assert.equal(one.report.consistencyComparisons, [], 'no comparison with one method');
});

smoke('Markdown table and JSON', () => {
  const md = run.markdown;
  assert.match(md, '| model | method | acc % | Avg Drop ↓ | Incr ↑ | Win (ties) ↑ | Del AUC ↓ | Ins AUC ↑ | Mass | Loc δ=0 ↑ | Loc δ=0.25 ↑ | Loc δ=0.5 ↑ | EBPG ↑ | ' +
    'IoU δ=0 ↑ | IoU δ=0.25 ↑ | IoU δ=0.5 ↑ | Cover ↑ | All cov. ↑ |');
  for (const name of ['mnv2', 'r50', 'flat']) for (const m of M) assert.match(md, `| ${name} | ${m} |`);
  assert.match(md, /\| flat \| cam \| [\d.]+ \| n\/a \|/);
  assert.match(md, 'Cross-backbone consistency');
  assert.match(md, 's / image');
  const jsonFile = path.join(out, 'evaluation.json');
  assert.ok(run.files.includes(jsonFile));
  const json = JSON.parse(readFileSync(jsonFile, 'utf8'));
  assert.is(readFileSync(jsonFile, 'utf8'), reportToJson(run.report));
  assert.is(json.results.length, 3 * M.length);
  assert.is(json.images.length, N);
  assert.ok(existsSync(path.join(out, 'evaluation.md')));
});

smoke('PNG figure grids decode with the expected sizes', () => {
  const cols = 1 + 2 * M.length, gap = 4;
  const back = run.files.filter((f) => path.basename(f).startsWith('backbones-'));
  assert.is(back.length, N);
  for (const f of back) {
    const p = png(f);
    // cells: 64 px scenes x2 = 128, 48 px scenes x3 = 144; columns as wide as their widest cell
    assert.is(p.width, cols * 144 + gap * (cols + 1));
    assert.is(p.height, 128 + 128 + 144 + gap * 4);
  }
  const inst = run.files.filter((f) => path.basename(f).startsWith('instances-'));
  assert.is(inst.length, 3, 'one instance grid per model');
  const p = png(inst.find((f) => f.endsWith('mnv2.png'))!);
  assert.is(p.width, cols * 128 + gap * (cols + 1));
  assert.is(p.height, N * 128 + gap * (N + 1));
  // the boxes are drawn: pure green pixels in the input column
  let green = 0;
  for (let y = gap; y < gap + 128; y++) {
    for (let x = gap; x < gap + 128; x++) {
      const o = (y * p.width + x) * 4;
      if (p.data[o] === 0 && p.data[o + 1] === 255 && p.data[o + 2] === 0) green++;
    }
  }
  assert.ok(green > 50, `box outlines drawn (${green} green pixels)`);
});

smoke('deterministic for a seed: the same per-image values again', async () => {
  const again = await evaluate({ models: [dirs.mnv2], methods: ['gradcam++', 'gradcam'], split: 'multi', n: 2, seed: 7 });
  assert.equal(again.report.protocol.methods, ['gradcam', 'gradcam++'], 'registry order');
  for (let i = 0; i < 2; i++) {
    const a = again.report.images[i]!.models.mnv2!, b = run.report.images[i]!.models.mnv2!;
    assert.is(a.predicted, b.predicted);
    assert.is(a.y, b.y);
    for (const m of ['gradcam', 'gradcam++']) {
      // Win % is shared among the methods run (two here, three before): everything else is per method
      const { win: _w1, winTies: _t1, ...va } = a.methods[m]!.values;
      const { win: _w2, winTies: _t2, ...vb } = b.methods[m]!.values;
      assert.equal(va, vb);
      assert.equal([a.methods[m]!.o, a.methods[m]!.drop, a.methods[m]!.covered], [b.methods[m]!.o, b.methods[m]!.drop, b.methods[m]!.covered]);
    }
  }
  assert.is(again.files.length, 0, 'no out, no json: nothing written');
});

smoke('bad options are clear errors, and nothing leaks', async () => {
  const before = tf.memory().numTensors;
  await rejects(() => evaluate({ models: [dirs.mnv2], methods: ['lime' as never], n: 1 }), (e) => e instanceof UnknownMethodError);
  await rejects(() => evaluate({ models: [path.join(tmp, 'nope')], n: 1 }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.mnv2], n: 0 }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.mnv2], split: 'both' as never }), (e) => e instanceof InvalidInputError);
  await rejects(() => evaluate({ models: [dirs.mnv2, path.join(tmp, 'nope')], n: 1 }), (e) => e instanceof InvalidInputError);
  assert.is(tf.memory().numTensors, before);
});

smoke.run();

// ---------------------------------------------------------------------------------------------------
const cli = suite('gradcam-wasm evaluate (Command)');

async function capture(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = process.stdout.write.bind(process.stdout), e = process.stderr.write.bind(process.stderr);
  let stdout = '', stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  try {
    return { code: await evaluateCommand.run(args), stdout, stderr };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

cli('--help, bad arguments, a run writing JSON', async () => {
  assert.is(evaluateCommand.name, 'evaluate');
  const help = await capture(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, '--model');
  assert.is((await capture(['--bogus'])).code, 2);
  assert.is((await capture(['-n', 'ten'])).code, 2);
  assert.is((await capture(['--split', 'both'])).code, 2);
  assert.match((await capture(['--split', 'both'])).stderr, '--split must be single or multi');
  const bad = await capture(['-m', dirs.mnv2, '--methods', 'lime', '-n', '1', '-q']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'Unknown method "lime"');
  const json = path.join(tmp, 'cli.json');
  const ok = await capture(['-m', dirs.flat, '--methods', 'cam,gradcam++', '-n', '2', '--split', 'single', '--json', json, '-q']);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, '| flat | cam |');
  assert.match(ok.stdout, 'n/a');
  const r = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(r.protocol.split, 'test-single');
  assert.equal(r.protocol.methods, ['cam', 'gradcam++']);
});

cli.after(() => rmSync(tmp, { recursive: true, force: true }));
cli.run();
