/**
 * The scene loop of the evaluation. For every scene i (scene-major, so the heatmaps of all models for one
 * scene are at hand together) and every model:
 *   1. one explain() per image: every applicable method from one forward and backward pass, for c = the
 *      top-1 prediction;
 *   2. one predict on the batch [I, E_1, ..., E_M] (E_m = L_m o I, src/render.ts explanationMap):
 *      Y = p(c | I) and O_m = p(c | E_m) come from the same call and the same code path;
 *   3. deletion and insertion curves of each map (src/metrics/perturbation.ts), scored by the same model;
 *   4. every metric of the table (./table.ts) on the heatmap and the ground truth;
 *   5. across models of one input size: pairwise Pearson r and IoU of the heatmaps (./consistency.ts).
 * Deterministic for a seed; only the timings vary between runs.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { overlay, explanationMap } from '../render.js';
import type { Explanation } from '../explainer.js';
import type { MethodName } from '../methods/registry.js';
import { generateScene, type Scene, type Split } from '../data/index.js';
import {
  relativeDrop, winShares, instanceCoverage, boxesMask, deletion, insertion, LOC_DELTAS, type ImageScorer,
} from '../metrics/index.js';
import { writeImage, type RgbaImage } from '../node/image-io.js';
import { composeGrid, figureColumns, figureRow, rgbToRgba, type Cells } from '../node/figures.js';
import { activeMetrics, type ImageContext, type MetricDef } from './table.js';
import { predictRows, type LoadedModel } from './models.js';
import { ConsistencyAccumulator } from './consistency.js';
import type { EvaluateOptions, FigureInfo, ImageMethodRecord, ImageRecord } from './types.js';

export interface RunPlan {
  split: Split; n: number; seed: number; nFig: number; consistencyOn: 'correct' | 'all'; methods: MethodName[];
  models: LoadedModel[]; aucSteps: number; figDir: string | null; onProgress?: EvaluateOptions['onProgress'];
}

/** Per (model, method): the per-image values of each metric (`key` or `key@deltaIndex`). */
export type Values = Map<string, Map<MethodName, Map<string, number[]>>>;

export interface RunOutput {
  values: Values;
  images: ImageRecord[];
  consistency: ConsistencyAccumulator;
  figures: FigureInfo[];
  files: string[];
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** The slot of a metric in Values: `key`, or `key@j` for LOC_DELTAS[j]. */
export const slot = (m: MetricDef, j?: number): string => (m.perDelta ? `${m.key}@${j}` : m.key);

export async function runScenes(p: RunPlan): Promise<RunOutput> {
  const { split, n, seed, nFig, consistencyOn, methods, models, aucSteps, figDir } = p;
  const metrics = activeMetrics(aucSteps > 0);
  const values: Values = new Map(models.map((m) => [m.name, new Map(m.ok.map((k) => [k, new Map<string, number[]>()]))]));
  const sizes = [...new Set(models.map((m) => m.size))].sort((a, b) => a - b);
  const consistency = new ConsistencyAccumulator(models, methods);
  const images: ImageRecord[] = [];
  const figures: FigureInfo[] = [];
  const files: string[] = [];
  const instanceRows = new Map<string, RgbaImage[][]>(models.map((m) => [m.name, []]));
  const instanceScenes: number[] = [];
  if (figDir) mkdirSync(figDir, { recursive: true });
  const total = n * models.length;
  let done = 0;

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
      const { expl, c, rows, cells } = await explainAndPredict(lm, scene, draw);
      if (cells) drawn.set(lm.name, cells);

      // deletion / insertion curves, scored by the same model, class c
      const curves = new Map<MethodName, { deletion: number; insertion: number }>();
      if (aucSteps > 0) {
        const t = performance.now();
        const score: ImageScorer = (imgs) => predictRows(lm, imgs).map((r) => clamp01(r[c]!));
        for (const e of expl) {
          const d = await deletion(scene.image, e.heatmap, S, S, score, { steps: aucSteps });
          const ins = await insertion(scene.image, e.heatmap, S, S, score, { steps: aucSteps });
          curves.set(e.method, { deletion: d.auc, insertion: ins.auc });
        }
        lm.time.auc += performance.now() - t;
      }

      const t = performance.now();
      const y = clamp01(rows[0]![c]!);
      const correct = c === scene.label;
      if (correct) lm.info.correct++;
      const boxes = scene.instances.map((s) => s.box);
      const region = boxesMask(boxes, S, S);
      const entry: ImageRecord['models'][string] = { predicted: c, correct, y, methods: {} };
      const drops = expl.map((_, k) => relativeDrop(y, clamp01(rows[1 + k]![c]!)));
      const shares = drops.length > 0 ? winShares(drops) : [];
      const maps = new Map<MethodName, Float32Array>();
      expl.forEach((e, k) => {
        const ctx: ImageContext = {
          y, o: clamp01(rows[1 + k]![c]!), drop: drops[k]!, share: shares[k]!, tied: shares[k]! > 0 && shares[k]! < 1,
          map: e.heatmap, region, mask: scene.mask, coverage: instanceCoverage(e.heatmap, S, S, boxes),
          deletion: curves.get(e.method)?.deletion, insertion: curves.get(e.method)?.insertion,
        };
        const acc = values.get(lm.name)!.get(e.method)!;
        const rec: ImageMethodRecord = { o: ctx.o, drop: ctx.drop, covered: ctx.coverage.covered, values: {} };
        for (const m of metrics) {
          const v = m.perDelta ? LOC_DELTAS.map((d) => m.value(ctx, d)) : m.value(ctx, 0);
          (rec.values as Record<string, number | number[]>)[m.key] = v;
          if (Array.isArray(v)) v.forEach((x, j) => push(acc, slot(m, j), x));
          else push(acc, slot(m), v as number);
        }
        entry.methods[e.method] = rec;
        if (correct || consistencyOn === 'all') maps.set(e.method, e.heatmap);
      });
      heatmaps.set(lm.name, maps);
      record.models[lm.name] = entry;
      lm.time.metrics += performance.now() - t;
      lm.time.total += performance.now() - tStart;
      p.onProgress?.({ done: ++done, total, scene: i, model: lm.name });
    }
    images.push(record);
    consistency.add(i, heatmaps);

    if (draw && figDir) {
      const rowsOut = models.map((lm) => figureRow(drawn.get(lm.name)!, methods, lm.size, null));
      const file = path.join(figDir, `backbones-${split}-${String(i).padStart(4, '0')}.png`);
      writeImage(file, composeGrid(rowsOut));
      files.push(file);
      figures.push({ file, kind: 'backbones', rows: models.map((m) => m.name), columns: figureColumns(methods) });
      if (first.instances.length >= 2) {
        instanceScenes.push(i);
        for (const lm of models) {
          instanceRows.get(lm.name)!.push(figureRow(drawn.get(lm.name)!, methods, lm.size, scenes.get(lm.size)!.instances.map((s) => s.box)));
        }
      }
    }
  }

  if (figDir && instanceScenes.length > 0) {
    for (const lm of models) {
      const file = path.join(figDir, `instances-${split}-${lm.name.replace(/[^\w.-]+/g, '_')}.png`);
      writeImage(file, composeGrid(instanceRows.get(lm.name)!));
      files.push(file);
      figures.push({ file, kind: 'instances', rows: instanceScenes.map((s) => `scene ${s}`), columns: figureColumns(methods) });
    }
  }
  return { values, images, consistency, figures, files };
}

function push(acc: Map<string, number[]>, key: string, v: number): void {
  let a = acc.get(key);
  if (!a) acc.set(key, (a = []));
  a.push(v);
}

/** Steps 1-2 for one (scene, model): the explanations, c, the probabilities of [I, E_1..E_M], figure cells. */
async function explainAndPredict(lm: LoadedModel, scene: Scene, draw: boolean):
  Promise<{ expl: Explanation[]; c: number; rows: Float32Array[]; cells: Cells | null }> {
  const S = lm.size;
  const img = tf.tensor3d(scene.image, [S, S, 3]);
  const Es: tf.Tensor3D[] = [];
  try {
    let t = performance.now();
    let expl: Explanation[] = [];
    let c = -1;
    if (lm.ok.length > 0) {
      const [r] = await lm.explainer.explain(img, { methods: lm.ok, preprocess: lm.preprocess });
      expl = r!.explanations;
      c = r!.top[0]!.classIndex;
    }
    lm.time.explain += performance.now() - t;
    t = performance.now();
    for (const e of expl) Es.push(await explanationMap(img, e));
    const rows = predictRows(lm, [img, ...Es]);
    if (lm.ok.length === 0) c = rows[0]!.indexOf(Math.max(...rows[0]!));
    lm.time.predict += performance.now() - t;
    let cells: Cells | null = null;
    if (draw) {
      const input = rgbToRgba(scene.image, S, S);
      cells = { input, perMethod: new Map() };
      for (let k = 0; k < expl.length; k++) {
        const heat = await overlay({ data: input.data, width: S, height: S }, expl[k]!);
        cells.perMethod.set(expl[k]!.method, { heat, e: rgbToRgba(Es[k]!.dataSync(), S, S) });
      }
    }
    return { expl, c, rows, cells };
  } finally {
    tf.dispose([img, ...Es]);
  }
}
