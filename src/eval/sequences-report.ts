/**
 * Summaries and the Markdown section of the clip evaluation (./sequences.ts): per method, the mean of every
 * metric with its standard error; per pair of methods, the paired bootstrap 95 % interval of the mean difference
 * (src/metrics pairedBootstrap, clips resampled as pairs).
 */
import { pairedBootstrap, summarize, LOC_DELTAS, type PairedDifference, type Summary } from '../metrics/index.js';
import type { MethodName } from '../methods/registry.js';
import type { ClipRecord } from './sequences.js';

export interface ClipMetric { key: string; title: string; better: 'lower' | 'higher'; digits: number; scope: 'all' | 'correct' }

export const CLIP_METRICS: readonly ClipMetric[] = [
  { key: 'drop', title: 'Average Drop % (E = L o clip)', better: 'lower', digits: 2, scope: 'all' },
  { key: 'increase', title: '% Increase in Confidence', better: 'higher', digits: 2, scope: 'all' },
  { key: 'win', title: 'Win %', better: 'higher', digits: 2, scope: 'all' },
  { key: 'temporal', title: 'Temporal share (energy in target frames)', better: 'higher', digits: 3, scope: 'all' },
  { key: 'ebpg', title: 'Energy pointing game (target boxes)', better: 'higher', digits: 3, scope: 'correct' },
  ...LOC_DELTAS.map((d, j) => ({ key: `loc@${j}`, title: `Loc δ=${d}`, better: 'higher' as const, digits: 3, scope: 'correct' as const })),
  ...LOC_DELTAS.map((d, j) => ({ key: `iou@${j}`, title: `IoU δ=${d} (target masks)`, better: 'higher' as const, digits: 3, scope: 'correct' as const })),
];

export interface ClipSummary {
  /** The per-clip records summarised (for the timings). */
  records: readonly ClipRecord[];
  n: number; correct: number; accuracy: number; chance: number;
  methods: Partial<Record<MethodName, Record<string, Summary>>>;
  pairs: { a: MethodName; b: MethodName; diffs: Record<string, PairedDifference> }[];
}

function values(records: readonly ClipRecord[], m: MethodName, key: string): number[] {
  return records.map((r) => r.methods[m]?.[key]).filter((v): v is number => v !== undefined);
}

/** `pairs`: [a, b] -> differences a - b on the clips where both have the metric. */
export function summarizeClips(records: readonly ClipRecord[], methods: readonly MethodName[], pairs: readonly [MethodName, MethodName][]): ClipSummary {
  const correct = records.filter((r) => r.correct).length;
  const out: ClipSummary = {
    records, n: records.length, correct, accuracy: correct / records.length,
    chance: summarize(records.map((r) => r.visibleFrames / r.frames)).mean, methods: {}, pairs: [],
  };
  for (const m of methods) out.methods[m] = Object.fromEntries(CLIP_METRICS.map((k) => [k.key, summarize(values(records, m, k.key))]));
  for (const [a, b] of pairs) {
    const diffs: Record<string, PairedDifference> = {};
    for (const k of CLIP_METRICS) {
      const both = records.filter((r) => r.methods[a]?.[k.key] !== undefined && r.methods[b]?.[k.key] !== undefined);
      if (both.length) diffs[k.key] = pairedBootstrap(both.map((r) => r.methods[a]![k.key]), both.map((r) => r.methods[b]![k.key]));
    }
    out.pairs.push({ a, b, diffs });
  }
  return out;
}

function medianOf(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

const fmt = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export function clipsMarkdown(s: ClipSummary, meta: { model: string; split: string; seed: number; command: string; titles: Partial<Record<MethodName, string>> }): string {
  const ms = Object.keys(s.methods) as MethodName[];
  const lines = [
    '## Sequences (ConvLSTM)', '',
    `Model \`${meta.model}\`, target layer \`${s.records[0]?.layer ?? '–'}\`; ${s.n} clips of the ${meta.split} split (held-out writers), seed ${meta.seed}; ` +
    `accuracy on them ${(100 * s.accuracy).toFixed(1)} % (${s.correct} / ${s.n}). c = the top-1 prediction. ` +
    'Faithfulness and the temporal share over all clips; the spatial metrics over the correctly classified clips, per frame where the ' +
    `target is visible (the frame's heatmap min-max normalised within the frame), averaged per clip. A map spread evenly over time ` +
    `has a temporal share of ${s.chance.toFixed(3)} (the mean share of frames with the target visible).`, '',
    `Command: \`${meta.command}\``, '',
    `| metric | ${ms.map((m) => meta.titles[m] ?? m).join(' | ')} |`,
    `|---|${ms.map(() => '---:').join('|')}|`,
  ];
  for (const k of CLIP_METRICS) {
    const cells = ms.map((m) => {
      const x = s.methods[m]![k.key];
      return `${fmt(x.mean, k.digits)} ± ${fmt(x.sem, k.digits)}`;
    });
    lines.push(`| ${k.title} (${k.better}${k.scope === 'correct' ? ', correct clips' : ''}) | ${cells.join(' | ')} |`);
  }
  lines.push('', 'Mean ± standard error over clips.', '', 'Time per explainSequence call (ms, median over clips; forward to the target / head + gradient / kernels / total, ' +
    'the tfjs wasm backend on one thread, the machine shared with other work):', '');
  for (const m of ms) {
    const med = (key: string) => fmt(medianOf(s.records.map((r) => r.methods[m]?.[key]).filter((v): v is number => v !== undefined)), 1);
    lines.push(`- ${meta.titles[m] ?? m}: ${med('forwardMs')} / ${med('gradientsMs')} / ${med('mapsMs')} / ${med('ms')}`);
  }
  for (const p of s.pairs) {
    const ta = meta.titles[p.a] ?? p.a, tb = meta.titles[p.b] ?? p.b;
    lines.push('', `Paired differences ${ta} − ${tb} (bootstrap 95 % interval, clips resampled as pairs):`, '',
      '| metric | mean difference | 95 % interval | better | sign supported |', '|---|---:|---:|---|---|');
    for (const k of CLIP_METRICS) {
      const d = p.diffs[k.key];
      if (!d) continue;
      const who = d.mean === 0 ? '–' : (d.mean < 0) === (k.better === 'lower') ? ta : tb;
      lines.push(`| ${k.title} | ${fmt(d.mean, k.digits + 1)} | [${fmt(d.lo, k.digits + 1)}, ${fmt(d.hi, k.digits + 1)}] | ${who} | ${d.excludesZero ? 'yes' : 'no'} |`);
    }
  }
  return lines.join('\n') + '\n';
}
