/**
 * The evaluation of sequence explanations on moving-digit clips with ground truth (src/data/clips.ts). For every
 * clip of a split, c = the top-1 prediction, and every method:
 *   - faithfulness (the paper's protocol with E = L o clip, the map multiplied frame by frame): Y = p(c | clip) and
 *     O = p(c | E) from one predict on the batch [clip, E_1, ..., E_M]; relative drop, increase, Win share;
 *   - temporal localisation: the share of the profile (map energy) in the frames where the target is visible,
 *     beside the share of those frames (what a map spread evenly over time scores);
 *   - spatial localisation per visible frame (clips classified correctly, so c is the target's class): Loc(delta),
 *     energy pointing game (target boxes) and IoU(delta) with the target masks, on the frame's heatmap min-max
 *     normalised within the frame (the clip-wide normalisation is what the temporal share measures), averaged over
 *     the clip's visible frames.
 * Every metric is a function of src/metrics/. Deterministic for a model, split, seed and count.
 */
import * as tf from '@tensorflow/tfjs';
import { generateClip, type Clip, type ClipSplit } from '../data/clips.js';
import type { MethodName } from '../methods/registry.js';
import { boxesMask, energyPointingGame, loc, maskIoU, relativeDrop, winShares, LOC_DELTAS, type Box } from '../metrics/index.js';
import { explainSequence, type SequenceExplanation } from '../sequence/index.js';

export interface ClipEvalOptions {
  split: ClipSplit;
  /** Clips 0..n-1 of the split. */
  n: number;
  seed: number;
  methods: readonly MethodName[];
  /** The target layer (default: explainSequence's, the last ConvLSTM2D). */
  layer?: string;
  onProgress?: (done: number, n: number) => void;
}

/**
 * Per-clip values of one method: drop (%), increase (0/100), win (%), temporal (share), the explanation's timings (ms),
 * and, for correct clips, the spatial metrics.
 */
export type ClipMethodValues = Record<string, number>;

export interface ClipRecord {
  /** The explained layer. */
  layer: string;
  index: number; label: number; predicted: number; correct: boolean; y: number;
  visibleFrames: number; frames: number;
  methods: Partial<Record<MethodName, ClipMethodValues>>;
}

/** Min-max of one frame to [0, 1] (an all-equal frame becomes zeros). */
function normalised(frame: Float32Array): Float32Array {
  let lo = Infinity, hi = -Infinity;
  for (const v of frame) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const out = new Float32Array(frame.length);
  if (hi > lo) for (let i = 0; i < frame.length; i++) out[i] = (frame[i] - lo) / (hi - lo);
  return out;
}

/** The union of the targets' masks in frame t. */
function targetMask(clip: Clip, t: number): Uint8Array {
  const m = new Uint8Array(clip.size * clip.size);
  for (const inst of clip.targets) inst.masks[t].forEach((v, i) => { if (v) m[i] = 1; });
  return m;
}

/** Spatial metrics of one visible frame's heatmap (min-max normalised within the frame first). */
export function frameMetrics(clip: Clip, t: number, heat: Float32Array): Record<string, number> {
  const S = clip.size;
  const boxes = clip.targets.map((i) => i.boxes[t]).filter((b): b is Box => b != null);
  const region = boxesMask(boxes, S, S), mask = targetMask(clip, t), map = normalised(heat);
  const v: Record<string, number> = { ebpg: energyPointingGame(map, region) };
  LOC_DELTAS.forEach((d, j) => { v[`loc@${j}`] = loc(map, region, d); v[`iou@${j}`] = maskIoU(map, mask, d); });
  return v;
}

/** p(c | x) for a batch of clips [n, T, S, S, 3] (the model's own output activation). */
function probabilitiesOf(model: tf.LayersModel, batch: tf.Tensor, c: number): number[] {
  return tf.tidy(() => Array.from((model.predict(batch) as tf.Tensor2D).slice([0, c], [-1, 1]).dataSync()));
}

export async function evaluateClips(model: tf.LayersModel, o: ClipEvalOptions): Promise<ClipRecord[]> {
  const records: ClipRecord[] = [];
  const [, T, S] = model.inputs[0].shape as number[];
  for (let i = 0; i < o.n; i++) {
    const clip = generateClip({ split: o.split, seed: o.seed, frames: T, size: S }, i);
    const x = tf.tensor4d(clip.frames, [T, S, S, 3]);
    try {
      const ex: SequenceExplanation[] = [];
      for (const method of o.methods) ex.push(await explainSequence(model, x, { method, layer: o.layer, target: ex[0]?.classIndex ?? 'top' }));
      const c = ex[0].classIndex;
      const probs = tf.tidy(() => {
        const es = ex.map((e) => tf.mul(x, tf.tensor4d(concat(e.heatmaps), [T, S, S, 1])));
        return probabilitiesOf(model, tf.stack([x, ...es]), c);
      });
      const y = probs[0];
      const drops = ex.map((_, m) => relativeDrop(y, Math.min(1, probs[m + 1])));
      const wins = winShares(drops);
      const visible = clip.visible.map((v, t) => (v ? t : -1)).filter((t) => t >= 0);
      const correct = c === clip.label;
      const rec: ClipRecord = { layer: ex[0].layer, index: i, label: clip.label, predicted: c, correct, y, visibleFrames: visible.length, frames: T, methods: {} };
      ex.forEach((e, m) => {
        const v: ClipMethodValues = {
          drop: 100 * drops[m], increase: probs[m + 1] > y ? 100 : 0, win: 100 * wins[m],
          temporal: visible.reduce((s, t) => s + e.profile[t], 0), chance: visible.length / T,
          ms: e.timings.total, forwardMs: e.timings.forward, gradientsMs: e.timings.gradients, mapsMs: e.timings.maps,
        };
        if (correct) {
          const per = visible.map((t) => frameMetrics(clip, t, e.heatmaps[t]));
          for (const k of Object.keys(per[0])) v[k] = per.reduce((s, f) => s + f[k], 0) / per.length;
        }
        rec.methods[e.method] = v;
      });
      records.push(rec);
    } finally {
      x.dispose();
    }
    o.onProgress?.(i + 1, o.n);
  }
  return records;
}

function concat(frames: Float32Array[]): Float32Array {
  const out = new Float32Array(frames.reduce((n, f) => n + f.length, 0));
  let off = 0;
  for (const f of frames) { out.set(f, off); off += f.length; }
  return out;
}
