// The verdict table across evaluation runs: for each metric, the paired difference Grad-CAM++ − Grad-CAM (the
// runs' comparison a − b) per model and layer, with its 95 % bootstrap interval, in bold where the interval
// excludes 0. Reads the evaluation.json that `gradcam-wasm evaluate --out DIR` writes; prints Markdown.
//
//   node --import tsx scripts/verdicts.ts docs/results/224/resnet50-multi docs/results/224/vgg16fc-multi [--delta 0.25]
//     [--metrics averageDrop,win,allCovered] [--transpose]
//
// --metrics keeps those metric keys (METRICS in src/eval) in that order; --transpose prints one row per model and
// layer and one column per metric (for many runs and few metrics).
//
// A cell: difference [lo, hi]; "(GC)" where the interval favours the run's b method (Grad-CAM), "(larger: GC++)" on
// descriptive metrics; Win with the pairwise tie rate (images where |drop a − drop b| is within the tie tolerance),
// and the two means for Average Drop, map mass and all-instances coverage.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { METRICS, arrow, type EvaluationReport, type PairedResult } from '../src/eval/index.js';
import { winShares, relativeDrop } from '../src/metrics/index.js';

const { values: o, positionals: dirs } = parseArgs({
  options: { delta: { type: 'string', default: '0.25' }, metrics: { type: 'string' }, transpose: { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (!dirs.length) throw new Error('give one or more folders with an evaluation.json');
const wanted = o.metrics?.split(',');
const unknown = wanted?.filter((k) => !METRICS.some((m) => m.key === k));
if (unknown?.length) throw new Error(`unknown metric key(s) ${unknown.join(', ')}; known: ${METRICS.map((m) => m.key).join(', ')}`);
const SHOWN = wanted
  ? wanted.map((k) => METRICS.find((m) => m.key === k)!)
  : METRICS.filter((m) => m.key !== 'winTies' && m.key !== 'ebpgMask');
const MEANS = new Set(['averageDrop', 'mass', 'allCovered']);
const abbrev = (name: string): string => (name === 'gradcam++' ? 'GC++' : name === 'gradcam' ? 'GC' : name);
const f = (v: number, d: number): string => v.toFixed(d);

interface Column { title: string; cells: Map<string, string> }
const columns: Column[] = [];
for (const dir of dirs) {
  const r = JSON.parse(readFileSync(path.join(dir, 'evaluation.json'), 'utf8')) as EvaluationReport;
  const split = r.protocol.split.replace('test-', '');
  for (const m of r.models) {
    const rows = r.comparisons.filter((c: PairedResult) => c.model === m.name && (c.delta == null || c.delta === o.delta));
    if (!rows.length) continue;
    const cells = new Map<string, string>();
    for (const c of rows) {
      const def = SHOWN.find((x) => x.key === c.metric);
      if (!def) continue;
      const d = c.difference, digits = def.digits;
      let cell = `${f(d.mean, digits)} [${f(d.lo, digits)}, ${f(d.hi, digits)}]`;
      if (d.excludesZero) cell = `**${cell}**`;
      if (d.excludesZero && def.better === 'neither') cell += ` (larger: ${abbrev(d.mean > 0 ? c.a : c.b)})`;
      else if (d.excludesZero && (def.better === 'higher') !== d.mean > 0) cell += ` (${abbrev(c.b)})`;
      if (MEANS.has(c.metric)) cell += ` ${f(c.meanA, 1)} vs ${f(c.meanB, 1)}`;
      if (c.metric === 'win') {
        const ties = r.images.filter((im) => {
          const x = im.models[m.name]!;
          const s = winShares([relativeDrop(x.y, x.methods[c.a]!.o), relativeDrop(x.y, x.methods[c.b]!.o)]);
          return s[0] === 0.5;
        }).length;
        cell += ` (ties ${f(100 * ties / r.images.length, 0)} %)`;
      }
      cells.set(c.metric, cell);
    }
    columns.push({ title: `${m.name.replace(/@.*/, '')} ${split}, ${m.layer} ${m.camSize.join('x')}`, cells });
  }
}
const metrics = SHOWN.filter((def) => columns.some((c) => c.cells.has(def.key)));
const metricTitle = (def: (typeof SHOWN)[number]) => `${def.title}${def.perDelta ? ` δ=${o.delta}` : ''}${arrow(def)}`;
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '--:').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
console.log(o.transpose
  ? table(['model, split, layer', ...metrics.map(metricTitle)], columns.map((c) => [c.title, ...metrics.map((def) => c.cells.get(def.key) ?? '–')]))
  : table(['metric', ...columns.map((c) => c.title)], metrics.map((def) => [metricTitle(def), ...columns.map((c) => c.cells.get(def.key) ?? '–')])));
