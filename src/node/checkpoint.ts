/**
 * Resumable training: a checkpoint folder holds the model's weights (model.json + weights.bin, float32),
 * the optimizer's state (optimizer.json + optimizer.bin: Adam's iteration count and moments) and
 * state.json (where the run is: epoch, step within the epoch, scenes seen, schedule, elapsed time).
 *
 * Writes are atomic at the folder level: everything goes to `<dir>.tmp`, then `<dir>` is swapped for it
 * (the previous checkpoint stays as `<dir>.old` until the swap is done), so a process killed at any
 * moment leaves a complete checkpoint behind.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { loadLayersModel as loadModel, saveModel } from './model-io.js';

export interface TrainState {
  /** The options a resumed run must share with the run that wrote the checkpoint (JSON). */
  key: string;
  /** Epoch in progress (0-based, within this run) and batches of it already done. */
  epoch: number;
  step: number;
  /** Training scenes seen by this run. */
  seen: number;
  /** Running sums of the epoch in progress (for its log line). */
  lossSum: number;
  accSum: number;
  schedule: [number, number][];
  /** Training time of this run so far, over every process that worked on it. */
  elapsedMs: number;
  /** The run reached its end and wrote its model. */
  done?: boolean;
  savedAt?: string;
}

interface OptimizerFile { weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] }

export async function saveCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainState): Promise<void> {
  const tmp = `${dir}.tmp`, old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await saveModel(model, tmp);
  const named = await optimizer.getWeights();
  const specs: OptimizerFile['weights'] = [];
  const chunks: Uint8Array[] = [];
  for (const { name, tensor } of named) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    const data = await tensor.data();
    const typed = dtype === 'int32' ? Int32Array.from(data as Int32Array) : Float32Array.from(data as Float32Array);
    specs.push({ name, shape: tensor.shape, dtype });
    chunks.push(new Uint8Array(typed.buffer));
  }
  // getWeights() makes a new scalar for the iteration count (the moments are the optimizer's own variables)
  for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  writeFileSync(path.join(tmp, 'optimizer.bin'), Buffer.concat(chunks));
  writeFileSync(path.join(tmp, 'optimizer.json'), JSON.stringify({ weights: specs } satisfies OptimizerFile));
  writeFileSync(path.join(tmp, 'state.json'), JSON.stringify({ ...state, savedAt: new Date().toISOString() }, null, 1) + '\n');
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The newest complete checkpoint in `dir` (or its `.old` twin after an interrupted swap), else null. */
export function findCheckpoint(dir: string): { dir: string; state: TrainState } | null {
  for (const d of [dir, `${dir}.old`]) {
    const f = path.join(d, 'state.json');
    if (existsSync(f)) return { dir: d, state: JSON.parse(readFileSync(f, 'utf8')) as TrainState };
  }
  return null;
}

/** Loads a checkpoint's weights into `model` and its moments into `optimizer` (same topology, same order). */
export async function restoreCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
  const from = await loadModel(dir);
  const w = from.getWeights();
  if (w.length !== model.getWeights().length) {
    from.dispose();
    throw new InvalidInputError(`The checkpoint in ${dir} has ${w.length} weights; the model has ${model.getWeights().length}. ` +
      'It belongs to another architecture: remove it or pass another --checkpoint folder.');
  }
  model.setWeights(w);
  from.dispose();
  const spec = JSON.parse(readFileSync(path.join(dir, 'optimizer.json'), 'utf8')) as OptimizerFile;
  const bin = readFileSync(path.join(dir, 'optimizer.bin'));
  const buf = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  let off = 0;
  const named: { name: string; tensor: tf.Tensor }[] = spec.weights.map(({ name, shape, dtype }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'int32' ? new Int32Array(buf, off, n) : new Float32Array(buf, off, n);
    off += n * 4;
    return { name, tensor: tf.tensor(data, shape, dtype) };
  });
  await optimizer.setWeights(named);
  // the optimizer made its own variables from these (sharing their data): drop our references
  tf.dispose(named.map((n) => n.tensor));
}
