/**
 * Cross-backbone consistency (source report Sec. 4.1.1, Fig. 1h) accumulated scene by scene: per method,
 * among models of one input size and one kind of layer (default, or given by name, so a finer layer is
 * not compared with the paper's), Pearson r and the IoU at CONSISTENCY_DELTA of every pair's heatmaps;
 * and, for two methods, the paired difference of the per-image means with its bootstrap interval.
 */
import type { MethodName } from '../methods/registry.js';
import { pearson, thresholdIoU, summarize, pairedBootstrap, CONSISTENCY_DELTA } from '../metrics/index.js';
import type { LoadedModel } from './models.js';
import type { ConsistencyDifference, ConsistencyResult } from './types.js';

interface Group { method: MethodName; size: number; layers: 'default' | 'given'; models: LoadedModel[] }
/** Per scene index: the mean over the pairs that count on it. */
interface Acc { pearson: Map<number, number>; iou: Map<number, number>; pairs: Map<string, { pearson: number[]; iou: number[] }> }

export class ConsistencyAccumulator {
  private readonly groups: Group[] = [];
  private readonly acc = new Map<Group, Acc>();

  constructor(models: readonly LoadedModel[], methods: readonly MethodName[]) {
    const sizes = [...new Set(models.map((m) => m.size))].sort((a, b) => a - b);
    for (const method of methods) {
      for (const size of sizes) {
        for (const layers of ['default', 'given'] as const) {
          const group = models.filter((m) => m.size === size && m.info.layerGiven === (layers === 'given') && m.ok.includes(method));
          if (group.length < 2) continue;
          const g = { method, size, layers, models: group };
          this.groups.push(g);
          this.acc.set(g, { pearson: new Map(), iou: new Map(), pairs: new Map() });
        }
      }
    }
  }

  /** Scene `scene`: heatmaps[model][method], present only where the image counts (see consistencyOn). */
  add(scene: number, heatmaps: Map<string, Map<MethodName, Float32Array>>): void {
    for (const g of this.groups) {
      const a = this.acc.get(g)!;
      const here = g.models.filter((m) => heatmaps.get(m.name)?.has(g.method));
      let sr = 0, si = 0, nr = 0, ni = 0;
      for (let x = 0; x < here.length; x++) {
        for (let y = x + 1; y < here.length; y++) {
          const ha = heatmaps.get(here[x]!.name)!.get(g.method)!, hb = heatmaps.get(here[y]!.name)!.get(g.method)!;
          const r = pearson(ha, hb), u = thresholdIoU(ha, hb, CONSISTENCY_DELTA);
          const key = `${here[x]!.name}|${here[y]!.name}`;
          if (!a.pairs.has(key)) a.pairs.set(key, { pearson: [], iou: [] });
          a.pairs.get(key)!.pearson.push(r);
          a.pairs.get(key)!.iou.push(u);
          if (!Number.isNaN(r)) { sr += r; nr++; }
          if (!Number.isNaN(u)) { si += u; ni++; }
        }
      }
      if (nr > 0) a.pearson.set(scene, sr / nr);
      if (ni > 0) a.iou.set(scene, si / ni);
    }
  }

  results(): ConsistencyResult[] {
    return this.groups.map((g) => {
      const a = this.acc.get(g)!;
      return {
        method: g.method, size: g.size, layers: g.layers, models: g.models.map((m) => m.name),
        pearson: summarize(a.pearson.values()), iou: summarize(a.iou.values()),
        pairs: g.models.flatMap((x, i) => g.models.slice(i + 1).map((y) => {
          const v = a.pairs.get(`${x.name}|${y.name}`) ?? { pearson: [], iou: [] };
          return { a: x.name, b: y.name, pearson: summarize(v.pearson), iou: summarize(v.iou) };
        })),
      };
    });
  }

  /**
   * Method a minus method b, per group of models both apply to (same size, kind of layer and models): the paired
   * bootstrap of the per-scene means over the scenes where both have one (the same pairs count for both methods).
   */
  compare(a: MethodName, b: MethodName, o: { resamples: number; seed: number }): ConsistencyDifference[] {
    const out: ConsistencyDifference[] = [];
    for (const ga of this.groups.filter((g) => g.method === a)) {
      const names = ga.models.map((m) => m.name).join('|');
      const gb = this.groups.find((g) => g.method === b && g.size === ga.size && g.layers === ga.layers &&
        g.models.map((m) => m.name).join('|') === names);
      if (!gb) continue;
      const diff = (key: 'pearson' | 'iou') => {
        const A = this.acc.get(ga)![key], B = this.acc.get(gb)![key];
        const scenes = [...A.keys()].filter((i) => B.has(i));
        return scenes.length === 0 ? null
          : pairedBootstrap(scenes.map((i) => A.get(i)!), scenes.map((i) => B.get(i)!), { resamples: o.resamples, seed: o.seed });
      };
      const pearson = diff('pearson'), iou = diff('iou');
      if (pearson && iou) out.push({ size: ga.size, layers: ga.layers, models: ga.models.map((m) => m.name), a, b, pearson, iou });
    }
    return out;
  }
}
