/**
 * Pictures of a sequence explanation (explainSequence: per-frame heatmaps and the per-frame importance
 * profile): an animated GIF (gifenc: one palette for the whole clip, so colours do not flicker) whose frame
 * t shows clip frame t beside its jet overlay (src/render.ts) above the profile's bar chart with bar t
 * highlighted, or a still sheet (PNG): the frames in a row, their overlays under them, one bar per column.
 * Ground-truth frames (`visible`, e.g. where the target digit is on screen) are marked green under the bars.
 *
 * @example
 * const e = await explainSequence(model, clip);      // frames: clip.frames, RGBA at e.width x e.height
 * writeSequenceFigure('clip.gif', clip.frames, e);   // or 'clip.png' for the still sheet
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CLIP_FRAME_DELAY_MS, DEFAULT_OVERLAY_ALPHA } from '../constants.js';
import { InvalidInputError } from '../errors.js';
import { overlay } from '../render.js';
import type { RgbaImage } from './image-io.js';
import { encodePng } from './image-io.js';

/** What the figures need of a sequence explanation (SequenceExplanation has these fields). */
export interface SequenceMaps {
  /** T heatmaps, each width x height, values in [0,1]. */
  heatmaps: readonly Float32Array[];
  /** T non-negative per-frame importances (a share of the map: they sum to 1). */
  profile: ArrayLike<number>;
  width: number;
  height: number;
}

export interface SequenceFigureOptions {
  /** Heatmap opacity in the overlays, 0..1 (default DEFAULT_OVERLAY_ALPHA). */
  alpha?: number;
  /** Integer enlargement of the frames, nearest neighbour (default: frames about 256 px, or 128 px in a sheet). */
  scale?: number;
  /** Per frame: ground truth to mark under the bars (e.g. the target is visible). */
  visible?: readonly boolean[];
  /** GIF frame delay in ms (default CLIP_FRAME_DELAY_MS). */
  delayMs?: number;
}

/** The part of gifenc@1 (MIT, CommonJS, no type declarations) used here. */
type Palette = number[][];
interface Gifenc {
  GIFEncoder(): { writeFrame(index: Uint8Array, w: number, h: number, o: { palette: Palette; delay: number; repeat: number }): void; finish(): void; bytes(): Uint8Array };
  quantize(rgba: Uint8ClampedArray, maxColors: number, o: { format: 'rgb444' | 'rgb565' }): Palette;
  applyPalette(rgba: Uint8ClampedArray, palette: Palette): Uint8Array;
}
const gifenc = createRequire(import.meta.url)('gifenc') as Gifenc;

const WHITE = [255, 255, 255] as const, BAR = [150, 150, 150] as const, CURRENT = [10, 102, 194] as const;
const TRUTH = [46, 160, 67] as const, AXIS = [60, 60, 60] as const;
type Rgb = readonly [number, number, number];

function blank(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) { data[i] = WHITE[0]; data[i + 1] = WHITE[1]; data[i + 2] = WHITE[2]; data[i + 3] = 255; }
  return { data, width, height };
}

function rect(img: RgbaImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  for (let yy = Math.max(0, y); yy < Math.min(img.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(img.width, x + w); xx++) {
      const i = (yy * img.width + xx) * 4;
      img.data[i] = c[0]; img.data[i + 1] = c[1]; img.data[i + 2] = c[2]; img.data[i + 3] = 255;
    }
  }
}

/** Draws `src` enlarged `s` times (nearest neighbour) with its top-left corner at (x0, y0). */
function blit(dst: RgbaImage, src: RgbaImage, x0: number, y0: number, s: number): void {
  const d = new Uint32Array(dst.data.buffer, dst.data.byteOffset, dst.width * dst.height);
  const p = new Uint32Array(src.data.buffer.slice(src.data.byteOffset, src.data.byteOffset + src.width * src.height * 4));
  for (let y = 0; y < src.height * s; y++) {
    const row = Math.floor(y / s) * src.width, out = (y0 + y) * dst.width + x0;
    for (let x = 0; x < src.width * s; x++) d[out + x] = p[row + Math.floor(x / s)]!;
  }
}

/**
 * Bars of the profile in `slots` columns of `slot` px from x0 (bar height proportional to the value, the
 * largest filling `h`), a baseline under them, and a green mark under the ground-truth frames.
 */
function bars(img: RgbaImage, profile: ArrayLike<number>, x0: number, y0: number, slot: number, h: number,
  colour: (t: number) => Rgb, visible?: readonly boolean[]): void {
  let max = 0;
  for (let t = 0; t < profile.length; t++) max = Math.max(max, profile[t]!);
  const mark = Math.max(2, Math.round(h / 12)), barW = Math.max(1, Math.round(slot * 0.7)), pad = Math.floor((slot - barW) / 2);
  for (let t = 0; t < profile.length; t++) {
    const bh = max > 0 ? Math.round((h * profile[t]!) / max) : 0;
    rect(img, x0 + t * slot + pad, y0 + h - bh, barW, bh, colour(t));
    if (visible?.[t]) rect(img, x0 + t * slot + pad, y0 + h + 2, barW, mark, TRUTH);
  }
  rect(img, x0, y0 + h, slot * profile.length, 1, AXIS);
}

function check(frames: readonly RgbaImage[], maps: SequenceMaps, o: SequenceFigureOptions): { alpha: number } {
  const T = frames.length;
  if (T === 0) throw new InvalidInputError('A sequence figure needs at least one frame.');
  if (maps.heatmaps.length !== T || maps.profile.length !== T) {
    throw new InvalidInputError(`The clip has ${T} frames but the explanation has ${maps.heatmaps.length} heatmaps and ` +
      `${maps.profile.length} profile values; draw a clip with its own explanation.`);
  }
  frames.forEach((f, t) => {
    if (f.width !== maps.width || f.height !== maps.height) {
      throw new InvalidInputError(`Frame ${t + 1} is ${f.width}x${f.height} but the heatmaps are ${maps.width}x${maps.height}; ` +
        'draw the frames at the size the clip was explained at (resize them, or explain with that output size).');
    }
  });
  for (let t = 0; t < T; t++) {
    if (!(maps.profile[t]! >= 0 && Number.isFinite(maps.profile[t]!))) {
      throw new InvalidInputError(`profile[${t}] is ${maps.profile[t]}; a profile holds finite values >= 0.`);
    }
  }
  if (o.visible && o.visible.length !== T) throw new InvalidInputError(`visible has ${o.visible.length} flags for ${T} frames.`);
  const alpha = o.alpha ?? DEFAULT_OVERLAY_ALPHA;
  if (!(alpha >= 0 && alpha <= 1)) throw new InvalidInputError(`alpha must be in [0,1], got ${o.alpha}.`);
  if (o.scale !== undefined && !(Number.isInteger(o.scale) && o.scale >= 1 && o.scale <= 16)) {
    throw new InvalidInputError(`scale must be an integer 1..16, got ${o.scale}.`);
  }
  if (o.delayMs !== undefined && !(Number.isInteger(o.delayMs) && o.delayMs >= 10 && o.delayMs <= 655350)) {
    throw new InvalidInputError(`delayMs must be an integer in [10, 655350] (GIF delays are hundredths of a second), got ${o.delayMs}.`);
  }
  return { alpha };
}

const autoScale = (w: number, h: number, side: number) => Math.max(1, Math.floor(side / Math.max(w, h)));

async function overlays(frames: readonly RgbaImage[], maps: SequenceMaps, alpha: number): Promise<RgbaImage[]> {
  const out: RgbaImage[] = [];
  for (let t = 0; t < frames.length; t++) out.push(await overlay(frames[t]!, { heatmap: maps.heatmaps[t]!, width: maps.width, height: maps.height }, { alpha }));
  return out;
}

/** The animation's frames: frame t | its overlay, above the profile with bar t highlighted. */
export async function sequencePanels(frames: readonly RgbaImage[], maps: SequenceMaps, o: SequenceFigureOptions = {}): Promise<RgbaImage[]> {
  const { alpha } = check(frames, maps, o);
  const s = o.scale ?? autoScale(maps.width, maps.height, 256);
  const fw = maps.width * s, fh = maps.height * s, gap = 2 * s;
  const T = frames.length, width = 2 * fw + gap;
  const slot = Math.max(1, Math.floor(width / T)), chartH = Math.max(16, Math.round(fh / 4));
  const x0 = Math.floor((width - slot * T) / 2), y0 = fh + 2 * gap;
  const height = y0 + chartH + Math.max(2, Math.round(chartH / 12)) + 2 + gap;
  const over = await overlays(frames, maps, alpha);
  return frames.map((f, t) => {
    const img = blank(width, height);
    blit(img, f, 0, 0, s);
    blit(img, over[t]!, fw + gap, 0, s);
    bars(img, maps.profile, x0, y0, slot, chartH, (k) => (k === t ? CURRENT : BAR), o.visible);
    return img;
  });
}

/** A still of the whole clip: frames in a row, their overlays under them, one profile bar under each column. */
export async function sequenceSheet(frames: readonly RgbaImage[], maps: SequenceMaps, o: SequenceFigureOptions = {}): Promise<RgbaImage> {
  const { alpha } = check(frames, maps, o);
  const s = o.scale ?? autoScale(maps.width, maps.height, 128);
  const fw = maps.width * s, fh = maps.height * s, gap = Math.max(2, s * 2), T = frames.length;
  const slot = fw + gap, chartH = Math.max(16, Math.round(fh / 2));
  const width = T * slot - gap, y0 = 2 * (fh + gap) + gap;
  const height = y0 + chartH + Math.max(2, Math.round(chartH / 12)) + 2 + gap;
  const img = blank(width, height);
  const over = await overlays(frames, maps, alpha);
  frames.forEach((f, t) => {
    blit(img, f, t * slot, 0, s);
    blit(img, over[t]!, t * slot, fh + gap, s);
  });
  bars(img, maps.profile, -Math.floor(gap / 2), y0, slot, chartH, () => CURRENT, o.visible);
  return img;
}

/** An animated GIF of RGBA frames of one size, looping forever; one palette (256 colours) for all frames. */
export function encodeGif(frames: readonly RgbaImage[], o: { delayMs?: number } = {}): Uint8Array {
  if (frames.length === 0) throw new InvalidInputError('encodeGif needs at least one frame.');
  const { width, height } = frames[0]!;
  if (frames.some((f) => f.width !== width || f.height !== height)) throw new InvalidInputError('encodeGif: the frames differ in size.');
  const delay = o.delayMs ?? CLIP_FRAME_DELAY_MS;
  const all = new Uint8ClampedArray(width * height * 4 * frames.length);
  frames.forEach((f, i) => all.set(f.data, i * width * height * 4));
  // bins of 4 bits per channel: rgb565 bins make the pairwise-nearest-neighbour quantiser ~15x slower on
  // overlays (seconds per clip) for no visible gain at 256 colours
  const palette = gifenc.quantize(all, 256, { format: 'rgb444' });
  const gif = gifenc.GIFEncoder();
  for (const f of frames) gif.writeFrame(gifenc.applyPalette(f.data, palette), width, height, { palette, delay, repeat: 0 });
  gif.finish();
  return gif.bytes();
}

export interface SequenceFigure { kind: 'gif' | 'png'; bytes: Uint8Array; width: number; height: number; frames: number; delayMs?: number }

/** The figure's file bytes: 'gif' the animation (sequencePanels + encodeGif), 'png' the still sheet (sequenceSheet). */
export async function sequenceFigure(kind: 'gif' | 'png', frames: readonly RgbaImage[], maps: SequenceMaps,
  o: SequenceFigureOptions = {}): Promise<SequenceFigure> {
  if (kind === 'gif') {
    const panels = await sequencePanels(frames, maps, o);
    const delayMs = o.delayMs ?? CLIP_FRAME_DELAY_MS;
    return { kind, bytes: encodeGif(panels, { delayMs }), width: panels[0]!.width, height: panels[0]!.height, frames: panels.length, delayMs };
  }
  if (kind !== 'png') throw new InvalidInputError(`A sequence figure is 'gif' (animated) or 'png' (still sheet); got ${String(kind)}.`);
  const sheet = await sequenceSheet(frames, maps, o);
  return { kind, bytes: encodePng(sheet), width: sheet.width, height: sheet.height, frames: 1 };
}

/** The figure kind of a file name: .gif or .png (else an InvalidInputError). */
export function figureKind(file: string): 'gif' | 'png' {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.gif' && ext !== '.png') throw new InvalidInputError(`A sequence figure is a .gif (animated) or a .png (still sheet); got "${file}".`);
  return ext === '.gif' ? 'gif' : 'png';
}

/** Writes the figure by the file's extension (.gif the animation, .png the still sheet); creates the folder. */
export async function writeSequenceFigure(file: string, frames: readonly RgbaImage[], maps: SequenceMaps,
  o: SequenceFigureOptions = {}): Promise<SequenceFigure> {
  const fig = await sequenceFigure(figureKind(file), frames, maps, o);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, fig.bytes);
  return fig;
}
