/**
 * Digit scenes: synthetic S x S RGB images with 1..3 handwritten instances of ONE MNIST class,
 * with ground truth (one tight box and one mask per instance, plus their union mask).
 *
 * How a scene is made (all draws from a mulberry32 stream seeded by hashSeed(seed, split, index),
 * so scene i does not depend on `count` or on the other scenes):
 *  1. label: balanced in every block of 10 consecutive indices (a seeded permutation of 0..9 per
 *     block), so any prefix of 10k scenes has exactly k scenes per class;
 *  2. background: a random dim colour (each channel in [0, 0.3)) plus a weak linear gradient;
 *  3. instances: distinct source digits of the label from the split's pool (see mnist-source.ts:
 *     'train' uses the first 80% of each class, 'test-*' the last 20%); each is cropped to its ink,
 *     scaled (bilinear) so that its longer side is in `digitSize` (default 18..30 px for S = 64,
 *     proportional to S), with a width jitter of +-15%, and placed at a random position so that
 *     the placed rectangles of any two instances are at least MARGIN px apart (a rectangle that
 *     does not fit is retried, then shrunk by 10% steps). Each instance gets a random bright tint
 *     (HSV: any hue, saturation < 0.75, value >= 0.75) and is alpha-blended with its intensity;
 *  4. clutter: 0..3 fragments (default) of digits of OTHER classes from the same pool: a random
 *     crop of 20%..35% of the source's ink box along each axis (CLUTTER_CROP) with some ink in it,
 *     drawn at 80%..100% of the scale of the scene's smallest instance and capped so that its
 *     longer side is at most 40% (CLUTTER_MAX_REL) of the smallest instance's: a short stroke or
 *     corner, never a readable digit; tinted like instances; never within MARGIN px of an instance
 *     rectangle, and fragments do not touch each other;
 *  5. noise: per scene sigma ~ U[0, noise) (default noise 0.05), approximately gaussian
 *     (Irwin-Hall of 3 uniforms) per value and channel, then the image is clamped to [0, 1].
 *
 * Ground truth: an instance's mask is the set of pixels where its own rendered intensity (before
 * tint, clutter and noise) is >= maskThreshold (default 0.3); its box is the tight box of that
 * mask (exclusive ends). Clutter is not part of any mask.
 *
 * Only integer and basic float arithmetic is used (no Math.random, no transcendental functions),
 * so scenes are byte-identical for the same options on any JS engine.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.js';
import { Rng, hashSeed } from '../rng.js';
import { addNoise, apart, blend, drawBackground, maskOf, randomTint, resample } from './raster.js';
import {
  loadMnist, poolRange, MNIST_SIDE, MNIST_PIXELS, NUM_CLASSES,
  type Box, type SourceDigit, type SourcePool, type MnistClass,
} from './mnist-source.js';

export type Split = 'train' | 'test-single' | 'test-multi';

export interface SceneOptions {
  split: Split;
  /** Number of scenes. */
  count: number;
  /** Any integer (|seed| < 2^53). */
  seed: number;
  /** Index of the first scene (default 0): scenes start .. start+count-1 of the split. */
  start?: number;
  /** Side S of the square image in pixels (default 64, at least 24). */
  size?: number;
  /** Clutter fragments per scene, uniform in [min, max]; a number n means [n, n]. Default [0, 3]. */
  clutter?: number | readonly [number, number];
  /** Maximum noise sigma; each scene draws sigma ~ U[0, noise). Default 0.05; 0 = no noise. */
  noise?: number;
  /** Instances per scene [min, max]; default by split: train [1,3], test-single [1,1], test-multi [2,3]. */
  instances?: readonly [number, number];
  /** Longer side of an instance's ink in px [min, max]; default [round(18 S/64), round(30 S/64)]. */
  digitSize?: readonly [number, number];
  /** false: white ink on a black background, no gradient (default true: random colours). */
  colour?: boolean;
  /** Intensity threshold of the masks (default 0.3). */
  maskThreshold?: number;
}

export interface SceneInstance {
  /** Tight box of the instance's mask, exclusive ends, pixel coordinates. */
  box: Box;
  /** S*S, 1 where this instance's intensity >= maskThreshold. */
  mask: Uint8Array;
  /** The MNIST sample drawn (class = scene label, index in the package's class file). */
  source: SourceDigit;
  /** The whole rectangle the scaled digit was drawn into (contains box). */
  rect: Box;
  /** RGB ink colour. */
  tint: [number, number, number];
}

export interface ClutterFragment {
  /** Rectangle the fragment was drawn into. */
  rect: Box;
  /** Source sample the fragment was cut from (class != scene label). */
  source: SourceDigit;
}

export interface Scene {
  /** S*S*3 floats in [0, 1], HWC (row-major, RGB interleaved). */
  image: Float32Array;
  /** Digit class 0..9 of every instance. */
  label: number;
  instances: SceneInstance[];
  /** S*S, union of the instance masks. */
  mask: Uint8Array;
  size: number;
  split: Split;
  /** Index of the scene in its split (the same index always gives the same scene). */
  index: number;
  clutter: ClutterFragment[];
}

/** Minimal gap, in pixels, between the rectangles of two instances (and instance vs clutter). */
export const MARGIN = 2;
export const DEFAULT_SIZE = 64;
export const DEFAULT_NOISE = 0.05;
export const DEFAULT_CLUTTER: readonly [number, number] = [0, 3];
export const DEFAULT_MASK_THRESHOLD = 0.3;
/** A clutter fragment is a crop of this fraction (per axis) of the source digit's ink box. */
export const CLUTTER_CROP: readonly [number, number] = [0.2, 0.35];
/** ... and its longer side is at most this fraction of the smallest instance's longer side. */
export const CLUTTER_MAX_REL = 0.4;

const SPLIT_ID: Record<Split, number> = { 'train': 1, 'test-single': 2, 'test-multi': 3 };
const DEFAULT_INSTANCES: Record<Split, readonly [number, number]> = {
  'train': [1, 3], 'test-single': [1, 1], 'test-multi': [2, 3],
};

interface Resolved {
  split: Split;
  seed: number;
  size: number;
  clutter: readonly [number, number];
  noise: number;
  instances: readonly [number, number];
  digitSize: readonly [number, number];
  colour: boolean;
  maskThreshold: number;
  pool: SourcePool;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function checkRange(name: string, r: readonly [number, number], lo: number, hi: number): void {
  if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0]) || !isInt(r[1]) || r[0] < lo || r[1] > hi || r[0] > r[1]) {
    throw new InvalidInputError(`${name} must be [min, max] integers with ${lo} <= min <= max <= ${hi}; got ${JSON.stringify(r)}.`);
  }
}

function resolve(o: Omit<SceneOptions, 'count'>): Resolved {
  if (!(o.split in SPLIT_ID)) {
    throw new InvalidInputError(`split must be 'train', 'test-single' or 'test-multi'; got ${JSON.stringify(o.split)}.`);
  }
  if (!isInt(o.seed) || !Number.isSafeInteger(o.seed)) {
    throw new InvalidInputError(`seed must be a safe integer; got ${String(o.seed)}.`);
  }
  const size = o.size ?? DEFAULT_SIZE;
  if (!isInt(size) || size < 24 || size > 1024) {
    throw new InvalidInputError(`size must be an integer in [24, 1024]; got ${String(size)}.`);
  }
  const clutter: readonly [number, number] =
    typeof o.clutter === 'number' ? [o.clutter, o.clutter] : (o.clutter ?? DEFAULT_CLUTTER);
  checkRange('clutter', clutter, 0, 64);
  const noise = o.noise ?? DEFAULT_NOISE;
  if (typeof noise !== 'number' || !(noise >= 0 && noise <= 1)) {
    throw new InvalidInputError(`noise must be a number in [0, 1]; got ${String(noise)}.`);
  }
  const instances = o.instances ?? DEFAULT_INSTANCES[o.split];
  checkRange('instances', instances, 1, 3);
  const digitSize = o.digitSize ?? [Math.round((18 * size) / 64), Math.round((30 * size) / 64)] as const;
  checkRange('digitSize', digitSize, 6, Math.floor(size / 2));
  const maskThreshold = o.maskThreshold ?? DEFAULT_MASK_THRESHOLD;
  if (typeof maskThreshold !== 'number' || !(maskThreshold > 0 && maskThreshold < 1)) {
    throw new InvalidInputError(`maskThreshold must be in (0, 1); got ${String(maskThreshold)}.`);
  }
  return {
    split: o.split, seed: o.seed, size, clutter, noise, instances, digitSize,
    colour: o.colour ?? true, maskThreshold, pool: o.split === 'train' ? 'train' : 'test',
  };
}

interface Placed {
  rect: Box;
  patch: Float32Array;
  w: number;
  h: number;
  scale: number;
  source: SourceDigit;
}

/** Tries to lay out n distinct instances; null if it could not (the caller redraws). */
function placeInstances(rng: Rng, r: Resolved, mnist: MnistClass[], label: number, n: number): Placed[] | null {
  const S = r.size;
  const cls = mnist[label]!;
  const [lo, hi] = poolRange(r.pool, label);
  const used = new Set<number>();
  const placed: Placed[] = [];
  for (let k = 0; k < n; k++) {
    let index = rng.int(lo, hi - 1);
    while (used.has(index)) index = rng.int(lo, hi - 1);
    used.add(index);
    const b = cls.inkBoxes.subarray(index * 4, index * 4 + 4);
    const bx0 = b[0]!, by0 = b[1]!, bw = b[2]! - bx0, bh = b[3]! - by0;
    // Longer side of the drawn rectangle = target, after a +-15% width jitter.
    const target = rng.uniform(r.digitSize[0], r.digitSize[1]);
    const jitter = rng.uniform(0.85, 1.15);
    let scale = target / Math.max(bw * jitter, bh);
    let ok: Placed | null = null;
    for (let shrink = 0; shrink < 8 && !ok; shrink++) {
      if (shrink > 0) scale *= 0.9;
      const w = Math.min(S, Math.max(1, Math.round(bw * scale * jitter)));
      const h = Math.min(S, Math.max(1, Math.round(bh * scale)));
      for (let t = 0; t < 40; t++) {
        const px = rng.int(0, S - w), py = rng.int(0, S - h);
        const rect = { x0: px, y0: py, x1: px + w, y1: py + h };
        if (placed.every((p) => apart(p.rect, rect, MARGIN))) {
          const patch = resample(cls.pixels, index * MNIST_PIXELS, bx0, by0, bx0 + bw, by0 + bh, w, h);
          ok = { rect, patch, w, h, scale, source: { label, index } };
          break;
        }
      }
    }
    if (!ok) return null;
    placed.push(ok);
  }
  return placed;
}

function sceneSeeds(r: Resolved, index: number): { scene: number; block: number } {
  return {
    scene: hashSeed(r.seed, SPLIT_ID[r.split], index),
    block: hashSeed(r.seed, SPLIT_ID[r.split], Math.floor(index / NUM_CLASSES), 0xb10c),
  };
}

function generateOne(r: Resolved, index: number, mnist: MnistClass[]): Scene {
  const S = r.size;
  const seeds = sceneSeeds(r, index);
  const perm = new Rng(seeds.block).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const label = perm[index % NUM_CLASSES]!;
  const rng = new Rng(seeds.scene);

  // 1. Layout of the instances.
  const n = rng.int(r.instances[0], r.instances[1]);
  let placed: Placed[] | null = null;
  for (let attempt = 0; attempt < 100 && !placed; attempt++) placed = placeInstances(rng, r, mnist, label, n);
  if (!placed) throw new InvalidInputError(`could not place ${n} digits of ${JSON.stringify(r.digitSize)} px in ${S} x ${S}; use smaller digitSize or fewer instances.`);

  // 2. Background.
  const image = new Float32Array(S * S * 3);
  drawBackground(image, S, rng, r.colour);
  const tint = () => randomTint(rng, r.colour);

  // 3. Clutter: fragments of other classes, at most about half an instance, away from instances.
  const clutter: ClutterFragment[] = [];
  const nClutter = rng.int(r.clutter[0], r.clutter[1]);
  const minScale = Math.min(...placed.map((p) => p.scale));
  const minSide = Math.min(...placed.map((p) => Math.max(p.w, p.h)));
  for (let k = 0; k < nClutter; k++) {
    let other = rng.int(0, NUM_CLASSES - 2);
    if (other >= label) other++;
    const cls = mnist[other]!;
    const [lo, hi] = poolRange(r.pool, other);
    const index = rng.int(lo, hi - 1);
    const b = cls.inkBoxes.subarray(index * 4, index * 4 + 4);
    const bw = b[2]! - b[0]!, bh = b[3]! - b[1]!;
    // A crop with enough ink to be visible (a few tries, else no fragment).
    let crop: Box | null = null;
    for (let t = 0; t < 8 && !crop; t++) {
      const cw = Math.max(2, Math.round(bw * rng.uniform(CLUTTER_CROP[0], CLUTTER_CROP[1])));
      const ch = Math.max(2, Math.round(bh * rng.uniform(CLUTTER_CROP[0], CLUTTER_CROP[1])));
      const cx = b[0]! + rng.int(0, Math.max(0, bw - cw)), cy = b[1]! + rng.int(0, Math.max(0, bh - ch));
      let ink = 0;
      for (let y = cy; y < cy + ch; y++) {
        for (let x = cx; x < cx + cw; x++) ink += cls.pixels[index * MNIST_PIXELS + y * MNIST_SIDE + x]!;
      }
      if (ink >= 4 * 255) crop = { x0: cx, y0: cy, x1: cx + cw, y1: cy + ch };
    }
    let scale = minScale * rng.uniform(0.8, 1);
    const col = tint();
    if (!crop) continue;
    const cw = crop.x1 - crop.x0, ch = crop.y1 - crop.y0;
    // Never more than CLUTTER_MAX_REL of the smallest instance's longer side.
    scale = Math.min(scale, (CLUTTER_MAX_REL * minSide) / Math.max(cw, ch));
    const w = Math.max(1, Math.round(cw * scale));
    const h = Math.max(1, Math.round(ch * scale));
    for (let t = 0; t < 20; t++) {
      const px = rng.int(0, S - w), py = rng.int(0, S - h);
      const rect = { x0: px, y0: py, x1: px + w, y1: py + h };
      // Away from instances; fragments do not touch each other either (two overlapping fragments
      // can combine into something digit-like).
      if (placed.every((p) => apart(p.rect, rect, MARGIN)) && clutter.every((c) => apart(c.rect, rect, 1))) {
        const patch = resample(cls.pixels, index * MNIST_PIXELS, crop.x0, crop.y0, crop.x1, crop.y1, w, h);
        blend(image, S, patch, w, h, px, py, col);
        clutter.push({ rect, source: { label: other, index } });
        break;
      }
    }
  }

  // 4. Instances and their ground truth.
  const mask = new Uint8Array(S * S);
  const instances: SceneInstance[] = [];
  for (const p of placed) {
    const col = tint();
    blend(image, S, p.patch, p.w, p.h, p.rect.x0, p.rect.y0, col);
    const m = new Uint8Array(S * S);
    const { box: tight } = maskOf(p.patch, p.w, p.h, p.rect.x0, p.rect.y0, S, r.maskThreshold, m, mask);
    // A scaled MNIST digit always has pixels far above any threshold < 1 (peak values are 1.0);
    // should it not, the box degenerates to the drawing rectangle.
    const box = tight ?? { ...p.rect };
    instances.push({ box, mask: m, source: p.source, rect: p.rect, tint: col });
  }

  // 5. Noise (approximately gaussian, see addNoise), then clamp to [0, 1].
  addNoise(image, rng, r.noise > 0 ? rng.uniform(0, r.noise) : 0);

  return { image, label, instances, mask, size: S, split: r.split, index, clutter };
}

/** Scene `index` of a split (same options + seed + index -> same bytes, whatever else is generated). */
export function generateScene(opts: Omit<SceneOptions, 'count' | 'start'>, index: number): Scene {
  if (!isInt(index) || index < 0) throw new InvalidInputError(`index must be an integer >= 0; got ${String(index)}.`);
  return generateOne(resolve(opts), index, loadMnist());
}

/** Scenes start .. start+count-1 of a split. The first call loads the MNIST JSON (~0.5 s). */
export function generateScenes(opts: SceneOptions): Scene[] {
  const r = resolve(opts);
  const start = opts.start ?? 0;
  if (!isInt(opts.count) || opts.count < 0) throw new InvalidInputError(`count must be an integer >= 0; got ${String(opts.count)}.`);
  if (!isInt(start) || start < 0) throw new InvalidInputError(`start must be an integer >= 0; got ${String(start)}.`);
  const mnist = loadMnist();
  const out: Scene[] = [];
  for (let i = 0; i < opts.count; i++) out.push(generateOne(r, start + i, mnist));
  return out;
}

/** Stacks scenes (all of one size) into xs [N,S,S,3] float32 and one-hot ys [N,10]. Caller disposes. */
export function scenesToTensors(scenes: readonly Scene[]): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  if (scenes.length === 0) throw new InvalidInputError('scenesToTensors needs at least one scene.');
  const S = scenes[0]!.size;
  const per = S * S * 3;
  const xs = new Float32Array(scenes.length * per);
  const ys = new Float32Array(scenes.length * NUM_CLASSES);
  scenes.forEach((s, i) => {
    if (s.size !== S || s.image.length !== per) throw new InvalidInputError(`scene ${i} has size ${s.size}, scene 0 has ${S}; all scenes must have one size.`);
    xs.set(s.image, i * per);
    ys[i * NUM_CLASSES + s.label] = 1;
  });
  return { xs: tf.tensor4d(xs, [scenes.length, S, S, 3]), ys: tf.tensor2d(ys, [scenes.length, NUM_CLASSES]) };
}

export type BatchOptions = Omit<SceneOptions, 'count'> & {
  /** Total scenes over all batches; undefined = endless. */
  count?: number;
};

/**
 * Batches of freshly generated scenes as tensors: scenes start.., batchSize at a time (the last
 * batch may be smaller). Only one batch is in memory at a time; the consumer disposes xs and ys
 * (model.fitDataset does). For a new set of scenes each epoch, change the seed (e.g. seed + epoch)
 * or continue with start = epoch * count. Usable as tf.data.generator(() => sceneBatches(o, 32)).
 */
export function* sceneBatches(opts: BatchOptions, batchSize: number): Generator<{ xs: tf.Tensor4D; ys: tf.Tensor2D }, void, unknown> {
  if (!isInt(batchSize) || batchSize < 1) throw new InvalidInputError(`batchSize must be an integer >= 1; got ${String(batchSize)}.`);
  const r = resolve(opts);
  const start = opts.start ?? 0;
  if (!isInt(start) || start < 0) throw new InvalidInputError(`start must be an integer >= 0; got ${String(start)}.`);
  if (opts.count !== undefined && (!isInt(opts.count) || opts.count < 0)) throw new InvalidInputError(`count must be an integer >= 0; got ${String(opts.count)}.`);
  const end = opts.count === undefined ? Infinity : start + opts.count;
  const mnist = loadMnist();
  for (let i = start; i < end; i += batchSize) {
    const n = Math.min(batchSize, end - i);
    const scenes: Scene[] = [];
    for (let k = 0; k < n; k++) scenes.push(generateOne(r, i + k, mnist));
    yield scenesToTensors(scenes);
  }
}
