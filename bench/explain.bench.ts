// The end-to-end cost of an explanation against a plain forward pass of the same model, in one interleaved run.
// Models (bench/lib/models.ts): ResNet-50 224 (random weights), VGG16 224 with its FC head (random weights),
// MobileNetV2 224 (nsfwjs's pretrained weights). For each model, six rows timed round-robin (bench/lib/timing.ts):
//   forward b1 / b8      model.predict of a float batch of 1 / 8 (already scaled): the forward pass alone
//   gradcam++ b1 / b8    explainer.explain(image) / explainer.explain([8 images]) (one batched body pass and head
//                        gradient), Grad-CAM++, RGBA byte images
//   3 methods b1 / b8    the same with three methods from one pass (the applicable ones of the registry)
// Every row reports per image: median and min of wall time and of this process's CPU time. Ratios are of CPU
// medians of the same run (wall in brackets); the head-gradient share (head forward + backward over the whole
// explanation, b1 and b8) and the breakdown come from the explanations' own timings.
// Peer (optional; when PGC_DIR and python3 with torch, torchvision and cv2 are present, bench/lib/peer.ts):
// pytorch-grad-cam's GradCAMPlusPlus and forward on torchvision's ResNet-50 (random weights, one thread), timed by
// a long-lived python worker, interleaved with the ResNet-50 rows above.
//   node --import tsx bench/explain.bench.ts [--quick] [--out DIR] [--rounds N] [--only resnet50,vgg16,mobilenetv2] [--no-peer]
// --quick: 64x64 (MobileNetV2 stays 224), b2, one round: a smoke run, numbers not meaningful.
import * as tf from '@tensorflow/tfjs';
import { createExplainer, METHODS, useWasmBackend, type ImageDataLike, type ImageExplanations, type MethodName } from '../src/index.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { BENCH_MODELS, benchModel, byteImages, type BenchModelName } from './lib/models.js';
import { benchArgs, ms, ratio, writeResults } from './lib/output.js';
import { peerUnavailable, startPeer, type Peer } from './lib/peer.js';
import { interleave, median, type Row, type RowStat } from './lib/timing.js';

const a = benchArgs();
const SIZE = a.quick ? 64 : 224;
const B = a.quick ? 2 : 8;
const rounds = a.rounds ?? (a.quick ? 1 : 5);
const warmup = a.quick ? 0 : 1;
const names = (a.only ?? BENCH_MODELS).filter((n): n is BenchModelName => (BENCH_MODELS as readonly string[]).includes(n));
const log = (s: string) => console.log(s);

const PHASES = ['prepare', 'forward', 'gradients', 'maps', 'total'] as const;
type Breakdown = Record<(typeof PHASES)[number], number>;

interface ModelResult {
  model: BenchModelName; title: string; size: number; batch: number; layer: string; methods: MethodName[];
  buildMs: number; rows: Record<string, RowStat>;
  /** Median per-image timings of the explanations of each explain row (ms). */
  breakdown: Record<string, Breakdown>;
  ratios: Record<string, { cpu: number; wall: number }>;
  leakedTensors: number;
}

/** The float [n, H, W, 3] batch a forward pass gets (RGBA bytes -> RGB / 255). */
function floatBatch(images: ImageDataLike[]): tf.Tensor4D {
  return tf.tidy(() => {
    const { width: w, height: h } = images[0]!;
    const rgba = tf.stack(images.map((im) => tf.tensor3d(Float32Array.from(im.data), [h, w, 4])));
    return tf.div(tf.slice(rgba, [0, 0, 0, 0], [-1, -1, -1, 3]), 255) as tf.Tensor4D;
  });
}

/** The registry's first three methods that apply to this model (CAM does not apply to nsfwjs's head). */
function threeMethods(ex: Awaited<ReturnType<typeof createExplainer>>): MethodName[] {
  const ok = new Set(ex.applicable().filter((m) => m.ok).map((m) => m.method));
  return METHODS.map((m) => m.name as MethodName).filter((m) => ok.has(m)).slice(0, 3);
}

const ratioOf = (rows: Record<string, RowStat>, num: string, den: string) =>
  rows[num] && rows[den] ? { cpu: rows[num]!.cpu.median / rows[den]!.cpu.median, wall: rows[num]!.wall.median / rows[den]!.wall.median } : null;

async function benchOne(name: BenchModelName, peer: Peer | null): Promise<ModelResult> {
  log(`\n${name}: building...`);
  const t0 = performance.now();
  const bm = await benchModel(name, SIZE);
  const buildMs = performance.now() - t0;
  const ex = await createExplainer(bm.model, { preprocess: bm.preprocess });
  const methods = threeMethods(ex);
  const images = byteImages(B, bm.size, 3);
  const x1 = floatBatch(images.slice(0, 1)), xB = floatBatch(images);
  const before = tf.memory().numTensors;
  const timings: Record<string, ImageExplanations['timings'][]> = {};
  const explainRow = (key: string, imgs: ImageDataLike[], m: MethodName[]): Row => ({
    units: imgs.length,
    run: async () => {
      const res = await ex.explain(imgs.length === 1 ? imgs[0]! : imgs, { methods: m });
      (timings[key] ??= []).push(...res.map((r) => r.timings));
    },
  });
  const forward = (x: tf.Tensor4D): Row => ({ units: x.shape[0], run: () => tf.tidy(() => (bm.model.predict(x) as tf.Tensor).dataSync()) });
  const rows: Record<string, Row> = {
    'forward b1': forward(x1),
    'gradcam++ b1': explainRow('gradcam++ b1', images.slice(0, 1), ['gradcam++']),
    [`${methods.length} methods b1`]: explainRow(`${methods.length} methods b1`, images.slice(0, 1), methods),
    [`forward b${B}`]: forward(xB),
    [`gradcam++ b${B}`]: explainRow(`gradcam++ b${B}`, images, ['gradcam++']),
    [`${methods.length} methods b${B}`]: explainRow(`${methods.length} methods b${B}`, images, methods),
  };
  if (peer && name === 'resnet50' && SIZE === 224) {
    for (const b of [1, B]) {
      rows[`peer forward b${b}`] = { units: b, measured: () => peer.run('forward', b) };
      rows[`peer gradcam++ b${b}`] = { units: b, measured: () => peer.run('gradcam++', b) };
    }
  }
  log(`${bm.title}: built in ${(buildMs / 1000).toFixed(1)} s; target ${ex.layer}; rows ${Object.keys(rows).join(', ')}`);
  const stats = await interleave(rows, { rounds, warmup, log, firstCallApart: !a.quick });
  const leakedTensors = tf.memory().numTensors - before;
  const breakdown: ModelResult['breakdown'] = {};
  for (const [key, ts] of Object.entries(timings)) {
    const used = ts.slice(-stats[key]!.n * (rows[key]!.units ?? 1)); // the timed rounds' images only
    breakdown[key] = Object.fromEntries(PHASES.map((p) => [p, median(used.map((t) => t[p]))])) as Breakdown;
  }
  const m = `${methods.length} methods`;
  const ratios: ModelResult['ratios'] = {};
  const put = (k: string, r: ReturnType<typeof ratioOf>) => { if (r) ratios[k] = r; };
  put('gradcam++ / forward, b1', ratioOf(stats, 'gradcam++ b1', 'forward b1'));
  put(`gradcam++ / forward, b${B}`, ratioOf(stats, `gradcam++ b${B}`, `forward b${B}`));
  put('methods / gradcam++, b1', ratioOf(stats, `${m} b1`, 'gradcam++ b1'));
  put(`forward b${B} / b1 (per image)`, ratioOf(stats, `forward b${B}`, 'forward b1'));
  put(`gradcam++ b${B} / b1 (per image)`, ratioOf(stats, `gradcam++ b${B}`, 'gradcam++ b1'));
  put(`methods b${B} / b1 (per image)`, ratioOf(stats, `${m} b${B}`, `${m} b1`));
  put('ours / peer gradcam++, b1', ratioOf(stats, 'gradcam++ b1', 'peer gradcam++ b1'));
  put(`ours / peer gradcam++, b${B}`, ratioOf(stats, `gradcam++ b${B}`, `peer gradcam++ b${B}`));
  put('ours / peer forward, b1', ratioOf(stats, 'forward b1', 'peer forward b1'));
  tf.dispose([x1, xB]);
  ex.dispose();
  bm.model.dispose();
  return { model: name, title: bm.title, size: bm.size, batch: B, layer: ex.layer, methods, buildMs, rows: stats, breakdown, ratios, leakedTensors };
}

function markdown(res: { machine: Awaited<ReturnType<typeof machine>>; models: ModelResult[]; peer: object | string; command: string }): string {
  const L: string[] = [];
  L.push(`# explain vs forward${a.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, '');
  L.push(`Command: \`${res.command}\`. ${rounds} interleaved round(s) after ${warmup} warm-up round(s); one tfjs-wasm thread.`, '');
  L.push(`Machine: ${describeMachine(res.machine)}`, '');
  L.push('Times are per image, in ms: median (min) over the rounds. CPU = this process\'s user + system time ' +
    '(the peer\'s: its own process time). Ratios: of CPU medians of this run (wall medians in brackets).', '');
  L.push('## Ratios', '');
  const keys = [...new Set(res.models.flatMap((m) => Object.keys(m.ratios)))];
  L.push(`| model | ${keys.join(' | ')} | head-gradient share (b1) | head-gradient share (b${B}) |`, `|---|${keys.map(() => '--:|').join('')}--:|--:|`);
  const share = (b: Breakdown | undefined) => (b ? `${((100 * b.gradients) / b.total).toFixed(1)} %` : '-');
  for (const m of res.models) {
    L.push(`| ${m.title} | ${keys.map((k) => (m.ratios[k] ? `${ratio(m.ratios[k]!.cpu)} (${ratio(m.ratios[k]!.wall)})` : '-')).join(' | ')} | ` +
      `${share(m.breakdown['gradcam++ b1'])} | ${share(m.breakdown[`gradcam++ b${B}`])} |`);
  }
  for (const m of res.models) {
    L.push('', `## ${m.title}`, '', `Target ${m.layer}; ${m.methods.length} methods = ${m.methods.join(' + ')}; built/loaded in ` +
      `${(m.buildMs / 1000).toFixed(1)} s; tensors leaked over the run: ${m.leakedTensors}.`, '');
    L.push('| row | wall median | wall min | CPU median | CPU min | first call wall (per call) |', '|---|--:|--:|--:|--:|--:|');
    for (const [k, r] of Object.entries(m.rows)) {
      L.push(`| ${k} | ${ms(r.wall.median)} | ${ms(r.wall.min)} | ${ms(r.cpu.median)} | ${ms(r.cpu.min)} | ${ms(r.first.wall)} |`);
    }
    L.push('', 'Where an explanation\'s time goes (median per image, ms, wall, from the explanations\' timings):', '');
    L.push(`| row | ${PHASES.join(' | ')} | gradients / total |`, `|---|${PHASES.map(() => '--:|').join('')}--:|`);
    for (const [k, b] of Object.entries(m.breakdown)) {
      L.push(`| ${k} | ${PHASES.map((p) => ms(b[p], 2)).join(' | ')} | ${((100 * b.gradients) / b.total).toFixed(1)} % |`);
    }
  }
  L.push('', `Peer: ${typeof res.peer === 'string' ? `not run (${res.peer}).` : JSON.stringify(res.peer)}`, '');
  return L.join('\n');
}

await useWasmBackend();
const mach = await machine();
let peer: Peer | null = null;
let peerNote: object | string = a.args.includes('--no-peer') ? '--no-peer' : a.quick ? 'quick run' : !names.includes('resnet50') ? 'ResNet-50 not selected' : '';
if (!peerNote) {
  const why = peerUnavailable();
  if (why) peerNote = why;
  else {
    peer = await startPeer();
    peerNote = { ...peer.info, model: 'torchvision resnet50(weights=None), GradCAMPlusPlus(target_layers=[layer4[-1]]), targets=None (top-1)', pgcDir: process.env.PGC_DIR };
  }
}
log(`peer: ${typeof peerNote === 'string' ? `not run (${peerNote})` : 'pytorch-grad-cam'}`);
const models: ModelResult[] = [];
try {
  for (const n of names) models.push(await benchOne(n, peer));
} finally {
  await peer?.close();
}
mach.end = load();
const command = `npm run bench -- explain ${a.args.join(' ')}`.trim();
const result = { bench: 'explain', date: new Date().toISOString(), quick: a.quick, command, rounds, warmup, machine: mach, peer: peerNote, models };
writeResults(a.outDir, 'explain', result, markdown({ machine: mach, models, peer: peerNote, command }));
