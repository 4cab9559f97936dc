// Score-CAM against pytorch-grad-cam's ScoreCAM, interleaved in one run: MobileNetV2 224 (random weights, 1000
// classes) at the 320-channel 7x7 output of its last inverted-residual block (ours: Keras's 'block_16_project_BN';
// the peer: torchvision's features[17]), so one explanation = 320 masked forward passes, batches of 32 on both sides, the
// top-1 class, one thread each. Reported per image: median and min of wall and CPU time, and the ratio ours / peer.
//   PGC_DIR=... [TTACH_DIR=...] node --import tsx bench/scorecam.bench.ts [--quick] [--rounds N] [--out DIR]
// Without the peer (no PGC_DIR or no torch), only our row runs. --quick: one round, a smoke run.
import * as tf from '@tensorflow/tfjs';
import { createExplainer, useWasmBackend } from '../src/index.js';
import { buildMobileNetV2 } from '../src/models/index.js';
import { describeMachine, machine } from './lib/machine.js';
import { byteImages } from './lib/models.js';
import { benchArgs, ms, ratio, writeResults } from './lib/output.js';
import { peerUnavailable, startPeer, type Peer } from './lib/peer.js';
import { interleave, type Row } from './lib/timing.js';

const a = benchArgs();
const rounds = a.rounds ?? (a.quick ? 1 : 3);
const LAYER = 'block_16_project_BN', BATCH = 32;
const log = (s: string) => console.log(s);

await useWasmBackend();
const mach = await machine();
const model = buildMobileNetV2({ inputShape: [224, 224, 3], classes: 1000, seed: 1, classifierActivation: 'linear' });
const ex = await createExplainer(model, { layer: LAYER, preprocess: (x) => tf.div(x, 255) as tf.Tensor4D });
const [image] = byteImages(1, 224, 3);
const why = a.args.includes('--no-peer') ? '--no-peer' : peerUnavailable();
let peer: Peer | null = null;
if (!why) peer = await startPeer();
const rows: Record<string, Row> = {
  'ours scorecam b1': { run: () => ex.explain(image!, { methods: ['scorecam'], batchSize: BATCH }) },
  ...(peer ? { 'peer scorecam b1': { measured: () => peer!.run('scorecam', 1) } } : {}),
};
log(`Score-CAM, MobileNetV2 224 at ${LAYER} (${ex.plan.channels} channels, ${ex.plan.camHeight}x${ex.plan.camWidth}); ${describeMachine(mach)}`);
const stats = await interleave(rows, { rounds, warmup: a.quick ? 0 : 1, log, firstCallApart: !a.quick });
await peer?.close();
const ours = stats['ours scorecam b1']!, theirs = stats['peer scorecam b1'];
const command = `node --import tsx bench/scorecam.bench.ts ${process.argv.slice(2).join(' ')}`.trim();
const md = [
  '# Score-CAM: ours vs pytorch-grad-cam', '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}). ${describeMachine(mach)}`, '',
  `MobileNetV2 224, random weights, 1000 classes; target ${LAYER} / torchvision features[17]: ${ex.plan.channels} channels at ` +
  `${ex.plan.camHeight}x${ex.plan.camWidth}, i.e. ${ex.plan.channels} masked forward passes per image, batches of ${BATCH}; one thread each; ` +
  `${rounds} interleaved round(s).`, '',
  '| row | wall median (min), ms / image | CPU median (min), ms / image |', '|---|--:|--:|',
  ...Object.entries(stats).map(([k, s]) => `| ${k} | ${ms(s.wall.median)} (${ms(s.wall.min)}) | ${ms(s.cpu.median)} (${ms(s.cpu.min)}) |`),
  '',
  theirs ? `Ours / peer, CPU medians: ${ratio(ours.cpu.median / theirs.cpu.median)} (wall ${ratio(ours.wall.median / theirs.wall.median)}).`
    : `Peer not run: ${why}.`, '',
].join('\n');
writeResults(a.outDir, 'scorecam', { machine: mach, command, layer: LAYER, batch: BATCH, stats }, md);
console.log(md);
ex.dispose();
model.dispose();
