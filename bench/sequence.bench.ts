// The cost of explaining a clip against the clip model's own forward pass, in one interleaved run: a ConvLSTM of
// buildConvLstm's design (width 0.5, seeded random weights; or --model DIR, a layers-model folder such as a
// training checkpoint) on one clip [10, 64, 64, 3]. Three rows timed round-robin (bench/lib/timing.ts):
//   forward              model.predict of the float clip [1, T, H, W, C] (already scaled): the forward pass alone
//   gradcam / gradcam++  explainSequence(model, clip, { method }) on the same float clip: body pass, head pass under
//                        tf.grad, the kernels over T*h*w positions, per-frame upsampling and the importance profile
// Every row reports per clip: median and min of wall time and of this process's CPU time; ratios are of CPU
// medians of the same run (wall in brackets); the breakdown comes from the explanations' own timings.
//   npm run bench -- sequence [--quick] [--out DIR] [--rounds N] [--model DIR]
// --quick: 4 frames of 32 x 32, one round: a smoke run, numbers not meaningful.
import * as tf from '@tensorflow/tfjs';
import { explainSequence, isLayersModel, useWasmBackend, type MethodName, type SequenceExplanation } from '../src/index.js';
import { buildConvLstm } from '../src/models/index.js';
import { loadModel } from '../src/node/index.js';
import { describeMachine, load, machine } from './lib/machine.js';
import { benchArgs, ms, ratio, writeResults } from './lib/output.js';
import { interleave, median, type Row } from './lib/timing.js';

const a = benchArgs();
const value = (flag: string) => { const i = a.args.indexOf(flag); return i >= 0 ? a.args[i + 1] : undefined; };
const modelDir = value('--model');
const rounds = a.rounds ?? (a.quick ? 1 : 7);
const warmup = a.quick ? 0 : 1;
const METHODS: MethodName[] = ['gradcam', 'gradcam++'];
const PHASES = ['prepare', 'forward', 'gradients', 'maps', 'total'] as const;
const log = (s: string) => console.log(s);

await useWasmBackend();
const mach = await machine();
const t0 = performance.now();
let model: tf.LayersModel;
if (modelDir) {
  const m = await loadModel(modelDir);
  if (!isLayersModel(m)) throw new Error(`--model ${modelDir}: a layers-model folder is needed (a ConvLSTM), not a graph model`);
  model = m;
} else {
  model = buildConvLstm({ inputShape: a.quick ? [4, 32, 32, 3] : [10, 64, 64, 3], width: 0.5, classes: 10, seed: 1 });
}
const buildMs = performance.now() - t0;
const [, T, H, W, C] = model.inputs[0]!.shape as number[];
const clip = tf.randomUniform([T!, H!, W!, C!], 0, 1, 'float32', 7) as tf.Tensor4D;
const batch = tf.expandDims(clip, 0);
const title = modelDir ? `ConvLSTM from ${modelDir}` : `ConvLSTM (buildConvLstm, width 0.5, seed 1, random weights)`;

const before = tf.memory().numTensors;
const explanations: Record<string, SequenceExplanation[]> = {};
const rows: Record<string, Row> = {
  forward: { run: () => tf.tidy(() => (model.predict(batch) as tf.Tensor).dataSync()) },
  ...Object.fromEntries(METHODS.map((method) => [method, {
    run: async () => { (explanations[method] ??= []).push(await explainSequence(model, clip, { method })); },
  } satisfies Row])),
};
const probe = await explainSequence(model, clip, { method: 'gradcam' });
log(`${title}: clip [${T}, ${H}, ${W}, ${C}], target ${probe.layer} [${T}, ${probe.camHeight}, ${probe.camWidth}, ${probe.weights.length}]; ` +
  `${describeMachine(mach)}`);
const stats = await interleave(rows, { rounds, warmup, log, firstCallApart: !a.quick });
const leakedTensors = tf.memory().numTensors - before;
mach.end = load();

const breakdown = Object.fromEntries(METHODS.map((m) => {
  const used = explanations[m]!.slice(-stats[m]!.n).map((e) => e.timings);
  return [m, Object.fromEntries(PHASES.map((p) => [p, median(used.map((t) => t[p]))]))];
})) as Record<MethodName, Record<(typeof PHASES)[number], number>>;
const ratios = Object.fromEntries([
  ...METHODS.map((m) => [`${m} / forward`, { cpu: stats[m]!.cpu.median / stats.forward!.cpu.median, wall: stats[m]!.wall.median / stats.forward!.wall.median }]),
  ['gradcam++ / gradcam', { cpu: stats['gradcam++']!.cpu.median / stats.gradcam!.cpu.median, wall: stats['gradcam++']!.wall.median / stats.gradcam!.wall.median }],
]) as Record<string, { cpu: number; wall: number }>;

const command = `npm run bench -- sequence ${a.args.join(' ')}`.trim();
const md = [
  `# explainSequence vs forward${a.quick ? ' (quick smoke run: numbers not meaningful)' : ''}`, '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}). ${rounds} interleaved round(s) after ${warmup} warm-up round(s); ` +
  'one tfjs-wasm thread.', '',
  `Machine: ${describeMachine(mach)}`, '',
  `${title}; one clip [${T}, ${H}, ${W}, ${C}] (float, already scaled); target ${probe.layer}: ` +
  `[${T}, ${probe.camHeight}, ${probe.camWidth}, ${probe.weights.length}]; heatmaps ${probe.width} x ${probe.height} per frame. ` +
  `Built/loaded in ${(buildMs / 1000).toFixed(1)} s; tensors leaked over the run: ${leakedTensors}.`, '',
  'Times are per clip, in ms: median (min) over the rounds; CPU = this process\'s user + system time.', '',
  '| row | wall median | wall min | CPU median | CPU min | first call wall |', '|---|--:|--:|--:|--:|--:|',
  ...Object.entries(stats).map(([k, r]) => `| ${k} | ${ms(r.wall.median)} | ${ms(r.wall.min)} | ${ms(r.cpu.median)} | ${ms(r.cpu.min)} | ${ms(r.first.wall)} |`),
  '', 'Ratios of CPU medians (wall in brackets):', '',
  `| ${Object.keys(ratios).join(' | ')} |`, `|${Object.keys(ratios).map(() => '--:|').join('')}`,
  `| ${Object.values(ratios).map((r) => `${ratio(r.cpu)} (${ratio(r.wall)})`).join(' | ')} |`,
  '', 'Where an explanation\'s time goes (median per clip, ms, wall, from the explanations\' timings):', '',
  `| method | ${PHASES.join(' | ')} | gradients / total |`, `|---|${PHASES.map(() => '--:|').join('')}--:|`,
  ...METHODS.map((m) => `| ${m} | ${PHASES.map((p) => ms(breakdown[m][p], 2)).join(' | ')} | ${((100 * breakdown[m].gradients) / breakdown[m].total).toFixed(1)} % |`),
  '',
].join('\n');
writeResults(a.outDir, 'sequence', {
  bench: 'sequence', date: new Date().toISOString(), quick: a.quick, command, rounds, warmup, machine: mach,
  model: { title, dir: modelDir ?? null, buildMs, clip: [T, H, W, C], layer: probe.layer, target: [T, probe.camHeight, probe.camWidth, probe.weights.length] },
  rows: stats, ratios, breakdown, leakedTensors,
}, md);
tf.dispose([clip, batch]);
model.dispose();
