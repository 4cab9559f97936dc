/**
 * From per-image values to the report: one Summary per (model, method, metric of the table), and the
 * paired comparisons (a - b per image, bootstrap interval over images, src/metrics/stats.ts).
 */
import { getMethod, type MethodName } from '../methods/registry.js';
import { LOC_DELTAS, pairedBootstrap, relativeDrop, summarize, winShares, type Summary } from '../metrics/index.js';
import { activeMetrics, DELTA_KEYS, type DeltaKey, type MetricKey } from './table.js';
import { slot, type Values } from './run.js';
import type { LoadedModel } from './models.js';
import type { ImageRecord, MethodResult, PairedResult } from './types.js';

export function methodResults(models: readonly LoadedModel[], values: Values, n: number, curves: boolean): MethodResult[] {
  const metrics = activeMetrics(curves);
  const results: MethodResult[] = [];
  for (const lm of models) {
    for (const s of lm.info.methods) {
      if (!s.applicable) { results.push({ model: lm.name, method: s.method, applicable: false, reason: s.reason, n }); continue; }
      const v = values.get(lm.name)!.get(s.method)!;
      const r: MethodResult & Record<string, unknown> = { model: lm.name, method: s.method, applicable: true, n };
      for (const m of metrics) {
        r[m.key] = m.perDelta
          ? Object.fromEntries(DELTA_KEYS.map((k, j) => [k, summarize(v.get(slot(m, j)) ?? [])])) as Record<DeltaKey, Summary>
          : summarize(v.get(slot(m)) ?? []);
      }
      results.push(r);
    }
  }
  return results;
}

export interface CompareOptions { a: MethodName; b: MethodName; resamples: number; seed: number }

/**
 * For each model where both methods apply and each metric of the table (per delta where it has one):
 * the paired difference a - b over the images where both values are defined. Win % is recomputed between
 * a and b alone (winShares of their two drops), so a third method does not take shares from either.
 */
export function pairedComparisons(models: readonly LoadedModel[], values: Values, images: readonly ImageRecord[], curves: boolean,
  o: CompareOptions): PairedResult[] {
  const out: PairedResult[] = [];
  for (const lm of models) {
    if (!lm.ok.includes(o.a) || !lm.ok.includes(o.b)) continue;
    const va = values.get(lm.name)!.get(o.a)!, vb = values.get(lm.name)!.get(o.b)!;
    for (const m of activeMetrics(curves)) {
      if (m.key === 'winTies') continue;
      const deltas = m.perDelta ? LOC_DELTAS.map((_, j) => j) : [undefined];
      for (const j of deltas) {
        let A: number[], B: number[];
        if (m.key === 'win') {
          const pairs = images.map((im) => {
            const x = im.models[lm.name]!;
            return winShares([relativeDrop(x.y, x.methods[o.a]!.o), relativeDrop(x.y, x.methods[o.b]!.o)]);
          });
          A = pairs.map((s) => 100 * s[0]!); B = pairs.map((s) => 100 * s[1]!);
        } else {
          A = va.get(slot(m, j)) ?? []; B = vb.get(slot(m, j)) ?? [];
        }
        const keep = A.map((x, i) => Number.isFinite(x) && Number.isFinite(B[i]!));
        A = A.filter((_, i) => keep[i]); B = B.filter((_, i) => keep[i]);
        if (A.length === 0) continue;
        const d = pairedBootstrap(A, B, { resamples: o.resamples, seed: o.seed });
        let verdict: string | undefined;
        if (d.excludesZero && m.better === 'neither') {
          verdict = `${getMethod(d.mean > 0 ? o.a : o.b).title} larger`;
        } else if (d.excludesZero) {
          const aBetter = m.better === 'higher' ? d.mean > 0 : d.mean < 0;
          verdict = `${getMethod(aBetter ? o.a : o.b).title} better`;
        }
        out.push({
          model: lm.name, metric: m.key as MetricKey, ...(j != null ? { delta: DELTA_KEYS[j] } : {}), a: o.a, b: o.b,
          meanA: summarize(A).mean, meanB: summarize(B).mean, difference: d, ...(verdict ? { verdict } : {}),
        });
      }
    }
  }
  return out;
}
