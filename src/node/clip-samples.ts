/**
 * The sample clips that ship with the package (demo/samples/clips/*.gif: moving-digit clips of the test
 * split, see scripts/make-clip-samples.ts) with their ground truth (clips.json), by name, so
 * `gradcam-wasm explain --sample clip-0-digit7` works from any folder after an install.
 * Node built-ins only (no tfjs): `explain --help` lists them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { Clip } from '../data/clips.js';
import type { RgbaImage } from './image-io.js';
import { SAMPLES_DIR } from './samples.js';

export const CLIP_SAMPLES_DIR = path.join(SAMPLES_DIR, 'clips');

export interface ClipBox { x0: number; y0: number; x1: number; y1: number }

export interface ClipSample {
  /** The GIF's file name in CLIP_SAMPLES_DIR. */
  file: string;
  /** Its full path. */
  path: string;
  label: number;
  split: string;
  index: number;
  seed: number;
  frames: number;
  size: number;
  /** Per frame: the target is visible. */
  visible: boolean[];
  /** Per target, per frame: its box in the frame (null when it is outside). */
  targets: (ClipBox | null)[][];
  distractors: (ClipBox | null)[][];
}

/** The bundled clips, in the manifest's order ([] when none are installed). */
export function clipSamples(): ClipSample[] {
  const manifest = path.join(CLIP_SAMPLES_DIR, 'clips.json');
  if (!existsSync(manifest)) return [];
  const clips = (JSON.parse(readFileSync(manifest, 'utf8')) as { clips: Omit<ClipSample, 'path'>[] }).clips;
  return clips.map((c) => ({ ...c, path: path.join(CLIP_SAMPLES_DIR, c.file) }));
}

/** The sample clip names (file names without .gif). */
export function clipSampleNames(): string[] {
  return clipSamples().map((c) => c.file.replace(/\.gif$/, ''));
}

/** A bundled clip by name (with or without .gif). */
export function clipSample(name: string): ClipSample {
  const base = name.replace(/\.gif$/, '');
  const found = clipSamples().find((c) => c.file === `${base}.gif`);
  if (!found) {
    throw new InvalidInputError(`No sample clip named "${name}"; the sample clips are: ${clipSampleNames().join(', ') || '(none installed)'}.`);
  }
  return found;
}

/** A generated clip's frames (floats in [0,1], THWC RGB) as opaque RGBA images. */
export function clipFrameImages(clip: Pick<Clip, 'frames' | 'frameCount' | 'size'>): RgbaImage[] {
  const S = clip.size, n = S * S;
  return Array.from({ length: clip.frameCount }, (_, t) => {
    const data = new Uint8ClampedArray(n * 4);
    for (let p = 0; p < n; p++) {
      for (let k = 0; k < 3; k++) data[p * 4 + k] = Math.round(clip.frames[(t * n + p) * 3 + k]! * 255);
      data[p * 4 + 3] = 255;
    }
    return { data, width: S, height: S };
  });
}
