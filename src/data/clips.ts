/**
 * Moving-digit clips with ground truth over time: T frames (default 10) of S x S RGB (default 64), the same
 * colour conventions as the digit scenes (dim background with a weak gradient, bright random tints, noise),
 * so a clip is T scene-like frames.
 *
 * What a clip shows (all draws from a mulberry32 stream seeded by hashSeed(seed, split, index), so clip i does
 * not depend on `count` or on the other clips; byte-identical for the same options on any JS engine):
 *  - label: balanced in every block of 10 consecutive indices, as the scenes;
 *  - target(s) (default 1): distinct MNIST samples of the label, scaled so their longer side is in `digitSize`,
 *    moving at a constant velocity of `targetSpeed` px/frame in any direction (no bounce) so that each ENTERS
 *    or LEAVES the field of view (or both): it is visible (see below) in one contiguous run of at least
 *    `minVisible` (default 3) frames, and wholly outside the frame in at least one frame. Trajectories that do
 *    not meet this are redrawn;
 *  - distractors (default 1..2): digits of OTHER classes (any of the 9, with repeats), on screen all along,
 *    moving at `speed` px/frame and bouncing off the borders (position reflected at 0 and S - side);
 *  - drawing order: distractors, then targets on top (so a target's pixels are never hidden), then noise
 *    (one sigma ~ U[0, noise) per clip, fresh draws per frame), clamped to [0, 1];
 *  - readable targets: each target is clear (at most `maxOverlap`, default 5 %, of its in-frame mask pixels shared
 *    with a distractor's mask) in at least `clearFrames` (default minVisible) of its visible frames; the
 *    distractors' paths are redrawn until it is. Strokes crossing a target can make it another digit (an 8 over
 *    a 7, a 5 over a 9): before this rule, clips with fewer than 3 clear frames were 17 % of the test split and
 *    a trained ConvLSTM read 80 % of them against 95 % of the others (docs/training.md).
 *
 * Ground truth per frame and per instance (targets and distractors): the drawn rectangle's top-left corner,
 * the mask (pixels of the frame where the instance's own intensity >= maskThreshold, default 0.3), its tight
 * box (exclusive ends; null when no mask pixel is in the frame), `fraction` = mask pixels inside the frame /
 * mask pixels of the whole digit, and `visible` = fraction >= visibleFraction (default 0.5). A distractor is
 * always wholly inside (fraction 1). A clip's `visible[t]` is true when any target is visible in frame t.
 *
 * Splits: 'train' draws its digits from the first 80% of each class's samples, 'test' from the last 20%
 * (held-out writers, as the scenes' test splits; see mnist-source.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.js';
import { Rng, hashSeed } from '../rng.js';
import { addNoise, blend, drawBackground, maskOf, maskPixels, randomTint, resample, type Rgb } from './raster.js';
import { loadMnist, poolRange, MNIST_PIXELS, NUM_CLASSES, type Box, type MnistClass, type SourceDigit, type SourcePool } from './mnist-source.js';

export type ClipSplit = 'train' | 'test';

export interface ClipOptions {
  split: ClipSplit;
  /** Number of clips. */
  count: number;
  /** Any safe integer. */
  seed: number;
  /** Index of the first clip (default 0). */
  start?: number;
  /** Frames T (default 10, 4..64). */
  frames?: number;
  /** Side S of the square frames (default 64, 32..256). */
  size?: number;
  /** Target instances [min, max] (default [1, 1], at most 2). */
  targets?: readonly [number, number];
  /** Distractors per clip [min, max] or n (default [1, 2], at most 4). */
  distractors?: number | readonly [number, number];
  /** Longer side of a digit's ink in px [min, max] (default [round(18 S/64), round(28 S/64)]). */
  digitSize?: readonly [number, number];
  /** Target speed in px per frame [min, max] (default [3 S/64, 6 S/64]). */
  targetSpeed?: readonly [number, number];
  /** Distractor speed in px per frame [min, max] (default [1 S/64, 3 S/64]). */
  speed?: readonly [number, number];
  /** Least number of frames in which a target is visible (default 3; at most frames - 1). */
  minVisible?: number;
  /** Share of a digit's mask inside the frame for it to count as visible (default 0.5, in (0, 1]). */
  visibleFraction?: number;
  /** Least number of a target's visible frames in which it is clear of distractors (default minVisible; 0: no rule). */
  clearFrames?: number;
  /** Largest share of a target's in-frame mask pixels shared with distractors for the frame to be clear (default 0.05, [0, 1]). */
  maxOverlap?: number;
  /** Maximum noise sigma (default 0.05). */
  noise?: number;
  /** false: white ink on black (default true). */
  colour?: boolean;
  /** Intensity threshold of the masks (default 0.3). */
  maskThreshold?: number;
}

export interface ClipInstance {
  source: SourceDigit;
  tint: Rgb;
  /** Width and height of the drawn rectangle. */
  w: number;
  h: number;
  /** Per frame: top-left corner of the drawn rectangle (may lie outside the frame for a target). */
  positions: { x: number; y: number }[];
  /** Per frame: tight box of the mask pixels inside the frame, or null when none. */
  boxes: (Box | null)[];
  /** Per frame: S*S, 1 where this digit's own intensity >= maskThreshold. */
  masks: Uint8Array[];
  /** Per frame: mask pixels inside the frame / mask pixels of the whole digit. */
  fraction: number[];
  /** Per frame: fraction >= visibleFraction. */
  visible: boolean[];
  /** Per frame: share of this digit's in-frame mask pixels that another digit's mask covers too (0 when none is in). */
  overlap: number[];
}

export interface Clip {
  /** T*S*S*3 floats in [0, 1], frame-major THWC. */
  frames: Float32Array;
  frameCount: number;
  size: number;
  /** Class 0..9 of the target(s). */
  label: number;
  targets: ClipInstance[];
  distractors: ClipInstance[];
  /** Per frame: some target is visible (one contiguous run, at least minVisible frames, not all frames). */
  visible: boolean[];
  split: ClipSplit;
  index: number;
}

export const CLIP_DEFAULTS = {
  frames: 10, size: 64, targets: [1, 1] as const, distractors: [1, 2] as const, minVisible: 3, visibleFraction: 0.5,
  noise: 0.05, maskThreshold: 0.3, maxOverlap: 0.05,
};
const SPLIT_ID: Record<ClipSplit, number> = { train: 11, test: 12 };
/** Trajectory draws per target before the clip gives up (only reachable with extreme options). */
const MAX_TRIES = 500;

interface Resolved {
  split: ClipSplit; seed: number; frames: number; size: number; targets: readonly [number, number];
  distractors: readonly [number, number]; digitSize: readonly [number, number]; targetSpeed: readonly [number, number];
  speed: readonly [number, number]; minVisible: number; visibleFraction: number; clearFrames: number; maxOverlap: number;
  noise: number; colour: boolean; maskThreshold: number; pool: SourcePool;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intRange(name: string, r: unknown, lo: number, hi: number): readonly [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !isInt(r[0]) || !isInt(r[1]) || r[0] < lo || r[1] > hi || r[0] > r[1]) {
    throw new InvalidInputError(`${name} must be [min, max] integers with ${lo} <= min <= max <= ${hi}; got ${JSON.stringify(r)}.`);
  }
  return [r[0], r[1]];
}

function numRange(name: string, r: unknown, lo: number, hi: number): readonly [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || r[0] < lo || r[1] > hi || r[0] > r[1]) {
    throw new InvalidInputError(`${name} must be [min, max] numbers with ${lo} <= min <= max <= ${hi}; got ${JSON.stringify(r)}.`);
  }
  return [r[0], r[1]];
}

function resolve(o: Omit<ClipOptions, 'count' | 'start'>): Resolved {
  if (o === null || typeof o !== 'object') throw new InvalidInputError('clip options must be an object with split, count and seed.');
  if (!(o.split in SPLIT_ID)) throw new InvalidInputError(`split must be 'train' or 'test'; got ${JSON.stringify(o.split)}.`);
  if (!isInt(o.seed)) throw new InvalidInputError(`seed must be a safe integer; got ${String(o.seed)}.`);
  const frames = o.frames ?? CLIP_DEFAULTS.frames;
  if (!isInt(frames) || frames < 4 || frames > 64) throw new InvalidInputError(`frames must be an integer in [4, 64]; got ${String(frames)}.`);
  const size = o.size ?? CLIP_DEFAULTS.size;
  if (!isInt(size) || size < 32 || size > 256) throw new InvalidInputError(`size must be an integer in [32, 256]; got ${String(size)}.`);
  const k = size / 64;
  const targets = intRange('targets', o.targets ?? CLIP_DEFAULTS.targets, 1, 2);
  const distractors = intRange('distractors', typeof o.distractors === 'number' ? [o.distractors, o.distractors] : (o.distractors ?? CLIP_DEFAULTS.distractors), 0, 4);
  const digitSize = intRange('digitSize', o.digitSize ?? [Math.round(18 * k), Math.round(28 * k)], 6, Math.floor(size / 2));
  const targetSpeed = numRange('targetSpeed', o.targetSpeed ?? [3 * k, 6 * k], 0.5, size);
  const speed = numRange('speed', o.speed ?? [1 * k, 3 * k], 0, size / 4);
  const minVisible = o.minVisible ?? CLIP_DEFAULTS.minVisible;
  if (!isInt(minVisible) || minVisible < 1 || minVisible > frames - 1) {
    throw new InvalidInputError(`minVisible must be an integer in [1, frames - 1 = ${frames - 1}]; got ${String(minVisible)}.`);
  }
  const visibleFraction = o.visibleFraction ?? CLIP_DEFAULTS.visibleFraction;
  if (typeof visibleFraction !== 'number' || !(visibleFraction > 0 && visibleFraction <= 1)) {
    throw new InvalidInputError(`visibleFraction must be a number in (0, 1]; got ${String(visibleFraction)}.`);
  }
  const clearFrames = o.clearFrames ?? minVisible;
  if (!isInt(clearFrames) || clearFrames < 0 || clearFrames > frames - 1) {
    throw new InvalidInputError(`clearFrames must be an integer in [0, frames - 1 = ${frames - 1}]; got ${String(clearFrames)}.`);
  }
  const maxOverlap = o.maxOverlap ?? CLIP_DEFAULTS.maxOverlap;
  if (typeof maxOverlap !== 'number' || !(maxOverlap >= 0 && maxOverlap <= 1)) {
    throw new InvalidInputError(`maxOverlap must be a number in [0, 1]; got ${String(maxOverlap)}.`);
  }
  const noise = o.noise ?? CLIP_DEFAULTS.noise;
  if (typeof noise !== 'number' || !(noise >= 0 && noise <= 1)) throw new InvalidInputError(`noise must be a number in [0, 1]; got ${String(noise)}.`);
  const maskThreshold = o.maskThreshold ?? CLIP_DEFAULTS.maskThreshold;
  if (typeof maskThreshold !== 'number' || !(maskThreshold > 0 && maskThreshold < 1)) {
    throw new InvalidInputError(`maskThreshold must be in (0, 1); got ${String(maskThreshold)}.`);
  }
  if (o.colour !== undefined && typeof o.colour !== 'boolean') throw new InvalidInputError(`colour must be true or false; got ${String(o.colour)}.`);
  return {
    split: o.split, seed: o.seed, frames, size, targets, distractors, digitSize, targetSpeed, speed, minVisible,
    visibleFraction, clearFrames, maxOverlap, noise, colour: o.colour ?? true, maskThreshold, pool: o.split === 'train' ? 'train' : 'test',
  };
}

interface Sprite { source: SourceDigit; patch: Float32Array; w: number; h: number; inked: number }

/** A scaled digit of class `label` from the split's pool, not one of `used`. */
function sprite(rng: Rng, r: Resolved, mnist: MnistClass[], label: number, used: Set<string>): Sprite {
  const cls = mnist[label]!;
  const [lo, hi] = poolRange(r.pool, label);
  let index = rng.int(lo, hi - 1);
  while (used.has(`${label}:${index}`)) index = rng.int(lo, hi - 1);
  used.add(`${label}:${index}`);
  const b = cls.inkBoxes.subarray(index * 4, index * 4 + 4);
  const bw = b[2]! - b[0]!, bh = b[3]! - b[1]!;
  const target = rng.uniform(r.digitSize[0], r.digitSize[1]);
  const jitter = rng.uniform(0.85, 1.15);
  const scale = target / Math.max(bw * jitter, bh);
  const w = Math.min(r.size, Math.max(1, Math.round(bw * scale * jitter)));
  const h = Math.min(r.size, Math.max(1, Math.round(bh * scale)));
  const patch = resample(cls.pixels, index * MNIST_PIXELS, b[0]!, b[1]!, b[0]! + bw, b[1]! + bh, w, h);
  return { source: { label, index }, patch, w, h, inked: Math.max(1, maskPixels(patch, r.maskThreshold)) };
}

/** A random direction (no trigonometry): a point of the unit disc's ring [0.3, 1], normalised. */
function direction(rng: Rng): [number, number] {
  for (;;) {
    const dx = rng.uniform(-1, 1), dy = rng.uniform(-1, 1), n2 = dx * dx + dy * dy;
    if (n2 <= 1 && n2 >= 0.09) { const n = Math.sqrt(n2); return [dx / n, dy / n]; }
  }
}

/** Mask pixels of the sprite inside the S x S frame when drawn at (px, py). */
function inside(s: Sprite, px: number, py: number, S: number, threshold: number): number {
  let n = 0;
  const ya = Math.max(0, -py), yb = Math.min(s.h, S - py), xa = Math.max(0, -px), xb = Math.min(s.w, S - px);
  for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) if (s.patch[y * s.w + x]! >= threshold) n++;
  return n;
}

/** Visible flags meet the clip's rule: one contiguous run of >= minVisible frames and one frame wholly out. */
export function visibilityOk(visible: readonly boolean[], fraction: readonly number[], minVisible: number): boolean {
  const first = visible.indexOf(true), last = visible.lastIndexOf(true);
  if (first < 0 || last - first + 1 < minVisible) return false;
  for (let t = first; t <= last; t++) if (!visible[t]) return false;
  return fraction.some((f) => f === 0);
}

/** Straight-line target trajectory meeting the visibility rule, or null after MAX_TRIES. */
function targetPath(rng: Rng, r: Resolved, s: Sprite): { x: number; y: number }[] | null {
  const S = r.size, T = r.frames;
  for (let k = 0; k < MAX_TRIES; k++) {
    const [dx, dy] = direction(rng);
    const v = rng.uniform(r.targetSpeed[0], r.targetSpeed[1]);
    const tc = rng.int(0, T - 1);
    const x0 = rng.uniform(0, S - s.w), y0 = rng.uniform(0, S - s.h);
    const pos: { x: number; y: number }[] = [];
    const frac: number[] = [];
    for (let t = 0; t < T; t++) {
      const x = Math.round(x0 + dx * v * (t - tc)), y = Math.round(y0 + dy * v * (t - tc));
      pos.push({ x, y });
      frac.push(inside(s, x, y, S, r.maskThreshold) / s.inked);
    }
    if (visibilityOk(frac.map((f) => f >= r.visibleFraction), frac, r.minVisible)) return pos;
  }
  return null;
}

/** Bouncing trajectory inside the frame: reflected at 0 and S - side on each axis. */
function bouncePath(rng: Rng, r: Resolved, s: Sprite): { x: number; y: number }[] {
  const S = r.size;
  const [dx, dy] = direction(rng);
  const v = rng.uniform(r.speed[0], r.speed[1]);
  let x = rng.uniform(0, S - s.w), y = rng.uniform(0, S - s.h), vx = dx * v, vy = dy * v;
  const reflect = (p: number, vp: number, hi: number): [number, number] => {
    for (let i = 0; i < 4 && (p < 0 || p > hi); i++) {
      if (p < 0) { p = -p; vp = -vp; } else { p = 2 * hi - p; vp = -vp; }
    }
    return [Math.min(hi, Math.max(0, p)), vp];
  };
  const pos: { x: number; y: number }[] = [];
  for (let t = 0; t < r.frames; t++) {
    pos.push({ x: Math.round(x), y: Math.round(y) });
    [x, vx] = reflect(x + vx, vx, S - s.w);
    [y, vy] = reflect(y + vy, vy, S - s.h);
  }
  return pos;
}

type Drawn = { masks: Uint8Array[]; boxes: (Box | null)[]; fraction: number[] };

/** Per frame: the sprite's mask on the S x S frame, its box and the share of its mask inside the frame. */
function drawnMasks(r: Resolved, s: Sprite, positions: readonly { x: number; y: number }[]): Drawn {
  const S = r.size;
  const d: Drawn = { masks: [], boxes: [], fraction: [] };
  for (const p of positions) {
    const m = new Uint8Array(S * S);
    const { box, pixels } = maskOf(s.patch, s.w, s.h, p.x, p.y, S, r.maskThreshold, m);
    d.masks.push(m); d.boxes.push(box); d.fraction.push(pixels / s.inked);
  }
  return d;
}

/** Per frame: share of `own`'s mask pixels that any of `others` covers too (0 where `own` has none). */
export function overlapShares(own: readonly Uint8Array[], others: readonly (readonly Uint8Array[])[]): number[] {
  return own.map((m, t) => {
    let n = 0, shared = 0;
    for (let k = 0; k < m.length; k++) {
      if (!m[k]) continue;
      n++;
      if (others.some((o) => o[t]![k])) shared++;
    }
    return n > 0 ? shared / n : 0;
  });
}

/** Each target is clear (overlap <= maxOverlap) in at least clearFrames of its visible frames. */
function targetsClear(r: Resolved, targets: readonly Drawn[], distractors: readonly Drawn[]): boolean {
  if (r.clearFrames === 0 || distractors.length === 0) return true;
  const others = distractors.map((d) => d.masks);
  return targets.every((q) => overlapShares(q.masks, others)
    .filter((o, t) => q.fraction[t]! >= r.visibleFraction && o <= r.maxOverlap).length >= r.clearFrames);
}

function instance(r: Resolved, s: Sprite, tint: Rgb, positions: { x: number; y: number }[], d: Drawn, overlap: number[]): ClipInstance {
  return { source: s.source, tint, w: s.w, h: s.h, positions, ...d, visible: d.fraction.map((f) => f >= r.visibleFraction), overlap };
}

function generateOne(r: Resolved, index: number, mnist: MnistClass[]): Clip {
  const S = r.size, T = r.frames;
  const perm = new Rng(hashSeed(r.seed, SPLIT_ID[r.split], Math.floor(index / NUM_CLASSES), 0xb10c)).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const label = perm[index % NUM_CLASSES]!;
  const rng = new Rng(hashSeed(r.seed, SPLIT_ID[r.split], index));
  const used = new Set<string>();

  // 1. Targets: each a straight path meeting the rule; with two, their union must meet it too.
  const nTargets = rng.int(r.targets[0], r.targets[1]);
  let targets: { s: Sprite; path: { x: number; y: number }[] }[] = [];
  for (let attempt = 0; attempt < 50 && targets.length < nTargets; attempt++) {
    const s = sprite(rng, r, mnist, label, used);
    const path = targetPath(rng, r, s);
    if (!path) continue;
    targets.push({ s, path });
    if (targets.length === nTargets && nTargets > 1) {
      const frac = Array.from({ length: T }, (_, t) => Math.max(...targets.map((q) => inside(q.s, q.path[t]!.x, q.path[t]!.y, S, r.maskThreshold) / q.s.inked)));
      if (!visibilityOk(frac.map((f) => f >= r.visibleFraction), frac, r.minVisible)) targets = targets.slice(0, -1);
    }
  }
  if (targets.length < nTargets) {
    throw new InvalidInputError(`could not draw ${nTargets} target path(s) visible in >= ${r.minVisible} of ${T} frames with ` +
      `targetSpeed ${JSON.stringify(r.targetSpeed)} and digitSize ${JSON.stringify(r.digitSize)}; use a higher targetSpeed, smaller digits or more frames.`);
  }

  // 2. Distractors of other classes, bouncing inside the frame; their paths redrawn until every target is clear
  //    of them in clearFrames of its visible frames.
  const nDistractors = rng.int(r.distractors[0], r.distractors[1]);
  const distractors: { s: Sprite; path: { x: number; y: number }[] }[] = [];
  for (let k = 0; k < nDistractors; k++) {
    let other = rng.int(0, NUM_CLASSES - 2);
    if (other >= label) other++;
    const s = sprite(rng, r, mnist, other, used);
    distractors.push({ s, path: bouncePath(rng, r, s) });
  }
  const tDrawn = targets.map((q) => drawnMasks(r, q.s, q.path));
  let dDrawn = distractors.map((d) => drawnMasks(r, d.s, d.path));
  for (let k = 0; !targetsClear(r, tDrawn, dDrawn); k++) {
    if (k === MAX_TRIES) {
      throw new InvalidInputError(`could not keep the target(s) clear of ${nDistractors} distractor(s) in >= ${r.clearFrames} visible frames; ` +
        'use fewer distractors, smaller digits, a lower clearFrames or a higher maxOverlap.');
    }
    for (const d of distractors) d.path = bouncePath(rng, r, d.s);
    dDrawn = distractors.map((d) => drawnMasks(r, d.s, d.path));
  }

  // 3. Colours, background, drawing, noise.
  const dTints = distractors.map(() => randomTint(rng, r.colour));
  const tTints = targets.map(() => randomTint(rng, r.colour));
  const background = new Float32Array(S * S * 3);
  drawBackground(background, S, rng, r.colour);
  const sigma = r.noise > 0 ? rng.uniform(0, r.noise) : 0;
  const per = S * S * 3;
  const frames = new Float32Array(T * per);
  for (let t = 0; t < T; t++) {
    const img = frames.subarray(t * per, (t + 1) * per);
    img.set(background);
    distractors.forEach((d, k) => blend(img, S, d.s.patch, d.s.w, d.s.h, d.path[t]!.x, d.path[t]!.y, dTints[k]!));
    targets.forEach((q, k) => blend(img, S, q.s.patch, q.s.w, q.s.h, q.path[t]!.x, q.path[t]!.y, tTints[k]!));
    addNoise(img, rng, sigma);
  }
  const all = [...tDrawn, ...dDrawn];
  const inst = (s: Sprite, tint: Rgb, path: { x: number; y: number }[], d: Drawn) =>
    instance(r, s, tint, path, d, overlapShares(d.masks, all.filter((x) => x !== d).map((x) => x.masks)));
  const tInst = targets.map((q, k) => inst(q.s, tTints[k]!, q.path, tDrawn[k]!));
  const dInst = distractors.map((d, k) => inst(d.s, dTints[k]!, d.path, dDrawn[k]!));
  const visible = Array.from({ length: T }, (_, t) => tInst.some((i) => i.visible[t]));
  return { frames, frameCount: T, size: S, label, targets: tInst, distractors: dInst, visible, split: r.split, index };
}

function checkCountStart(count: unknown, start: unknown): void {
  if (!isInt(count) || count < 0) throw new InvalidInputError(`count must be an integer >= 0; got ${String(count)}.`);
  if (!isInt(start) || start < 0) throw new InvalidInputError(`start must be an integer >= 0; got ${String(start)}.`);
}

/** Clip `index` of a split (same options + seed + index -> same bytes, whatever else is generated). */
export function generateClip(opts: Omit<ClipOptions, 'count' | 'start'>, index: number): Clip {
  if (!isInt(index) || index < 0) throw new InvalidInputError(`index must be an integer >= 0; got ${String(index)}.`);
  return generateOne(resolve(opts), index, loadMnist());
}

/** Clips start .. start+count-1 of a split. */
export function generateClips(opts: ClipOptions): Clip[] {
  const r = resolve(opts);
  const start = opts.start ?? 0;
  checkCountStart(opts.count, start);
  const mnist = loadMnist();
  return Array.from({ length: opts.count }, (_, i) => generateOne(r, start + i, mnist));
}

/** Stacks clips (one T and S) into xs [N,T,S,S,3] and one-hot ys [N,10]. Caller disposes. */
export function clipsToTensors(clips: readonly Clip[]): { xs: tf.Tensor5D; ys: tf.Tensor2D } {
  if (clips.length === 0) throw new InvalidInputError('clipsToTensors needs at least one clip.');
  const { frameCount: T, size: S } = clips[0]!;
  const per = T * S * S * 3;
  const xs = new Float32Array(clips.length * per);
  const ys = new Float32Array(clips.length * NUM_CLASSES);
  clips.forEach((c, i) => {
    if (c.frameCount !== T || c.size !== S) throw new InvalidInputError(`clip ${i} is ${c.frameCount} x ${c.size}px, clip 0 is ${T} x ${S}px; all clips must have one shape.`);
    xs.set(c.frames, i * per);
    ys[i * NUM_CLASSES + c.label] = 1;
  });
  return { xs: tf.tensor5d(xs, [clips.length, T, S, S, 3]), ys: tf.tensor2d(ys, [clips.length, NUM_CLASSES]) };
}

/**
 * Where the target is, per frame, on a cells x cells grid over the frame: 1 where a pixel of a target's mask falls in
 * the cell, else 0 (frame-major, [T, cells, cells]). The auxiliary target of a gated clip model's training.
 */
export function targetCells(clip: Clip, cells: number): Float32Array {
  const { frameCount: T, size: S } = clip;
  if (!isInt(cells) || cells < 1 || S % cells !== 0) throw new InvalidInputError(`cells must be an integer >= 1 that divides the frame side ${S}; got ${String(cells)}.`);
  const step = S / cells, out = new Float32Array(T * cells * cells);
  for (const target of clip.targets) {
    target.masks.forEach((m, t) => {
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
        if (m[y * S + x]) out[(t * cells + Math.floor(y / step)) * cells + Math.floor(x / step)] = 1;
      }
    });
  }
  return out;
}

export type ClipBatchOptions = Omit<ClipOptions, 'count'> & {
  /** Total clips; undefined = endless. */
  count?: number;
  /** Also yield `cells` [n, T, cells, cells, 1]: targetCells of each clip on this grid. */
  cells?: number;
};

/** Batches of fresh clips as tensors, batchSize at a time (the consumer disposes them), like sceneBatches. */
export function* clipBatches(opts: ClipBatchOptions, batchSize: number): Generator<{ xs: tf.Tensor5D; ys: tf.Tensor2D; cells?: tf.Tensor5D }, void, unknown> {
  if (!isInt(batchSize) || batchSize < 1) throw new InvalidInputError(`batchSize must be an integer >= 1; got ${String(batchSize)}.`);
  const r = resolve(opts);
  const start = opts.start ?? 0;
  checkCountStart(opts.count ?? 0, start);
  const end = opts.count === undefined ? Infinity : start + opts.count;
  const mnist = loadMnist();
  for (let i = start; i < end; i += batchSize) {
    const n = Math.min(batchSize, end - i);
    const clips = Array.from({ length: n }, (_, k) => generateOne(r, i + k, mnist));
    const c = opts.cells;
    if (c === undefined) { yield clipsToTensors(clips); continue; }
    const cells = new Float32Array(n * r.frames * c * c);
    clips.forEach((clip, k) => cells.set(targetCells(clip, c), k * r.frames * c * c));
    yield { ...clipsToTensors(clips), cells: tf.tensor5d(cells, [n, r.frames, c, c, 1]) };
  }
}
