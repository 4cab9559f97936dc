/**
 * What the commands share: loading a model (built-in name or model.json path) with its card, reading an
 * image, explaining it with every requested method, composing figures, and the report lines. (One-line
 * error reporting lives in ./errors.ts, re-exported here.)
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../backend/index.js';
import { GradCamError, InvalidInputError, MethodNotApplicableError, UnsupportedModelError } from '../errors.js';
import { createExplainer, type Explainer, type ImageExplanations } from '../explainer.js';
import { getMethod, METHOD_NAMES, type MethodName } from '../methods/registry.js';
import { overlay } from '../render.js';
import { decodeImage, type RgbaImage } from '../node/image-io.js';
import { loadModel } from '../node/model-io.js';
import { builtinModels, resolveModel } from '../node/zoo.js';
import { readCard } from '../node/card-file.js';
import { className, inputRangeOf, preprocessFor, type InputRange, type ModelCardLike } from '../card.js';
import type { Preprocess } from '../image.js';
import type { ExplainableModel } from '../plan/plan.js';

export { UsageError, reportError, runCommand } from './errors.js';

/** A card.json next to a model (undefined when there is none); a broken one is an InvalidInputError naming it. */
export function readJson(file: string): ModelCardLike | undefined {
  return readCard(file) as ModelCardLike | undefined;
}

export interface LoadedModel {
  model: ExplainableModel;
  name: string;
  /** The model.json file. */
  file: string;
  card?: ModelCardLike;
  loadMs: number;
}

/**
 * A built-in model (models/<name>/) or a model.json path (or the folder holding it), with the card.json
 * next to it if there is one. Selects the wasm backend first, so weights are created there.
 */
export async function openModel(nameOrPath: string): Promise<LoadedModel> {
  await useWasmBackend();
  const t0 = performance.now();
  let file: string, name: string, card: ModelCardLike | undefined;
  if (!builtinModels().some((m) => m.name === nameOrPath) && existsSync(nameOrPath)) {
    // a model.json, or the folder holding it; the card next to it is checked (readJson)
    file = statSync(nameOrPath).isDirectory() ? path.join(nameOrPath, 'model.json') : nameOrPath;
    if (!existsSync(file)) throw new InvalidInputError(`${nameOrPath} is a folder without a model.json; give the model.json path or its folder.`);
    name = path.basename(path.dirname(path.resolve(file)));
    card = readJson(path.join(path.dirname(file), 'card.json'));
  } else {
    const r = resolveModel(nameOrPath);
    ({ file, name } = r);
    card = (r.card as ModelCardLike | undefined) ?? readJson(path.join(path.dirname(file), 'card.json'));
  }
  let model: ExplainableModel;
  try {
    model = await loadModel(file);
  } catch (e) {
    if (e instanceof GradCamError) throw e;
    throw new UnsupportedModelError(`${file} could not be loaded as a tfjs layers model: ${(e as Error).message}`);
  }
  return { model, name, file, card, loadMs: performance.now() - t0 };
}

/** Reads a PNG or JPEG file as RGBA bytes. */
export function openImage(file: string): RgbaImage {
  if (!existsSync(file)) throw new InvalidInputError(`No image file at ${file}.`);
  if (statSync(file).isDirectory()) throw new InvalidInputError(`${file} is a folder, not an image file.`);
  try {
    return decodeImage(readFileSync(file), file);
  } catch (e) {
    if (e instanceof GradCamError) throw e;
    throw new InvalidInputError(`${file} could not be decoded as a PNG or JPEG image: ${(e as Error).message}`);
  }
}

/** `--method` values: names from the registry, comma-separated or repeated, or 'all'. Registry order. */
export function parseMethods(values: readonly string[] | undefined, fallback: MethodName): { methods: MethodName[]; all: boolean } {
  const names = (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) return { methods: [fallback], all: false };
  if (names.includes('all')) return { methods: [...METHOD_NAMES], all: true };
  const set = new Set(names.map((n) => getMethod(n).name as MethodName));
  return { methods: METHOD_NAMES.filter((m) => set.has(m)), all: false };
}

export interface Session {
  loaded: LoadedModel;
  explainer: Explainer;
  preprocess: Preprocess | undefined;
  range: InputRange;
  rangeFrom: string;
  /** Time to split the model at the target layer and load the kernels (ms). */
  planMs: number;
}

/**
 * A --labels value: a JSON file holding an array of class names (like a labels.json), or the names
 * separated by commas. The library checks that there is one name per class.
 */
export function parseLabels(text: string): string[] {
  if (existsSync(text) && statSync(text).isFile()) {
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(text, 'utf8'));
    } catch (e) {
      throw new InvalidInputError(`--labels ${text} is not JSON (${(e as Error).message}); give a JSON array of class names, or names separated by commas.`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw new InvalidInputError(`--labels ${text} must hold a JSON array of class names (strings), e.g. ["cat", "dog"].`);
    }
    return v as string[];
  }
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n.length === 0)) throw new InvalidInputError(`--labels "${text}": an empty class name; give names separated by commas, or a JSON file.`);
  return names;
}

/** Model + explainer at the layer (option, else the card's targetLayer, else the last conv feature map). */
export async function openSession(model: string, o: { layer?: string; inputRange?: string; labels?: string[] } = {}): Promise<Session> {
  const loaded = await openModel(model);
  const shape = (loaded.model as { inputs?: { shape: unknown[] }[] }).inputs?.[0]?.shape;
  if (shape?.length === 5) {
    loaded.model.dispose();
    throw new UnsupportedModelError(`${loaded.name} is a clip model (input [T, H, W, C] = [${shape.slice(1).map((d) => d ?? '?').join(', ')}]): ` +
      'explain a clip with --clip <folder of frames | .gif> (or --sample clip-...), not an image.');
  }
  // names given on the command line replace the card's (reports, --class by name)
  if (o.labels) loaded.card = { ...loaded.card, classNames: o.labels };
  const { range, from } = inputRangeOf(loaded.card, o.inputRange);
  const t0 = performance.now();
  const explainer = await createExplainer(loaded.model, { layer: o.layer ?? loaded.card?.targetLayer, labels: o.labels });
  return { loaded, explainer, preprocess: preprocessFor(range), range, rangeFrom: from, planMs: performance.now() - t0 };
}

export interface ExplainOutcome {
  result: ImageExplanations;
  /** Methods that do not apply to this model, with the library's message. */
  skipped: { method: MethodName; message: string }[];
}

/**
 * Explains one image with `methods` in one forward/backward pass. A method that does not apply to the
 * model (CAM without target -> GAP -> Dense) throws MethodNotApplicableError unless `skipInapplicable`,
 * in which case it is listed in `skipped` with the library's message.
 */
export async function explainImage(s: Session, image: RgbaImage, methods: readonly MethodName[],
  o: { classIndex?: number; skipInapplicable?: boolean } = {}): Promise<ExplainOutcome> {
  const skipped: ExplainOutcome['skipped'] = [];
  let run = [...methods];
  if (o.skipInapplicable) {
    for (const a of s.explainer.applicable()) {
      if (!a.ok && run.includes(a.method)) {
        // ask the library, so the message is exactly the one its API throws
        try {
          await s.explainer.explain(image, { methods: [a.method], preprocess: s.preprocess });
        } catch (e) {
          if (!(e instanceof MethodNotApplicableError)) throw e;
          skipped.push({ method: a.method, message: e.message });
          run = run.filter((m) => m !== a.method);
        }
      }
    }
    if (run.length === 0) throw new MethodNotApplicableError(skipped[0]!.method, skipped.map((x) => x.message).join(' '));
  }
  const [result] = await s.explainer.explain(image, { methods: run, classIndex: o.classIndex, preprocess: s.preprocess });
  return { result: result!, skipped };
}

/** The jet overlay of every explanation of the first explained class, in registry order. */
export async function overlays(image: RgbaImage, result: ImageExplanations, alpha: number): Promise<{ method: MethodName; image: RgbaImage }[]> {
  const out: { method: MethodName; image: RgbaImage }[] = [];
  const c = result.explanations[0]!.classIndex;
  for (const e of result.explanations.filter((x) => x.classIndex === c)) {
    out.push({ method: e.method, image: await overlay(image, e, { alpha }) });
  }
  return out;
}

/** Images of one height side by side, `gap` white pixels apart. */
export function strip(images: readonly RgbaImage[], gap = 4): RgbaImage {
  const height = images[0]!.height;
  if (images.some((i) => i.height !== height)) throw new InvalidInputError('strip(): images differ in height.');
  const width = images.reduce((w, i) => w + i.width, 0) + gap * (images.length - 1);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  let x0 = 0;
  for (const img of images) {
    for (let y = 0; y < height; y++) data.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), (y * width + x0) * 4);
    x0 += img.width + gap;
  }
  return { data, width, height };
}

/** Nearest-neighbour enlargement by an integer factor (for figures of small images). */
export function enlarge(img: RgbaImage, factor: number): RgbaImage {
  if (factor === 1) return img;
  const width = img.width * factor, height = img.height * factor;
  const data = new Uint8ClampedArray(width * height * 4);
  const src = new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height);
  const dst = new Uint32Array(data.buffer);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * img.width;
    for (let x = 0; x < width; x++) dst[y * width + x] = src[row + Math.floor(x / factor)]!;
  }
  return { data, width, height };
}

/** A file name for a method: 'gradcam++' -> 'gradcampp'. */
export function methodSlug(m: string): string {
  return m.replace(/\+/g, 'p');
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The report lines: top-5, the explained class, the layer and the timings. */
export function describe(o: ExplainOutcome, card: ModelCardLike | undefined, extra: Record<string, number> = {}): string[] {
  const r = o.result;
  const e = r.explanations[0]!;
  // the names the explainer reports (--labels, labels.json, the card's classNames), else the card's
  const name = (c: number, label?: string) => (label != null && label !== String(c) ? `${c} "${label}"` : className(card, c));
  const lines = [
    `top-5: ${r.top.map((p) => `${name(p.classIndex, p.label)} ${(p.probability * 100).toFixed(1)}%`).join(', ')}`,
    `explained: class ${name(e.classIndex, e.label)} (p = ${e.probability.toFixed(3)}, logit ${e.logit.toFixed(3)}) ` +
      `at layer ${r.layer} (${e.camHeight}x${e.camWidth}) with ${[...new Set(r.explanations.map((x) => getMethod(x.method).title))].join(', ')}`,
  ];
  for (const s of o.skipped) lines.push(`${getMethod(s.method).title}: not applicable: ${s.message}`);
  const t = r.timings;
  const times = { ...extra, prepare: t.prepare, forward: t.forward, 'head+gradients': t.gradients, maps: t.maps, explain: t.total };
  lines.push(`timings (ms): ${Object.entries(times).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
  return lines;
}
