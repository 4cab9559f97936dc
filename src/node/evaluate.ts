/**
 * The evaluation runner: the Grad-CAM++ paper's protocol (Chattopadhyay et al., WACV 2018, Tables 1-3, 10) and
 * the source report's three claims, on digit scenes with ground truth (src/data/digit-scenes.ts).
 *
 * For every scene i (scene-major, so the heatmaps of all models for one scene are at hand together) and
 * every model:
 *   1. one explainer per model, one explain() per image: every applicable method from one forward and
 *      backward pass, for c = the top-1 prediction;
 *   2. one model.predict on the batch [I, E_1, ..., E_M] (E_m = L_m o I, src/render.ts explanationMap):
 *      Y = p(c | I) and O_m = p(c | E_m) come from the same call and the same code path;
 *   3. the pure metrics of src/metrics/ on the heatmaps (at the image resolution) and the ground truth;
 *   4. across models of the same input size: pairwise Pearson r and IoU at delta = 0.5 of the heatmaps.
 * Everything is deterministic for a given seed; only the timings vary between runs.
 */
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend } from '../backend.js';
import { createExplainer, probabilities, type Explainer, type Explanation } from '../explainer.js';
import { explanationMap, overlay } from '../render.js';
import { METHODS, getMethod, type MethodName } from '../methods/registry.js';
import { generateScene, type Scene, type Split } from '../data/index.js';
import { InvalidInputError } from '../errors.js';
import {
  relativeDrop, winShares, loc, energyPointingGame, maskIoU, instanceCoverage, pearson, thresholdIoU,
  boxesMask, summarize, LOC_DELTAS, COVERAGE_THRESHOLD, WIN_TIE_TOLERANCE, CONSISTENCY_DELTA, type Summary,
} from '../metrics/index.js';
import { builtinModels, resolveModel } from './zoo.js';
import { loadLayersModel as loadModel } from './model-io.js';
import { inputRangeOf, type InputRange } from '../cli/card.js';
import type { Preprocess } from '../image.js';
import { writeImage, type RgbaImage } from './image-io.js';
import { EVAL_SEED } from './train.js';
import {
  composeGrid, drawBoxes, rgbToRgba, scaleFor, solid, upscale, NA_FILL,
} from './figures.js';

export type EvalSplit = 'single' | 'multi';

export interface EvaluateOptions {
  /** Built-in model names (models/<name>/) or model.json paths; default: every built-in model. */
  models?: readonly string[];
  /** Default: every method of the registry (METHODS). A method that does not apply to a model is reported n/a. */
  methods?: readonly string[];
  /** 'single' (test-single, one instance) or 'multi' (test-multi, 2-3 instances); default 'single'. */
  split?: EvalSplit | 'test-single' | 'test-multi';
  /** Number of scenes (indices 0..n-1 of the split); default 100. */
  n?: number;
  /** Seed of the digit scenes; default EVAL_SEED (the one of the model cards' accuracies). */
  seed?: number;
  /** Write the JSON report here (default: <out>/evaluation.json when `out` is given). */
  json?: string;
  /** Folder for the PNG figures (and evaluation.json / evaluation.md); default: no files. */
  out?: string;
  /** Scenes drawn in the figures (the first ones); default 4; 0 draws none. */
  figures?: number;
  /** 'auto' (default): a bar on a TTY, plain lines otherwise. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /**
   * Images that count for cross-backbone consistency: 'correct' (default) = a pair of models counts on an
   * image when both classify it correctly (the report's premise, Sec. 4.1.1); 'all' = every image.
   */
  consistencyOn?: 'correct' | 'all';
  /** Where progress goes; default process.stderr. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
}

type DeltaKey = '0' | '0.25' | '0.5';
const DELTA_KEYS = LOC_DELTAS.map(String) as DeltaKey[];

export interface ModelInfo {
  name: string;
  file: string;
  inputShape: [number, number, number];
  params: number;
  layer: string;
  camSize: [number, number];
  outputActivation: string;
  /** The pixel range the model is fed (scenes are in [0,1]; from the card's preprocessing, default 0,1). */
  inputRange: InputRange;
  methods: { method: MethodName; applicable: boolean; reason?: string }[];
  /** % of scenes whose top-1 prediction is the scene's label. */
  accuracy: number;
  correct: number;
}

export interface MethodResult {
  model: string;
  method: MethodName;
  applicable: boolean;
  /** Why the method does not apply (applicable = false). */
  reason?: string;
  /** Scenes evaluated. */
  n: number;
  /** %, lower is better. */
  averageDrop?: Summary;
  /** %, higher is better. */
  increase?: Summary;
  /** %, among the applicable methods of this model, ties split equally. */
  win?: Summary;
  /** The paper's Loc at each delta (fraction). */
  loc?: Record<DeltaKey, Summary>;
  /** Energy pointing game, % of map energy inside the union of boxes. */
  ebpg?: Summary;
  /** The same inside the union of instance masks (ink pixels). */
  ebpgMask?: Summary;
  /** IoU of the map thresholded at delta with the union of instance masks (fraction). */
  iou?: Record<DeltaKey, Summary>;
  /** %, share of instances covered, per image. */
  coverage?: Summary;
  /** %, images where every instance is covered. */
  allCovered?: Summary;
}

export interface ConsistencyResult {
  method: MethodName;
  /** Input size of the compared models (only models of one size see the same scenes). */
  size: number;
  models: string[];
  /** Per image: the mean over model pairs (both correct on the image, see consistencyOn) of Pearson r; summarised over images. */
  pearson: Summary;
  /** The same for the IoU of the heatmaps thresholded at CONSISTENCY_DELTA. */
  iou: Summary;
  pairs: { a: string; b: string; pearson: Summary; iou: Summary }[];
}

export interface ImageRecord {
  index: number;
  label: number;
  instances: number;
  models: Record<string, {
    predicted: number;
    correct: boolean;
    y: number;
    methods: Record<string, {
      o: number; drop: number; loc: number[]; ebpg: number; ebpgMask: number; iou: number[]; covered: boolean[];
    }>;
  }>;
}

export interface FigureInfo { file: string; kind: 'backbones' | 'instances'; rows: string[]; columns: string[] }

export interface EvaluationReport {
  tool: 'gradcam-wasm evaluate';
  protocol: {
    split: Split;
    scenes: number;
    seed: number;
    methods: MethodName[];
    deltas: number[];
    coverageThreshold: number;
    winTieTolerance: number;
    consistencyDelta: number;
    consistencyOn: 'correct' | 'all';
    definitions: Record<string, string>;
  };
  models: ModelInfo[];
  results: MethodResult[];
  consistency: ConsistencyResult[];
  images: ImageRecord[];
  figures: FigureInfo[];
  timing: {
    totalSeconds: number;
    perModel: { model: string; secondsPerImage: number; explainMs: number; predictMs: number; metricsMs: number }[];
  };
  environment: { node: string; tfjs: string; backend: string };
}

export interface EvaluateResult {
  report: EvaluationReport;
  markdown: string;
  /** Files written. */
  files: string[];
}

export const DEFINITIONS: Record<string, string> = {
  class: 'c = the top-1 prediction on the full image I (also for misclassified scenes).',
  averageDrop: 'Average Drop % = 100/N sum max(0, Y - O)/Y; Y = p(c | I), O = p(c | E), E = heatmap o I (Chattopadhyay 2018, Tables 1, 2, 10).',
  increase: '% Increase in Confidence = 100/N #{O > Y}.',
  win: `Win % = 100/N sum of per-image shares: the methods with drop <= min drop + ${WIN_TIE_TOLERANCE} share the win equally.`,
  loc: 'Loc(d) = sum_{p in B} L_d(p) / (|B| + sum_{p not in B} L_d(p)), L_d = L where L > d else 0, B = union of the instance boxes (Chattopadhyay 2018, Table 3).',
  ebpg: 'Energy pointing game = 100 sum_{p in B} L(p) / sum_p L(p), B = union of boxes (ebpgMask: union of instance masks) (Wang 2020, Score-CAM).',
  iou: 'IoU(d) = |{L > d} n M| / |{L > d} u M|, M = union of the instance masks.',
  coverage: `An instance is covered when max over its box of L >= ${COVERAGE_THRESHOLD} * max over the image of L; coverage = % of instances covered per image; allCovered = % of images with every instance covered.`,
  consistency: `Per method, per image, per pair of models of the same input size that both classify the image correctly (consistencyOn 'correct', the default; 'all': every image): Pearson r of the heatmaps and IoU of {L > ${CONSISTENCY_DELTA}}; averaged over pairs, then over images.`,
  maps: 'All maps are Explanation.heatmap: min-max normalised, bilinearly upsampled to the image size, in [0, 1].',
};

interface LoadedModel {
  name: string;
  file: string;
  model: tf.LayersModel;
  explainer: Explainer;
  size: number;
  info: ModelInfo;
  ok: MethodName[];
  /** Maps [0,1] pixels to the model's range; undefined for [0,1]. Applied to I and E alike. */
  preprocess?: Preprocess;
  time: { explain: number; predict: number; metrics: number; total: number };
}

/** Per-(model, method) per-image values. */
interface Acc {
  drop: number[]; increase: number[]; win: number[]; loc: number[][]; ebpg: number[]; ebpgMask: number[];
  iou: number[][]; coverage: number[]; allCovered: number[];
}

const newAcc = (): Acc => ({
  drop: [], increase: [], win: [], loc: LOC_DELTAS.map(() => []), ebpg: [], ebpgMask: [],
  iou: LOC_DELTAS.map(() => []), coverage: [], allCovered: [],
});

function toSplit(s: EvaluateOptions['split']): Split {
  switch (s ?? 'single') {
    case 'single': case 'test-single': return 'test-single';
    case 'multi': case 'test-multi': return 'test-multi';
    default: throw new InvalidInputError(`split must be 'single' or 'multi'; got ${JSON.stringify(s)}.`);
  }
}

function requestedMethods(names: readonly string[] | undefined): MethodName[] {
  if (names && names.length === 0) throw new InvalidInputError('methods is empty; name at least one of ' + METHODS.map((m) => m.name).join(', ') + '.');
  const wanted = new Set((names ?? METHODS.map((m) => m.name)).map((n) => getMethod(n.trim()).name));
  return METHODS.filter((m) => wanted.has(m.name)).map((m) => m.name as MethodName);
}

function inputShapeOf(model: tf.LayersModel, card: Record<string, unknown> | undefined, name: string): [number, number, number] {
  const fromCard = card?.inputShape;
  const shape = Array.isArray(fromCard) ? fromCard : model.inputs[0]!.shape.slice(1);
  const [h, w, c] = shape as (number | null)[];
  if (h == null || w == null || h !== w || c !== 3) {
    throw new InvalidInputError(`Model ${name}: digit scenes are square RGB, so the model needs a fixed input of [S, S, 3]; ` +
      `its input shape is [${shape.join(', ')}].`);
  }
  if (h < 24) throw new InvalidInputError(`Model ${name}: digit scenes need an input of at least 24 x 24; got ${h}.`);
  return [h, w, 3];
}

async function loadOne(nameOrPath: string, methods: MethodName[], taken: Set<string>): Promise<LoadedModel> {
  const r = resolveModel(nameOrPath);
  let name = r.name;
  for (let k = 2; taken.has(name); k++) name = `${r.name}#${k}`;
  taken.add(name);
  const model = await loadModel(r.file);
  let inputShape: [number, number, number], explainer: Explainer, range: InputRange;
  try {
    range = inputRangeOf(r.card).range;
    inputShape = inputShapeOf(model, r.card, name);
    const layer = typeof r.card?.targetLayer === 'string' ? r.card.targetLayer : undefined;
    explainer = await createExplainer(model, { layer });
  } catch (e) {
    model.dispose();
    throw e;
  }
  const plan = explainer.plan;
  const status = methods.map((method) => {
    const m = getMethod(method);
    return m.needsCamHead && 'reason' in plan.cam ? { method, applicable: false, reason: plan.cam.reason } : { method, applicable: true };
  });
  return {
    name, file: r.file, model, explainer, size: inputShape[0],
    info: {
      name, file: r.file, inputShape, params: model.countParams(), layer: explainer.layer,
      camSize: [plan.camHeight, plan.camWidth], outputActivation: plan.outputActivation, inputRange: range, methods: status,
      accuracy: 0, correct: 0,
    },
    ok: status.filter((s) => s.applicable).map((s) => s.method),
    preprocess: FROM_UNIT[range],
    time: { explain: 0, predict: 0, metrics: 0, total: 0 },
  };
}

/** Class probabilities of each row of the model's output (softmax of logits when the output is linear). */
function rowsOf(out: tf.Tensor, rows: number, activation: string): Float32Array[] {
  const v = out.dataSync() as Float32Array;
  const k = v.length / rows;
  return Array.from({ length: rows }, (_, i) => {
    const row = v.slice(i * k, (i + 1) * k);
    return activation === 'linear' ? probabilities(row, 'softmax') : row;
  });
}

/** Scene pixels in [0,1] -> the model's input range (E = L o I is formed in [0,1] first, as in the paper). */
const FROM_UNIT: Record<InputRange, Preprocess | undefined> = {
  '0,1': undefined,
  '0,255': (b) => tf.mul(b, 255) as tf.Tensor4D,
  '-1,1': (b) => tf.sub(tf.mul(b, 2), 1) as tf.Tensor4D,
};

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

interface Progress { tick(model: string): void; stop(): void }

function makeProgress(mode: EvaluateOptions['progress'], total: number, stream: NodeJS.WritableStream): Progress {
  const tty = !!(stream as NodeJS.WriteStream).isTTY;
  const m = mode ?? 'auto';
  if (m === 'none' || total === 0) return { tick() {}, stop() {} };
  if (m === 'bar' || (m === 'auto' && tty)) {
    const bar = new cliProgress.SingleBar({
      stream, format: 'evaluate |{bar}| {percentage}% | {value}/{total} | elapsed {duration_formatted} | ETA {eta_formatted} | {model}',
      hideCursor: true, etaBuffer: 50, fps: 5, noTTYOutput: !tty,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { model: '' });
    return { tick: (model) => bar.increment(1, { model }), stop: () => bar.stop() };
  }
  const t0 = performance.now();
  let done = 0, lastStep = -1;
  return {
    tick() {
      done++;
      const step = Math.floor((20 * done) / total);
      if (step === lastStep && done !== total) return;
      lastStep = step;
      const s = (performance.now() - t0) / 1000;
      const eta = done > 0 ? (s / done) * (total - done) : 0;
      stream.write(`evaluate: ${done}/${total} (${Math.round((100 * done) / total)}%), ${s.toFixed(1)} s elapsed, ETA ${eta.toFixed(1)} s\n`);
    },
    stop() {},
  };
}

/** Figure cells of one (scene, model): the input and, per method, the overlay and the explanation map. */
interface Cells { input: RgbaImage; perMethod: Map<MethodName, { heat: RgbaImage; e: RgbaImage }> }

function figureRow(cells: Cells, methods: MethodName[], size: number, boxes: Scene['instances'] | null): RgbaImage[] {
  const k = scaleFor(size);
  const up = (img: RgbaImage): RgbaImage => {
    const u = upscale(img, k);
    const copy = u === img ? { ...img, data: img.data.slice() } : u;
    if (boxes) drawBoxes(copy, boxes.map((b) => b.box), k, undefined, Math.max(1, Math.round(k / 2)));
    return copy;
  };
  const row = [up(cells.input)];
  for (const m of methods) {
    const c = cells.perMethod.get(m);
    if (c) row.push(up(c.heat), up(c.e));
    else { const na = solid(size * k, size * k, NA_FILL); row.push(na, na); }
  }
  return row;
}

function figureColumns(methods: MethodName[]): string[] {
  return ['input', ...methods.flatMap((m) => [`${getMethod(m).title} heatmap`, `${getMethod(m).title} explanation map E = L o I`])];
}

/**
 * Runs the evaluation. Returns the report (also written as JSON when asked), its Markdown tables, and the
 * files written. Errors (unknown model or method, bad options) are InvalidInputError / UnknownMethodError.
 */
export async function evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const t0 = performance.now();
  const split = toSplit(options.split);
  const n = options.n ?? 100;
  const seed = options.seed ?? EVAL_SEED;
  const nFig = options.out ? (options.figures ?? 4) : 0;
  const consistencyOn = options.consistencyOn ?? 'correct';
  if (consistencyOn !== 'correct' && consistencyOn !== 'all') {
    throw new InvalidInputError(`consistencyOn must be 'correct' or 'all'; got ${JSON.stringify(consistencyOn)}.`);
  }
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`n must be an integer >= 1; got ${n}.`);
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`seed must be an integer; got ${seed}.`);
  if (!Number.isInteger(nFig) || nFig < 0) throw new InvalidInputError(`figures must be an integer >= 0; got ${options.figures}.`);
  const methods = requestedMethods(options.methods);
  const modelNames = options.models && options.models.length > 0 ? options.models : builtinModels().map((m) => m.name);
  if (modelNames.length === 0) {
    throw new InvalidInputError('No models: pass --model <built-in name or model.json path> (no built-in models are installed under models/).');
  }

  for (const m of modelNames) resolveModel(m); // every name resolves before anything loads
  await useWasmBackend();
  const taken = new Set<string>();
  const models: LoadedModel[] = [];
  try {
    for (const m of modelNames) models.push(await loadOne(m, methods, taken));
    return await run(options, { split, n, seed, nFig, consistencyOn, methods, models, t0 });
  } finally {
    for (const m of models) { m.explainer.dispose(); m.model.dispose(); }
  }
}

interface Resolved {
  split: Split; n: number; seed: number; nFig: number; consistencyOn: 'correct' | 'all'; methods: MethodName[];
  models: LoadedModel[]; t0: number;
}

async function run(options: EvaluateOptions, { split, n, seed, nFig, consistencyOn, methods, models, t0 }: Resolved): Promise<EvaluateResult> {

  const acc = new Map<string, Map<MethodName, Acc>>(models.map((m) => [m.name, new Map(m.ok.map((k) => [k, newAcc()]))]));
  const sizes = [...new Set(models.map((m) => m.size))].sort((a, b) => a - b);
  /** consistency[method][size]: per-image means, and per pair values. */
  const cons = new Map<string, { pearson: number[]; iou: number[]; pairs: Map<string, { pearson: number[]; iou: number[] }> }>();
  const images: ImageRecord[] = [];
  const figureFiles: FigureInfo[] = [];
  const files: string[] = [];
  const instanceRows = new Map<string, RgbaImage[][]>(models.map((m) => [m.name, []]));
  const instanceScenes: number[] = [];
  const stream = options.stream ?? process.stderr;
  const progress = makeProgress(options.progress, n * models.length, stream);
  const figDir = options.out ? path.resolve(options.out) : null;
  if (figDir) mkdirSync(figDir, { recursive: true });

  try {
    for (let i = 0; i < n; i++) {
      const scenes = new Map<number, Scene>(sizes.map((s) => [s, generateScene({ split, seed, size: s }, i)]));
      const first = scenes.get(sizes[0]!)!;
      const record: ImageRecord = { index: i, label: first.label, instances: first.instances.length, models: {} };
      const heatmaps = new Map<string, Map<MethodName, Float32Array>>();
      const drawn = new Map<string, Cells>();
      const draw = i < nFig;

      for (const lm of models) {
        const tStart = performance.now();
        const scene = scenes.get(lm.size)!;
        const S = lm.size;
        const img = tf.tensor3d(scene.image, [S, S, 3]);
        const Es: tf.Tensor3D[] = [];
        let expl: Explanation[] = [];
        let c = -1;
        let rows: Float32Array[] = [];
        try {
          let t = performance.now();
          if (lm.ok.length > 0) {
            const [r] = await lm.explainer.explain(img, { methods: lm.ok, preprocess: lm.preprocess });
            expl = r!.explanations;
            c = r!.top[0]!.classIndex;
          }
          lm.time.explain += performance.now() - t;
          t = performance.now();
          for (const e of expl) Es.push(await explanationMap(img, e));
          const batch = tf.tidy(() => {
            const b = tf.stack([img, ...Es]) as tf.Tensor4D;
            return lm.preprocess ? lm.preprocess(b) : b;
          });
          const out = lm.model.predict(batch);
          if (Array.isArray(out)) {
            tf.dispose([batch, ...out]);
            throw new InvalidInputError(`Model ${lm.name} has ${out.length} outputs; evaluation needs one class-score output.`);
          }
          rows = rowsOf(out, 1 + Es.length, lm.info.outputActivation);
          tf.dispose([batch, out]);
          if (lm.ok.length === 0) c = rows[0]!.indexOf(Math.max(...rows[0]!));
          lm.time.predict += performance.now() - t;
          if (draw) {
            const input = rgbToRgba(scene.image, S, S);
            const perMethod = new Map<MethodName, { heat: RgbaImage; e: RgbaImage }>();
            for (let k = 0; k < expl.length; k++) {
              const heat = await overlay({ data: input.data, width: S, height: S }, expl[k]!);
              perMethod.set(expl[k]!.method, { heat, e: rgbToRgba(Es[k]!.dataSync(), S, S) });
            }
            drawn.set(lm.name, { input, perMethod });
          }
        } finally {
          tf.dispose([img, ...Es]);
        }

        const t = performance.now();
        const y = clamp01(rows[0]![c]!);
        const correct = c === scene.label;
        if (correct) lm.info.correct++;
        const boxes = scene.instances.map((s) => s.box);
        const region = boxesMask(boxes, S, S);
        const entry: ImageRecord['models'][string] = { predicted: c, correct, y, methods: {} };
        const drops = expl.map((e, k) => relativeDrop(y, clamp01(rows[1 + k]![c]!)));
        const shares = drops.length > 0 ? winShares(drops) : [];
        const maps = new Map<MethodName, Float32Array>();
        expl.forEach((e, k) => {
          const o = clamp01(rows[1 + k]![c]!);
          const a = acc.get(lm.name)!.get(e.method)!;
          const map = e.heatmap;
          const locs = LOC_DELTAS.map((d) => loc(map, region, d));
          const ious = LOC_DELTAS.map((d) => maskIoU(map, scene.mask, d));
          const ebpg = 100 * energyPointingGame(map, region);
          const ebpgMask = 100 * energyPointingGame(map, scene.mask);
          const cov = instanceCoverage(map, S, S, boxes);
          a.drop.push(100 * drops[k]!);
          a.increase.push(o > y ? 100 : 0);
          a.win.push(100 * shares[k]!);
          locs.forEach((v, j) => a.loc[j]!.push(v));
          ious.forEach((v, j) => a.iou[j]!.push(v));
          a.ebpg.push(ebpg);
          a.ebpgMask.push(ebpgMask);
          a.coverage.push(100 * cov.share);
          a.allCovered.push(cov.all ? 100 : 0);
          entry.methods[e.method] = { o, drop: drops[k]!, loc: locs, ebpg, ebpgMask, iou: ious, covered: cov.covered };
          if (correct || consistencyOn === 'all') maps.set(e.method, map);
        });
        heatmaps.set(lm.name, maps);
        record.models[lm.name] = entry;
        lm.time.metrics += performance.now() - t;
        lm.time.total += performance.now() - tStart;
        progress.tick(lm.name);
      }
      images.push(record);

      // Cross-backbone consistency on this scene: pairs of models of one input size, both correct.
      for (const method of methods) {
        for (const size of sizes) {
          const group = models.filter((m) => m.size === size && heatmaps.get(m.name)!.has(method));
          const key = `${method}|${size}`;
          if (!cons.has(key)) cons.set(key, { pearson: [], iou: [], pairs: new Map() });
          const cm = cons.get(key)!;
          let sr = 0, si = 0, nr = 0, ni = 0;
          for (let a = 0; a < group.length; a++) {
            for (let b = a + 1; b < group.length; b++) {
              const ha = heatmaps.get(group[a]!.name)!.get(method)!, hb = heatmaps.get(group[b]!.name)!.get(method)!;
              const r = pearson(ha, hb), u = thresholdIoU(ha, hb, CONSISTENCY_DELTA);
              const pk = `${group[a]!.name}|${group[b]!.name}`;
              if (!cm.pairs.has(pk)) cm.pairs.set(pk, { pearson: [], iou: [] });
              cm.pairs.get(pk)!.pearson.push(r);
              cm.pairs.get(pk)!.iou.push(u);
              if (!Number.isNaN(r)) { sr += r; nr++; }
              if (!Number.isNaN(u)) { si += u; ni++; }
            }
          }
          if (nr > 0) cm.pearson.push(sr / nr);
          if (ni > 0) cm.iou.push(si / ni);
        }
      }

      // Figures of this scene.
      if (draw && figDir) {
        const rows = models.map((lm) => figureRow(drawn.get(lm.name)!, methods, lm.size, null));
        const file = path.join(figDir, `backbones-${split}-${String(i).padStart(4, '0')}.png`);
        writeImage(file, composeGrid(rows));
        files.push(file);
        figureFiles.push({ file, kind: 'backbones', rows: models.map((m) => m.name), columns: figureColumns(methods) });
        if (first.instances.length >= 2) {
          instanceScenes.push(i);
          for (const lm of models) instanceRows.get(lm.name)!.push(figureRow(drawn.get(lm.name)!, methods, lm.size, scenes.get(lm.size)!.instances));
        }
      }
    }
  } finally {
    progress.stop();
  }

  if (figDir && instanceScenes.length > 0) {
    for (const lm of models) {
      const file = path.join(figDir, `instances-${split}-${lm.name.replace(/[^\w.-]+/g, '_')}.png`);
      writeImage(file, composeGrid(instanceRows.get(lm.name)!));
      files.push(file);
      figureFiles.push({ file, kind: 'instances', rows: instanceScenes.map((s) => `scene ${s}`), columns: figureColumns(methods) });
    }
  }

  // Summaries.
  const results: MethodResult[] = [];
  for (const lm of models) {
    lm.info.accuracy = (100 * lm.info.correct) / n;
    for (const s of lm.info.methods) {
      if (!s.applicable) { results.push({ model: lm.name, method: s.method, applicable: false, reason: s.reason, n }); continue; }
      const a = acc.get(lm.name)!.get(s.method)!;
      const byDelta = (v: number[][]): Record<DeltaKey, Summary> =>
        Object.fromEntries(DELTA_KEYS.map((k, j) => [k, summarize(v[j]!)])) as Record<DeltaKey, Summary>;
      results.push({
        model: lm.name, method: s.method, applicable: true, n,
        averageDrop: summarize(a.drop), increase: summarize(a.increase), win: summarize(a.win),
        loc: byDelta(a.loc), ebpg: summarize(a.ebpg), ebpgMask: summarize(a.ebpgMask), iou: byDelta(a.iou),
        coverage: summarize(a.coverage), allCovered: summarize(a.allCovered),
      });
    }
  }
  const consistency: ConsistencyResult[] = [];
  for (const method of methods) {
    for (const size of sizes) {
      const group = models.filter((m) => m.size === size && m.ok.includes(method));
      if (group.length < 2) continue;
      const cm = cons.get(`${method}|${size}`)!;
      consistency.push({
        method, size, models: group.map((m) => m.name), pearson: summarize(cm.pearson), iou: summarize(cm.iou),
        pairs: group.flatMap((a, i) => group.slice(i + 1).map((b) => {
          const v = cm.pairs.get(`${a.name}|${b.name}`) ?? { pearson: [], iou: [] };
          return { a: a.name, b: b.name, pearson: summarize(v.pearson), iou: summarize(v.iou) };
        })),
      });
    }
  }

  const report: EvaluationReport = {
    tool: 'gradcam-wasm evaluate',
    protocol: {
      split, scenes: n, seed, methods, deltas: [...LOC_DELTAS], coverageThreshold: COVERAGE_THRESHOLD,
      winTieTolerance: WIN_TIE_TOLERANCE, consistencyDelta: CONSISTENCY_DELTA, consistencyOn, definitions: DEFINITIONS,
    },
    models: models.map((m) => m.info),
    results, consistency, images, figures: figureFiles,
    timing: {
      totalSeconds: (performance.now() - t0) / 1000,
      perModel: models.map((m) => ({
        model: m.name, secondsPerImage: m.time.total / 1000 / n, explainMs: m.time.explain / n,
        predictMs: m.time.predict / n, metricsMs: m.time.metrics / n,
      })),
    },
    environment: { node: process.version, tfjs: tf.version.tfjs, backend: tf.getBackend() },
  };
  const markdown = toMarkdown(report);
  const json = options.json ?? (figDir ? path.join(figDir, 'evaluation.json') : undefined);
  if (json) {
    mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
    writeFileSync(json, reportToJson(report));
    files.push(json);
  }
  if (figDir) {
    const md = path.join(figDir, 'evaluation.md');
    writeFileSync(md, markdown);
    files.push(md);
  }
  return { report, markdown, files };
}

/** The report as JSON, floats rounded to 6 significant digits (NaN, undefined values, becomes null). */
export function reportToJson(report: EvaluationReport): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 1) + '\n';
}

const fmt = (s: Summary | undefined, digits: number): string =>
  !s || Number.isNaN(s.mean) ? '-' : s.mean.toFixed(digits);

/** The Markdown tables of a report: results per model and method, consistency, speed, figures. */
export function toMarkdown(r: EvaluationReport): string {
  const p = r.protocol;
  const L: string[] = [];
  L.push(`## Evaluation: ${p.split}, ${p.scenes} scenes, seed ${p.seed}`, '');
  L.push('Faithfulness (%; Avg Drop lower is better, Incr and Win higher), localisation (Loc, IoU: fractions; EBPG: % of energy in the boxes), ' +
    `instance coverage (%). c = top-1 prediction. Definitions: JSON \`protocol.definitions\`.`, '');
  const head = ['model', 'method', 'acc %', 'Avg Drop ↓', 'Incr ↑', 'Win ↑', ...p.deltas.map((d) => `Loc δ=${d}`), 'EBPG',
    ...p.deltas.map((d) => `IoU δ=${d}`), 'Cover', 'All cov.'];
  L.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const x of r.results) {
    const acc = r.models.find((m) => m.name === x.model)!.accuracy.toFixed(1);
    if (!x.applicable) {
      L.push(`| ${x.model} | ${x.method} | ${acc} | ${head.slice(3).map(() => 'n/a').join(' | ')} |`);
      continue;
    }
    const keys = p.deltas.map(String) as DeltaKey[];
    L.push(`| ${[x.model, x.method, acc, fmt(x.averageDrop, 2), fmt(x.increase, 2), fmt(x.win, 2),
      ...keys.map((k) => fmt(x.loc?.[k], 3)), fmt(x.ebpg, 1), ...keys.map((k) => fmt(x.iou?.[k], 3)),
      fmt(x.coverage, 1), fmt(x.allCovered, 1)].join(' | ')} |`);
  }
  const na = r.results.filter((x) => !x.applicable);
  if (na.length > 0) {
    L.push('');
    for (const x of na) L.push(`- n/a: ${x.method} on ${x.model}: ${x.reason}`);
  }
  L.push('');
  if (r.consistency.length > 0) {
    L.push(`### Cross-backbone consistency (${p.consistencyOn === 'all' ? 'all images' : 'pairs of models both correct on the image'}; IoU at δ=${p.consistencyDelta})`, '');
    L.push('| method | size | models | images | Pearson r ↑ | IoU ↑ |', '|---|---:|---|---:|---:|---:|');
    for (const c of r.consistency) {
      L.push(`| ${c.method} | ${c.size} | ${c.models.join(', ')} | ${c.pearson.n} | ${fmt(c.pearson, 3)} | ${fmt(c.iou, 3)} |`);
    }
  } else {
    L.push('Cross-backbone consistency: n/a (needs two or more models of the same input size).');
  }
  L.push('', '### Speed (wasm backend, all methods of a model per image)', '');
  L.push('| model | params | input | layer | cam | s / image | explain ms | E + predict ms | metrics ms |', '|---|---:|---|---|---|---:|---:|---:|---:|');
  for (const t of r.timing.perModel) {
    const m = r.models.find((x) => x.name === t.model)!;
    L.push(`| ${m.name} | ${m.params} | ${m.inputShape.join('x')} | ${m.layer} | ${m.camSize.join('x')} | ${t.secondsPerImage.toFixed(3)} | ` +
      `${t.explainMs.toFixed(1)} | ${t.predictMs.toFixed(1)} | ${t.metricsMs.toFixed(1)} |`);
  }
  for (const kind of ['backbones', 'instances'] as const) {
    const figs = r.figures.filter((f) => f.kind === kind);
    if (figs.length === 0) continue;
    L.push('', kind === 'backbones' ? '### Figures: one scene per file, rows = models (Fig. 1h of the report)'
      : '### Figures: one model per file, rows = multi-instance scenes, ground-truth boxes in green (Fig. 2d of the report)', '');
    L.push(`Columns: ${figs[0]!.columns.join(' | ')}.`, '');
    for (const f of figs) L.push(`- ${path.basename(f.file)}: rows ${f.rows.join(', ')}`);
  }
  L.push('', `Total ${r.timing.totalSeconds.toFixed(1)} s.`, '');
  return L.join('\n');
}
