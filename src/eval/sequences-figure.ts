/**
 * One figure of a clip's explanations over time: row 1 the frames (target boxes in green where the target is
 * visible), then per method a row of jet overlays of its heatmaps (normalised over the whole clip, so a dim frame
 * matters less) and a row of bars, the per-frame importance profile (the frames where the target is visible in
 * green, the others in grey; the bars share one scale across methods).
 */
import { overlay } from '../render.js';
import type { Clip } from '../data/clips.js';
import type { Box } from '../metrics/regions.js';
import type { SequenceExplanation } from '../sequence/index.js';
import { composeGrid, drawBoxes, rgbToRgba, solid, upscale, type Rgb } from '../node/figures.js';
import type { RgbaImage } from '../node/image-io.js';

const SCALE = 2;
const BAR: Record<'visible' | 'hidden', Rgb> = { visible: [40, 160, 60], hidden: [150, 150, 150] };

function frameOf(clip: Clip, t: number): Float32Array {
  const n = clip.size * clip.size * 3;
  return clip.frames.subarray(t * n, (t + 1) * n);
}

/** A bar of height share / top of the cell, in a cell of the frame's size. */
function bar(share: number, top: number, side: number, colour: Rgb): RgbaImage {
  const img = solid(side, side, [255, 255, 255]);
  const h = Math.round((top > 0 ? share / top : 0) * (side - 2));
  const x0 = Math.round(side * 0.25), x1 = Math.round(side * 0.75);
  for (let y = side - h; y < side; y++) {
    for (let x = x0; x < x1; x++) img.data.set([...colour, 255], (y * side + x) * 4);
  }
  return img;
}

/** The figure of one clip (every explanation of the same clip and class, heatmaps at the clip's size). */
export async function clipFigure(clip: Clip, ex: readonly SequenceExplanation[]): Promise<RgbaImage> {
  const T = clip.frameCount, S = clip.size, side = S * SCALE;
  const boxesAt = (t: number) => clip.targets.map((i) => i.boxes[t]).filter((b): b is Box => b != null && clip.visible[t]);
  const frames = Array.from({ length: T }, (_, t) => rgbToRgba(frameOf(clip, t), S, S));
  const framed = frames.map((f, t) => { const u = upscale(f, SCALE); drawBoxes(u, boxesAt(t), SCALE); return u; });
  const rows: RgbaImage[][] = [framed];
  const top = Math.max(...ex.flatMap((e) => Array.from(e.profile)));
  for (const e of ex) {
    rows.push(await Promise.all(frames.map(async (f, t) => upscale(await overlay(f, e.heatmaps[t]), SCALE))));
    rows.push(Array.from({ length: T }, (_, t) => bar(e.profile[t], top, side, clip.visible[t] ? BAR.visible : BAR.hidden)));
  }
  return composeGrid(rows);
}
