/** The report as JSON and as Markdown tables (results per model and method, paired differences, consistency, speed, figures). */
import path from 'node:path';
import { getMethod } from '../methods/registry.js';
import type { PairedDifference, Summary } from '../metrics/index.js';
import { METRICS, DELTA_KEYS, type DeltaKey, type MetricDef } from './table.js';
import type { EvaluationReport, MethodResult } from './types.js';

/** The report as JSON, floats rounded to 6 significant digits (NaN, undefined values, becomes null). */
export function reportToJson(report: EvaluationReport): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 1) + '\n';
}

const fmt = (s: Summary | undefined, digits: number): string => (!s || Number.isNaN(s.mean) ? '-' : s.mean.toFixed(digits));
/** ' ↓' / ' ↑' after a metric's title, nothing for a descriptive one. */
export const arrow = (m: Pick<MetricDef, 'better'>): string => ({ lower: ' ↓', higher: ' ↑', neither: '' })[m.better];

function columns(r: EvaluationReport): { title: string; cell: (x: MethodResult) => string }[] {
  const active = METRICS.filter((m) => m.column && r.results.some((x) => x.applicable && (x as unknown as Record<string, unknown>)[m.key] != null));
  const get = (x: MethodResult, key: string): unknown => (x as unknown as Record<string, unknown>)[key];
  return active.flatMap((m): { title: string; cell: (x: MethodResult) => string }[] => {
    if (m.perDelta) {
      return DELTA_KEYS.map((k) => ({ title: `${m.title} δ=${k}${arrow(m)}`, cell: (x) => fmt((get(x, m.key) as Record<DeltaKey, Summary> | undefined)?.[k], m.digits) }));
    }
    if (m.key === 'win') {
      return [{ title: `${m.title}${arrow(m)}`, cell: (x) => `${fmt(x.win, m.digits)} (${fmt(x.winTies, 0)})` }];
    }
    return [{ title: `${m.title}${arrow(m)}`, cell: (x) => fmt(get(x, m.key) as Summary | undefined, m.digits) }];
  });
}

export function toMarkdown(r: EvaluationReport): string {
  const p = r.protocol;
  const L: string[] = [];
  L.push(`## Evaluation: ${p.split}, ${p.scenes} scenes, seed ${p.seed}${p.size ? `, ${p.size} x ${p.size}` : ''}`, '');
  L.push('Faithfulness (%; Avg Drop lower is better, Incr and Win higher; Win in brackets: % of images where the win is tied), ' +
    (p.perturbation ? `deletion / insertion AUC (RISE, ${p.perturbation.steps} steps; deletion to a zero image, insertion from a blurred one, sigma ${p.perturbation.blurSigma} px), ` : '') +
    'localisation (Loc, IoU: fractions; EBPG: % of energy in the boxes), instance coverage (%). c = top-1 prediction. ' +
    'Definitions: JSON `protocol.definitions`.', '');
  const cols = columns(r);
  const head = ['model', 'method', 'acc %', ...cols.map((c) => c.title)];
  L.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
  for (const x of r.results) {
    const acc = r.models.find((m) => m.name === x.model)!.accuracy.toFixed(1);
    L.push(`| ${[x.model, x.method, acc, ...cols.map((c) => (x.applicable ? c.cell(x) : 'n/a'))].join(' | ')} |`);
  }
  const na = r.results.filter((x) => !x.applicable);
  if (na.length > 0) {
    L.push('');
    for (const x of na) L.push(`- n/a: ${x.method} on ${x.model}: ${x.reason}`);
  }
  L.push('');
  if (p.comparison && r.comparisons.length > 0) {
    const { a, b } = p.comparison;
    const ta = getMethod(a).title, tb = getMethod(b).title;
    L.push(`### Paired differences: ${ta} − ${tb} (per image; ${Math.round(p.comparison.level * 100)} % percentile bootstrap over images, ` +
      `B = ${p.comparison.resamples}, seed ${p.comparison.seed}; a verdict only where the interval excludes 0)`, '');
    L.push(`| model | metric | ${ta} | ${tb} | paired difference [95% CI] | verdict |`, '|---|---|---:|---:|---:|---|');
    for (const c of r.comparisons) {
      const m = METRICS.find((x) => x.key === c.metric)!;
      const f = (v: number): string => v.toFixed(m.digits);
      const d = c.difference;
      const name = `${m.key === 'win' ? `Win (${ta} vs ${tb} only)` : m.title}${c.delta != null ? ` δ=${c.delta}` : ''}${arrow(m)}`;
      L.push(`| ${c.model} | ${name} | ${f(c.meanA)} | ${f(c.meanB)} | ${f(d.mean)} [${f(d.lo)}, ${f(d.hi)}] | ${c.verdict ?? ''} |`);
    }
    L.push('');
  }
  if (r.consistency.length > 0) {
    L.push(`### Cross-backbone consistency (${p.consistencyOn === 'all' ? 'all images' : 'pairs of models both correct on the image'}; IoU at δ=${p.consistencyDelta})`, '');
    L.push('| method | size | layers | models | images | Pearson r ↑ | IoU ↑ |', '|---|---:|---|---|---:|---:|---:|');
    for (const c of r.consistency) {
      L.push(`| ${c.method} | ${c.size} | ${c.layers} | ${c.models.join(', ')} | ${c.pearson.n} | ${fmt(c.pearson, 3)} | ${fmt(c.iou, 3)} |`);
    }
    for (const d of r.consistencyComparisons) {
      const ci = (x: PairedDifference): string => `${x.mean.toFixed(3)} [${x.lo.toFixed(3)}, ${x.hi.toFixed(3)}]${x.excludesZero ? ` (${getMethod(x.mean > 0 ? d.a : d.b).title} more consistent)` : ''}`;
      L.push('', `${getMethod(d.a).title} − ${getMethod(d.b).title}, paired over ${d.pearson.n} images (size ${d.size}, ${d.layers} layers): ` +
        `Pearson r ${ci(d.pearson)}; IoU ${ci(d.iou)}.`);
    }
  } else {
    L.push('Cross-backbone consistency: n/a (needs two or more models of the same input size and kind of layer).');
  }
  L.push('', '### Speed (wasm backend, all methods of a model per image)', '');
  L.push('| model | params | input | layer | cam | s / image | explain ms | E + predict ms | del/ins ms | metrics ms |', '|---|---:|---|---|---|---:|---:|---:|---:|---:|');
  for (const t of r.timing.perModel) {
    const m = r.models.find((x) => x.name === t.model)!;
    L.push(`| ${m.name} | ${m.params} | ${m.inputShape.join('x')} | ${m.layer} | ${m.camSize.join('x')} | ${t.secondsPerImage.toFixed(3)} | ` +
      `${t.explainMs.toFixed(1)} | ${t.predictMs.toFixed(1)} | ${t.aucMs.toFixed(1)} | ${t.metricsMs.toFixed(1)} |`);
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
