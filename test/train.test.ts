// train(): the card it writes, continuation (--init), the instance mix and the time-aware step decay.
// Tiny runs (VGG16 at width 0.06 on 32x32 scenes, a handful of steps): this checks the bookkeeping, not accuracy.
import { suite } from 'uvu';
import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { train, scheduledRate, copyWeightsByName, TrainingStopped, type ModelCard } from '../src/node/train.js';
import { buildConvLstm } from '../src/models/convlstm.js';
import { loadModel, loadLayersModel } from '../src/node/model-io.js';
import { InvalidInputError } from '../src/errors.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'gradcam-train-'));
const base = { model: 'vgg16' as const, width: 0.06, size: 32, scenesPerEpoch: 32, batchSize: 16, evalScenes: 20, targetAccuracy: 2 };
const readCard = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) as ModelCard;

const test = suite('train');

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('a run writes the model and a card that describes it', async () => {
  const out = path.join(tmp, 'first');
  const log: string[] = [];
  const card = await train({ ...base, out, epochs: 2, learningRate: 1e-3, log: (l) => log.push(l) });
  assert.ok(existsSync(path.join(out, 'model.json')) && existsSync(path.join(out, 'weights.bin')));
  assert.equal(readCard(out), JSON.parse(JSON.stringify(card)));
  assert.is(card.name, 'first');
  assert.is(card.training.epochs, 2);
  assert.is(card.dataset.trainScenesSeen, 64);
  assert.equal(card.dataset.instances, [1, 3]);
  assert.equal(card.inputShape, [32, 32, 3]);
  for (const v of Object.values(card.accuracy)) assert.ok(v >= 0 && v <= 1);
  // step decay: epoch 2 of 2 starts at 50% of the run -> lr x0.3
  assert.match(log.find((l) => l.startsWith('epoch 1/2'))!, '(lr 0.00100)');
  assert.match(log.find((l) => l.startsWith('epoch 2/2'))!, '(lr 0.000300)');
  assert.equal(card.training.schedule, [[0, 1e-3], [1, 1e-3 * 0.3]]);
  const m = await loadModel(out);
  assert.is(m.countParams(), card.params);
  m.dispose();
});

test('a continued run accumulates epochs, scenes and seconds, and records its instance mix', async () => {
  const first = readCard(path.join(tmp, 'first'));
  const out = path.join(tmp, 'second');
  const card = await train({ ...base, out, epochs: 1, learningRate: 5e-4, init: path.join(tmp, 'first'), startEpoch: 2, instances: [1, 1], dropConnect: false, log: () => {} });
  assert.is(card.training.epochs, 3);
  assert.is(card.dataset.trainScenesSeen, 96);
  assert.ok(card.training.seconds >= first.training.seconds);
  assert.is(card.runs!.length, 2);
  assert.equal(card.runs![1], { ...card.runs![1]!, epochs: 1, learningRate: 5e-4, schedule: [[0, 5e-4]], scenes: 32, startEpoch: 2, instances: [1, 1], dropConnect: false });
  assert.is(card.dataset.init, undefined);
  assert.equal(card.runs![0], { epochs: 2, seconds: first.training.seconds, learningRate: 1e-3, schedule: first.training.schedule, scenes: 64, startEpoch: 0, instances: [1, 3], dropConnect: true });
});

test('--init copies weights layer by layer, also from a model whose frozen layers put its weights in another order', () => {
  const a = buildConvLstm({ inputShape: [4, 32, 32, 3], stem: 'vgg', width: 0.25, seed: 1 });
  const b = buildConvLstm({ inputShape: [4, 32, 32, 3], stem: 'vgg', width: 0.25, seed: 2 });
  a.getLayer('block1_conv1').trainable = false;
  assert.equal(a.getWeights()[0]!.shape, [3, 3, 8, 8]);   // a's getWeights() now starts at block1_conv2 ...
  assert.throws(() => b.setWeights(a.getWeights()));      // ... so the model-wide copy fails
  copyWeightsByName(b, a);
  for (const l of a.layers) {
    l.getWeights().forEach((w, i) => assert.ok(tf.tidy(() => w.equal(b.getLayer(l.name).getWeights()[i]!).all().dataSync()[0] === 1), l.name));
  }
  const other = buildConvLstm({ inputShape: [4, 32, 32, 3], width: 0.25, seed: 1 });
  assert.throws(() => copyWeightsByName(other, a), (e: Error) => e instanceof InvalidInputError && /no layer 'stem_conv1'/.test(e.message));
  [a, b, other].forEach((m) => m.dispose());
});

test('drop-connect switched off for training is restored in the saved topology', async () => {
  const out = path.join(tmp, 'effnet');
  await train({ ...base, model: 'efficientnetb0', width: 0.1, out, epochs: 1, scenesPerEpoch: 16, evalScenes: 10, dropConnect: false, log: () => {} });
  const layers = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8')).modelTopology.config.layers as { class_name: string; config: { name: string; rate?: number } }[];
  const drops = layers.filter((l) => l.class_name === 'Dropout' && /drop$/.test(l.config.name));
  assert.ok(drops.length > 0);
  for (const d of drops) assert.ok(d.config.rate! > 0, `${d.config.name} saved with rate ${d.config.rate}`);
});

test('--max-minutes stops after the epoch that passes it', async () => {
  const log: string[] = [];
  const card = await train({ ...base, out: path.join(tmp, 'timed'), epochs: 10, learningRate: 1e-3, maxMinutes: 1e-5, log: (l) => log.push(l) });
  assert.is(card.training.epochs, 1);
  assert.ok(log.includes('time budget reached'));
});

test('a run stopped mid-epoch resumes from its checkpoint and ends with the weights of an uninterrupted run', async () => {
  const opts = { ...base, epochs: 2, scenesPerEpoch: 48, learningRate: 1e-3, maxMinutes: 1e6, log: () => {} };
  const whole = await train({ ...opts, out: path.join(tmp, 'whole') });
  const ckpt = path.join(tmp, 'ckpt');
  // a real AbortController aborted by a timer, as the SIGTERM handler of scripts/train.ts does: the timer can only
  // fire if the loop yields to the event loop; it fires during the first batch, so the run stops after it (step 1 of 3)
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 0);
  const err = await train({ ...opts, out: path.join(tmp, 'resumed'), checkpoint: ckpt, signal: stop.signal }).catch((e: unknown) => e);
  assert.instance(err, TrainingStopped);
  const state = JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8'));
  assert.equal([state.epoch, state.step, state.seen], [0, 1, 16]);
  assert.ok(!existsSync(path.join(tmp, 'resumed', 'card.json')));
  const log: string[] = [];
  const before = tf.memory().numTensors;
  const card = await train({ ...opts, out: path.join(tmp, 'resumed'), checkpoint: ckpt, log: (l) => log.push(l) });
  assert.is(tf.memory().numTensors, before, 'a resumed run (restore, checkpoints, model, optimizer) leaves no tensor behind');
  assert.ok(log.some((l) => l.startsWith('resumed from')), log.join('\n'));
  assert.is(card.dataset.trainScenesSeen, whole.dataset.trainScenesSeen);
  assert.equal(card.training.schedule, whole.training.schedule);
  const [a, b] = [await loadModel(path.join(tmp, 'whole')), await loadModel(path.join(tmp, 'resumed'))];
  const wa = a.getWeights(), wb = b.getWeights();
  let maxDiff = 0;
  for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, wa[i]!.sub(wb[i]!).abs().max().dataSync()[0]!);
  assert.ok(maxDiff < 1e-6, `resumed weights differ from the uninterrupted run's by ${maxDiff}`);
  assert.equal(card.accuracy, whole.accuracy);
  assert.ok(JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8')).done);
  // other options than the checkpoint's: refused, saying why
  const other = await train({ ...opts, batchSize: 8, out: path.join(tmp, 'other'), checkpoint: ckpt }).catch((e: unknown) => e);
  assert.match(String(other), 'other options');
  a.dispose(); b.dispose();
});

test('VGG16 with its original head (flatten -> fc1 -> fc2) and fcUnits trains and records its head', async () => {
  const card = await train({ ...base, out: path.join(tmp, 'vggfc'), epochs: 1, head: 'original', fcUnits: 24, log: () => {} });
  assert.is(card.head, 'original');
  assert.is(card.fcUnits, 24);
  const m = await loadModel(path.join(tmp, 'vggfc'));
  assert.equal(m.getLayer('fc1').outputShape, [null, 24]);
  assert.equal(m.getLayer('fc2').outputShape, [null, 24]);
  m.dispose();
});

test('a ConvLSTM trains on clips with the same loop: its card has [T,S,S,3], the convlstm target and the clip splits', async () => {
  const out = path.join(tmp, 'convlstm');
  const log: string[] = [];
  const card = await train({ model: 'convlstm', width: 0.25, size: 32, frames: 6, scenesPerEpoch: 16, batchSize: 8, evalScenes: 10,
    targetAccuracy: 2, epochs: 1, out, log: (l) => log.push(l) });
  assert.equal(card.inputShape, [6, 32, 32, 3]);
  assert.is(card.topology, 'ConvLSTM');
  assert.is(card.targetLayer, 'convlstm');
  assert.equal(Object.keys(card.accuracy), ['train', 'test']);
  assert.equal(Object.keys(card.accuracy200), ['test']);
  assert.is(card.dataset.frames, 6);
  assert.is(card.dataset.instances, undefined);
  assert.match(card.dataset.generator, 'clips');
  assert.is(card.dataset.trainScenesSeen, 16);
  const m = await loadModel(out);
  assert.equal(m.getLayer('convlstm').outputShape, [null, 6, 8, 8, 8]);
  assert.is(m.countParams(), card.params);
  m.dispose();
});

test("a ConvLSTM with the 'vgg' stem takes VGG16's blocks 1-2 from vgg16-digits, frozen, and nothing else", async () => {
  const out = path.join(tmp, 'convlstm-vgg');
  const log: string[] = [];
  const card = await train({ model: 'convlstm', width: 1, size: 32, frames: 6, scenesPerEpoch: 16, batchSize: 8, evalScenes: 10,
    targetAccuracy: 2, epochs: 1, out, stem: 'vgg', transfer: 'models/vgg16-digits', log: (l) => log.push(l) });
  assert.is(card.stem, 'vgg');
  assert.ok(log.some((l) => /transferred 4 layers/.test(l)), log.join('\n'));
  const [m, from] = [await loadLayersModel(out), await loadLayersModel('models/vgg16-digits')];
  for (const n of ['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2']) {
    assert.not.ok(m.getLayer(n).trainable, `${n} frozen`);
    m.getLayer(n).getWeights().forEach((w, i) => assert.is(tf.tidy(() => w.sub(from.getLayer(n).getWeights()[i]!).abs().max().dataSync()[0]), 0, n));
  }
  assert.ok(m.getLayer('predictions').trainable);
  assert.ok(tf.tidy(() => m.getLayer('predictions').getWeights()[0]!.sub(from.getLayer('predictions').getWeights()[0]!).abs().max().dataSync()[0]!) > 0);
  [m, from].forEach((x) => x.dispose());
});

test("auxGate trains a gated, bidirectional ConvLSTM on the class and on where the target is; the saved model is the classifier alone", async () => {
  const out = path.join(tmp, 'convlstm-aux'), ck = path.join(tmp, 'convlstm-aux-ck');
  const o = { model: 'convlstm' as const, width: 0.25, size: 32, frames: 6, scenesPerEpoch: 16, batchSize: 8, evalScenes: 10,
    targetAccuracy: 2, epochs: 1, out, pool: 'gated' as const, bidirectional: true, checkpoint: ck };
  const log: string[] = [];
  const card = await train({ ...o, auxGate: 0.5, log: (l) => log.push(l) });
  assert.is(card.training.auxGate, 0.5);
  assert.is(card.bidirectional, true);
  assert.is(card.pool, 'gated');
  const gateLoss = log.map((l) => /gate loss ([\d.]+)/.exec(l)?.[1]).find((v) => v != null);
  assert.ok(gateLoss != null && +gateLoss > 0, log.join("\n"));   // on the epoch line
  const m = await loadLayersModel(out);
  assert.is(m.outputs.length, 1);
  assert.equal(m.outputs[0]!.shape, [null, 10]);
  assert.is(m.getLayer('convlstm').getClassName(), 'Bidirectional');
  m.dispose();
  // the checkpoint belongs to this auxGate: a run with another one is refused
  const other = await train({ ...o, auxGate: 1, log: () => {} }).catch((e: unknown) => e);
  assert.instance(other, InvalidInputError);
  assert.match(String(other), 'other options');
});

test('a clip model refuses the image-only options, and an unknown model is a typed error', async () => {
  const o = { model: 'convlstm' as const, width: 0.25, size: 32, frames: 4, out: path.join(tmp, 'never'), log: () => {} };
  for (const extra of [{ instances: [1, 2] as const }, { head: 'original' as const }, { fcUnits: 8 }]) {
    const err = await train({ ...o, ...extra }).catch((e: unknown) => e);
    assert.instance(err, InvalidInputError, JSON.stringify(extra));
  }
  for (const extra of [{ stem: 'vgg4' as 'vgg' }, { pool: 'sum' as 'max' }, { auxGate: 1 }, { pool: 'gated' as const, auxGate: -1 }, { bidirectional: 1 as unknown as boolean }]) {
    const err = await train({ ...o, ...extra }).catch((e: unknown) => e);
    assert.instance(err, InvalidInputError, JSON.stringify(extra));
  }
  const image = await train({ ...base, out: path.join(tmp, 'never'), stem: 'vgg', log: () => {} }).catch((e: unknown) => e);
  assert.instance(image, InvalidInputError);
  assert.match(String(image), 'stem');
  const imageBi = await train({ ...base, out: path.join(tmp, 'never'), bidirectional: true, log: () => {} }).catch((e: unknown) => e);
  assert.instance(imageBi, InvalidInputError);
  const err = await train({ ...o, model: 'lenet' as 'convlstm' }).catch((e: unknown) => e);
  assert.instance(err, InvalidInputError);
  assert.match(String(err), 'convlstm');
  assert.ok(!existsSync(o.out));
});

test('step decay follows the larger of the epoch and the time fractions', () => {
  const min = 60_000;
  assert.is(scheduledRate(1, 0, 10, 0, 60 * min), 1);
  assert.is(scheduledRate(1, 4, 10, 29 * min, 60 * min), 1);
  assert.is(scheduledRate(1, 5, 10, 0, 60 * min), 0.3);          // half the epochs
  assert.is(scheduledRate(1, 1, 10, 30 * min, 60 * min), 0.3);   // half the time
  assert.is(scheduledRate(1, 2, 10, 48 * min, 60 * min), 0.09);  // 80% of the time
  assert.is(scheduledRate(2, 8, 10, 0, 60 * min), 0.18);
});

test.run();
