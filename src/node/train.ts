/**
 * Training a registered model on the wasm backend (with the filter-gradient kernels of
 * src/backend/kernels/, which the stock wasm backend lacks): image backbones on digit scenes,
 * clip models (ConvLSTM) on moving-digit clips. The data source follows the model's input kind
 * (train-data.ts); the loop, checkpoints, schedule and card are the same for both.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend } from '../backend/index.js';
import { MODELS, CONVLSTM_STEMS, CONVLSTM_POOLS, type ModelName, type ConvLstmStem, type ConvLstmPool } from '../models/index.js';
import { type Split } from '../data/index.js';
import { TRAIN_DATA, accuracyOver, type DataRequest } from './train-data.js';
import { InvalidInputError } from '../errors.js';
import { loadLayersModel as loadModel, saveModel } from './model-io.js';
import { findCheckpoint, restoreCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.js';
import type { HeadKind } from '../models/common.js';

export interface TrainOptions {
  model: ModelName;
  width: number;
  /** Frames per clip (clip models only; default 10). */
  frames?: number;
  out: string;
  size?: number;
  epochs?: number;
  /** Scenes per epoch (fresh scenes every epoch: epoch e uses train scenes e*N .. (e+1)*N-1). */
  scenesPerEpoch?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Stop early once validation accuracy reaches this (0..1). */
  targetAccuracy?: number;
  /** Stop after this many minutes (checked after each epoch). */
  maxMinutes?: number;
  evalScenes?: number;
  /** BatchNorm momentum while training (Keras default 0.99 is slow to track fresh scenes; 0.9 default here). */
  bnMomentum?: number;
  /** Start from the weights of a saved model (same topology), e.g. to continue a run. */
  init?: string;
  /**
   * Start from a saved model of ANOTHER depth (e.g. ResNet-50 -> ResNet-101): layers with the same name
   * and weight shapes are copied; residual blocks the source lacks start as identities (the last
   * BatchNorm of their branch gets gamma = 0), so the new model computes the source's function at step 0.
   */
  transfer?: string;
  /** A clip model's stem (ConvLstmOptions.stem); with `transfer` a 'vgg' / 'vgg3' / 'vgg4' stem is copied and kept frozen. */
  stem?: ConvLstmStem;
  /** A clip model's global pooling (ConvLstmOptions.pool). */
  pool?: ConvLstmPool;
  /** A clip model's ConvLSTM reads the clip both ways (ConvLstmOptions.bidirectional). */
  bidirectional?: boolean;
  /**
   * With pool 'gated': the weight of an auxiliary loss that teaches the gate where the target is (binary
   * cross-entropy of the gate [T, h, w] against targetCells on its grid; the class loss has weight 1). The saved
   * model is the classifier alone. Default 0 (no auxiliary loss).
   */
  auxGate?: number;
  /** false: drop-connect (EfficientNet's per-block Dropout '<block>drop') off while training. Default true. */
  dropConnect?: boolean;
  /** Store the weights as float16 (half the bytes). */
  float16?: boolean;
  /** Data offset when continuing: this run's epoch e draws the scenes of epoch startEpoch + e. */
  startEpoch?: number;
  /**
   * Instances per training scene [min, max] (default the train split's [1, 3]). A fine-tuning run can
   * weight the harder single-instance scenes more, e.g. [1, 2]; the test splits never change.
   */
  instances?: readonly [number, number];
  /** 'gap' (default: target -> GAP -> Dense) or 'original' (VGG16: block5_pool -> flatten -> fc1 -> fc2 -> predictions). */
  head?: HeadKind;
  /** Units of VGG16's fc1 / fc2 with head 'original' (default scaleChannels(4096, width)). */
  fcUnits?: number;
  /**
   * A folder for a resumable run: a checkpoint (weights, optimizer moments, position) is written there every
   * `checkpointMinutes` and at the end of every epoch; a run started with the same options and folder
   * continues from it (any process can be stopped at any moment and the next one picks up).
   */
  checkpoint?: string;
  /** Minutes between checkpoints within an epoch (default 5). */
  checkpointMinutes?: number;
  /** Stops the run after the batch in progress, writing a checkpoint first (TrainingStopped is thrown). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ModelCard {
  name: string;
  topology: string;
  width: number;
  /** A clip model's per-frame stem and global pooling. */
  stem?: ConvLstmStem;
  pool?: ConvLstmPool;
  bidirectional?: boolean;
  /** [H, W, 3] for image models, [T, H, W, 3] for clip models. */
  inputShape: number[];
  classes: number;
  head: HeadKind;
  /** Units of fc1 / fc2 (VGG16 with its original head). */
  fcUnits?: number;
  targetLayer: string;
  params: number;
  weightBytes: number;
  /** 'float16' when the weights file stores half floats. */
  weightsDtype: 'float32' | 'float16';
  preprocessing: string;
  classNames: string[];
  dataset: { generator: string; frames?: number; init?: string; transfer?: string; seed: number; trainScenesSeen: number; scenesPerEpoch: number; instances?: readonly [number, number]; evalSeed: number; evalScenes: number };
  training: { backend: string; bnMomentum: number; dropConnect: boolean; epochs: number; batchSize: number; optimizer: string; learningRate: number; auxGate?: number;
    /** The learning rates this run used: [first epoch of the run with that rate (0-based), rate], in order. */
    schedule?: [number, number][]; seconds: number; tfjs: string };
  /** Per split: scenes train / test-single / test-multi, or clips train / test. */
  accuracy: Record<string, number>;
  /** Accuracy on the first 200 items (evalSeed) of each test split, re-measured by the tests. */
  accuracy200: Record<string, number>;
  /** The runs of a training continued with --init: epochs, seconds, learning rate, scenes of each. */
  runs?: { epochs: number; seconds: number; learningRate: number; scenes: number; startEpoch: number; instances?: readonly [number, number]; dropConnect?: boolean; schedule?: [number, number][] }[];
  createdAt: string;
}

import { EVAL_SEED } from '../constants.js'; // moved there; re-exported here for the code that imports it from train
export { EVAL_SEED };

/** Thrown by train() when its `signal` stopped it; the checkpoint holds the run. */
export class TrainingStopped extends Error {
  constructor(readonly checkpoint: string | undefined) {
    super(`Training stopped; ${checkpoint ? `the run continues from ${checkpoint} when started again with the same options` : 'no checkpoint folder was given'}.`);
    this.name = 'TrainingStopped';
  }
}

/**
 * Step decay: x0.3 from 50% and x0.09 from 80% of the run. Progress is the larger of the epoch fraction and
 * the time fraction (elapsed / budget), so a run cut short by its time budget still ends at the low rates.
 */
export function scheduledRate(lr: number, epoch: number, epochs: number, elapsedMs: number, budgetMs: number): number {
  const progress = Math.max(epoch / epochs, elapsedMs / budgetMs);
  return lr * (progress >= 0.8 ? 0.09 : progress >= 0.5 ? 0.3 : 1);
}

/**
 * Copies every layer's weights from the layer of the same name in `from` (--init). Layer by layer, because
 * getWeights() lists trainable weights first: a model saved with a frozen stem orders them differently.
 */
export function copyWeightsByName(model: tf.LayersModel, from: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    const src = from.layers.find((l) => l.name === layer.name);
    if (!src) throw new InvalidInputError(`--init model has no layer '${layer.name}'; give a model of the same architecture and options.`);
    layer.setWeights(src.getWeights());
  }
}

/** Accuracy of a model on scenes start..start+count-1 of a split. */
export function accuracy(model: tf.LayersModel, split: Split, count: number, seed: number, size = 64, batch = 50,
  instances?: readonly [number, number]): number {
  return accuracyOver(model, TRAIN_DATA.image.batches(split, { seed, size, frames: 0, instances, start: 0, count }, batch));
}

/** Accuracy of a clip model on clips 0..count-1 of a split ('train' | 'test'). */
export function clipAccuracy(model: tf.LayersModel, split: 'train' | 'test', count: number, seed: number, size = 64, frames = 10, batch = 25): number {
  return accuracyOver(model, TRAIN_DATA.clip.batches(split, { seed, size, frames, start: 0, count }, batch));
}

export async function train(o: TrainOptions): Promise<ModelCard> {
  const log = o.log ?? ((l: string) => console.log(l));
  await useWasmBackend({ fastTrainingKernels: true }); // training only: faster Conv2DBackpropInput/Tile/Sum/Mean and layout kernels
  const spec = (MODELS as Record<string, (typeof MODELS)[ModelName] | undefined>)[o.model];
  if (!spec) throw new InvalidInputError(`Unknown model '${String(o.model)}'; one of ${Object.keys(MODELS).join(', ')}.`);
  const data = TRAIN_DATA[spec.input];
  const size = o.size ?? 64, epochs = o.epochs ?? 30, perEpoch = o.scenesPerEpoch ?? 4000, batchSize = o.batchSize ?? 32;
  const lr = o.learningRate ?? 2e-3, seed = o.seed ?? 1, evalScenes = o.evalScenes ?? 1000;
  const target = o.targetAccuracy ?? 0.985, maxMs = (o.maxMinutes ?? 60) * 60_000;
  const head = o.head ?? 'gap';
  const frames = o.frames ?? 10;
  if (spec.input === 'clip' && (o.instances || head !== 'gap' || o.fcUnits !== undefined)) {
    throw new InvalidInputError(`${o.model} is a clip model: instances, head and fcUnits apply to image backbones only.`);
  }
  if (spec.input === 'image' && (o.stem || o.pool)) throw new InvalidInputError(`${o.model} is an image backbone: stem and pool apply to clip models only.`);
  const stem = spec.input === 'clip' ? o.stem ?? 'strided' : undefined;
  if (stem && !CONVLSTM_STEMS.includes(stem)) throw new InvalidInputError(`stem must be one of ${CONVLSTM_STEMS.join(', ')}; got ${JSON.stringify(stem)}.`);
  if (o.pool !== undefined && !CONVLSTM_POOLS.includes(o.pool)) throw new InvalidInputError(`pool must be one of ${CONVLSTM_POOLS.join(', ')}; got ${JSON.stringify(o.pool)}.`);
  const auxGate = o.auxGate ?? 0;
  if (!(auxGate >= 0) || !Number.isFinite(auxGate)) throw new InvalidInputError(`auxGate must be a number >= 0; got ${String(o.auxGate)}.`);
  if (auxGate > 0 && o.pool !== 'gated') throw new InvalidInputError("auxGate teaches a clip model's gate: it needs pool 'gated'.");
  if (o.bidirectional !== undefined && typeof o.bidirectional !== 'boolean') throw new InvalidInputError(`bidirectional must be true or false; got ${JSON.stringify(o.bidirectional)}.`);
  if (spec.input === 'image' && o.bidirectional) throw new InvalidInputError(`${o.model} is an image backbone: bidirectional applies to clip models only.`);
  const inputShape = data.inputShape(size, frames);
  const model = spec.input === 'clip'
    ? spec.build({ inputShape: inputShape as [number, number, number, number], classes: 10, width: o.width, seed, stem, pool: o.pool, bidirectional: o.bidirectional })
    : spec.build({ inputShape: inputShape as [number, number, number], classes: 10, width: o.width, head, fcUnits: o.fcUnits, seed });
  const request = (start: number, count: number, s = seed): DataRequest => ({ seed: s, size, frames, instances: o.instances, start, count });
  const measure = (split: string, count: number, s: number, instances?: readonly [number, number]) =>
    accuracyOver(model, data.batches(split, { ...request(0, count, s), instances }, spec.input === 'clip' ? 25 : 50));
  if (o.transfer) {
    const from = await loadModel(o.transfer);
    let copied = 0, identity = 0;
    for (const layer of model.layers) {
      const w = layer.getWeights();
      if (!w.length) continue;
      // a clip model takes only its VGG stem (blocks 1-2, 1-3 or 1-4) from an image model
      if (spec.input === 'clip' && !/^block\d_/.test(layer.name)) continue;
      const src = from.layers.find((l) => l.name === layer.name);
      const sw = src?.getWeights();
      if (sw && sw.length === w.length && sw.every((t, i) => t.shape.join() === w[i].shape.join())) {
        layer.setWeights(sw);
        if (spec.input === 'clip') layer.trainable = false;   // a clip model's copied stem stays as trained on the scenes
        copied++;
      } else if (layer.getClassName() === 'BatchNormalization' && /_3_bn$/.test(layer.name)) {
        layer.setWeights(w.map((t, i) => (i === 0 ? tf.zerosLike(t) : t)));   // gamma = 0: the block is x -> relu(x + 0)
        identity++;
      }
    }
    from.dispose();
    log(`transferred ${copied} layers from ${o.transfer}; ${identity} residual blocks start as identities`);
  }
  if (o.init) {
    const from = await loadModel(o.init);
    copyWeightsByName(model, from);
    from.dispose();
    log(`initialised from ${o.init}`);
  }
  // drop-connect off while training only: the saved topology keeps the architecture's rates
  const dropConnect = model.layers.filter((l) => l.getClassName() === 'Dropout' && /drop$/.test(l.name)) as unknown as { rate: number }[];
  const dropRates = dropConnect.map((l) => l.rate);
  if (o.dropConnect === false) for (const l of dropConnect) l.rate = 0;
  const bnMomentum = o.bnMomentum ?? 0.9;
  for (const l of model.layers) if (l.getClassName() === 'BatchNormalization') (l as unknown as { momentum: number }).momentum = bnMomentum;
  const optimizer = tf.train.adam(lr);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // with auxGate: a second model over the same layers that also outputs the gate, trained on both losses
  const gate = auxGate > 0 ? model.getLayer('gate').output as tf.SymbolicTensor : null;
  const trainee = gate ? tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, gate] }) : model;
  // per clip (tfjs-layers adds the outputs' losses before the mean over the batch): the mean over frames and cells
  const gateLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tf.mean(tf.metrics.binaryCrossentropy(yTrue, yPred), [1, 2, 3]), auxGate);
  if (gate) trainee.compile({ optimizer, loss: ['categoricalCrossentropy' as never, gateLoss], metrics: ['accuracy'] });
  const cells = gate ? gate.shape[2]! : undefined;
  const params = model.countParams();
  log(`${o.model} width ${o.width}: ${params} params (${(params * 4 / 1e6).toFixed(2)} MB float32)`);
  let t0 = Date.now();
  let epoch = 0, seen = 0, resumeStep = 0, resumeLoss = 0, resumeAcc = 0;
  let schedule: [number, number][] = [];
  // A resumable run: the options that fix the data stream and the model must match the checkpoint's.
  const key = JSON.stringify({ model: o.model, width: o.width, size, head, fcUnits: o.fcUnits, batchSize, perEpoch, seed,
    instances: o.instances ?? null, startEpoch: o.startEpoch ?? 0, lr, ...(spec.input === 'clip' ? { frames } : {}),
    ...(stem && stem !== 'strided' ? { stem, transfer: o.transfer ?? null } : {}), ...(o.pool && o.pool !== 'avg' ? { pool: o.pool } : {}),
    ...(o.bidirectional ? { bidirectional: true } : {}), ...(auxGate > 0 ? { auxGate } : {}) });
  const found = o.checkpoint ? findCheckpoint(o.checkpoint) : null;
  if (found) {
    if (found.state.key !== key) {
      throw new InvalidInputError(`The checkpoint in ${found.dir} was written by a run with other options (${found.state.key}); ` +
        `this run has ${key}. Use the same options, or another --checkpoint folder.`);
    }
    await restoreCheckpoint(found.dir, model, optimizer);
    ({ epoch, seen, schedule } = found.state);
    resumeStep = found.state.step; resumeLoss = found.state.lossSum; resumeAcc = found.state.accSum;
    t0 = Date.now() - found.state.elapsedMs;
    log(`resumed from ${found.dir}: epoch ${epoch + 1}, step ${resumeStep}, ${seen} scenes seen, ${(found.state.elapsedMs / 60000).toFixed(1)} min so far`);
  }
  let lastSave = Date.now();
  const everyMs = (o.checkpointMinutes ?? 5) * 60_000;
  const checkpointAt = (state: Omit<TrainState, 'key' | 'elapsedMs' | 'schedule' | 'seen'>) => o.checkpoint
    ? saveCheckpoint(o.checkpoint, model, optimizer, { key, ...state, seen, schedule, elapsedMs: Date.now() - t0 }).then(() => { lastSave = Date.now(); })
    : Promise.resolve();
  for (; epoch < epochs; epoch++) {
    const rate = scheduledRate(lr, epoch, epochs, Date.now() - t0, maxMs);
    (optimizer as unknown as { learningRate: number }).learningRate = rate;
    if (schedule.at(-1)?.[1] !== rate) schedule.push([epoch, rate]);
    let lossSum = resumeLoss, accSum = resumeAcc, steps = resumeStep, gateSum = 0;
    const te = Date.now(), first = resumeStep;
    // the gate's loss over this process's steps of the epoch (the checkpoint does not keep it)
    const gateLog = () => (gate && steps > first ? ` gate loss ${(gateSum / (steps - first)).toFixed(4)}` : '');
    resumeStep = resumeLoss = resumeAcc = 0;
    const epochStart = ((o.startEpoch ?? 0) + epoch) * perEpoch + steps * batchSize;
    for (const { xs, ys, cells: where } of data.batches('train', { ...request(epochStart, perEpoch - steps * batchSize), cells }, batchSize)) {
      // [loss, acc], or with the gate's loss [loss, class loss, gate loss, acc, gate acc]
      const r = (await trainee.trainOnBatch(xs, where ? [ys, where] : ys)) as number[];
      const [loss, acc] = where ? [r[0]!, r[3]!] : r as [number, number];
      if (where && r.length !== 5) throw new Error(`expected [loss, class loss, gate loss, acc, gate acc] from trainOnBatch, got ${r.length} numbers`);
      gateSum += where ? r[2]! : 0;
      tf.dispose([xs, ys, where ?? []]);
      lossSum += loss; accSum += acc; steps++;
      seen += xs.shape[0];
      if (steps % 25 === 0) log(`  step ${steps}: loss ${(lossSum / steps).toFixed(4)} acc ${(accSum / steps).toFixed(4)}${gateLog()} (${((Date.now() - te) / (steps - first)).toFixed(0)} ms/step)`);
      // trainOnBatch resolves through microtasks only: yield to the event loop once per batch, or a SIGTERM
      // handler (or any timer) that aborts `signal` would never run while the run lasts
      await new Promise((resolve) => setImmediate(resolve));
      if (o.signal?.aborted) {
        await checkpointAt({ epoch, step: steps, lossSum, accSum });
        model.dispose();
        optimizer.dispose();
        throw new TrainingStopped(o.checkpoint);
      }
      if (Date.now() - lastSave > everyMs) await checkpointAt({ epoch, step: steps, lossSum, accSum });
    }
    const val = measure('train', 500, seed + 1000, o.instances);
    log(`epoch ${epoch + 1}/${epochs} (lr ${rate.toPrecision(3)}): loss ${(lossSum / steps).toFixed(4)} acc ${(accSum / steps).toFixed(4)}${gateLog()} ` +
      `val ${val.toFixed(4)} (${((Date.now() - te) / 1000).toFixed(0)} s, total ${((Date.now() - t0) / 60000).toFixed(1)} min, tensors ${tf.memory().numTensors})`);
    await checkpointAt({ epoch: epoch + 1, step: 0, lossSum: 0, accSum: 0 });
    if (val >= target && epoch >= 2) { epoch++; break; }
    if (Date.now() - t0 > maxMs) { epoch++; log('time budget reached'); break; }
  }
  const seconds = (Date.now() - t0) / 1000;
  const acc = Object.fromEntries(data.splits.map((split) => [split, measure(split, evalScenes, EVAL_SEED)]));
  // the first 200 items of each test split: what test/trained-models.test.ts re-measures
  const accuracy200 = Object.fromEntries(data.testSplits.map((split) => [split, measure(split, 200, EVAL_SEED)]));
  log(`accuracy: ${JSON.stringify(acc)}; first 200 scenes: ${JSON.stringify(accuracy200)}`);
  dropConnect.forEach((l, i) => { l.rate = dropRates[i]!; });
  const { bytes } = await saveModel(model, o.out, 'weights.bin', { float16: o.float16 });
  const card: ModelCard = {
    name: path.basename(o.out), topology: spec.kerasName, width: o.width, ...(stem ? { stem, pool: o.pool ?? 'avg', ...(o.bidirectional ? { bidirectional: true } : {}) } : {}), inputShape, classes: 10,
    head, fcUnits: head === 'original' ? o.fcUnits : undefined, targetLayer: spec.targetLayer, params, weightBytes: bytes, weightsDtype: o.float16 ? 'float16' : 'float32',
    preprocessing: data.preprocessing,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    dataset: { generator: data.generator, frames: spec.input === 'clip' ? frames : undefined, init: o.init, transfer: o.transfer, seed, trainScenesSeen: seen, scenesPerEpoch: perEpoch, instances: spec.input === 'image' ? o.instances ?? [1, 3] : undefined, evalSeed: EVAL_SEED, evalScenes },
    training: { backend: 'wasm', bnMomentum, dropConnect: o.dropConnect !== false, epochs: epoch, batchSize, optimizer: 'adam, step decay x0.3 at 50% and 80%', learningRate: lr, ...(auxGate > 0 ? { auxGate } : {}), schedule, seconds: Math.round(seconds), tfjs: tf.version.tfjs },
    accuracy: acc, accuracy200, createdAt: new Date().toISOString(),
  };
  if (o.init && existsSync(path.join(o.init, 'card.json'))) {
    // a continued run: the card counts the whole training, and keeps the runs it was made of
    const prev = JSON.parse(readFileSync(path.join(o.init, 'card.json'), 'utf8')) as ModelCard & { runs?: unknown[] };
    const run = { epochs: card.training.epochs, seconds: card.training.seconds, learningRate: lr, schedule, scenes: seen, startEpoch: o.startEpoch ?? 0,
      instances: o.instances ?? [1, 3] as const, dropConnect: o.dropConnect !== false };
    card.runs = [...(prev.runs ?? [{ epochs: prev.training.epochs, seconds: prev.training.seconds, learningRate: prev.training.learningRate,
      schedule: prev.training.schedule, scenes: prev.dataset.trainScenesSeen, startEpoch: 0, instances: prev.dataset.instances, dropConnect: prev.training.dropConnect }]), run];
    card.training.epochs += prev.training.epochs;
    card.training.seconds += prev.training.seconds;
    card.dataset.trainScenesSeen += prev.dataset.trainScenesSeen;
    card.dataset.init = undefined;
    card.dataset.transfer ??= prev.dataset.transfer;   // the source of a deepened model stays on its card
  }
  writeFileSync(path.join(o.out, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  await checkpointAt({ epoch, step: 0, lossSum: 0, accSum: 0, done: true });
  model.dispose();
  optimizer.dispose();
  return card;
}
