// scripts/verdicts.ts: the cross-run verdict table is the runs' paired comparisons, cell for cell (read back
// from a committed evaluation.json), bold exactly where the interval excludes 0, marked where Grad-CAM wins.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EvaluationReport } from '../src/eval/index.js';

const dir = 'docs/results/224/resnet50-multi';
const report = JSON.parse(readFileSync(`${dir}/evaluation.json`, 'utf8')) as EvaluationReport;
const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/verdicts.ts', dir], { encoding: 'utf8' });
const lines = out.trim().split('\n');

test('one column per model and layer, one row per metric', () => {
  assert.is(lines[0]!.split(' | ').length - 1, report.models.length);
  for (const m of report.models) assert.match(lines[0]!, `${m.layer} ${m.camSize.join('x')}`);
  assert.ok(lines.some((l) => l.startsWith('| Avg Drop ↓ |')) && lines.some((l) => l.startsWith('| EBPG ↑ |')));
});

test('cells are the comparisons of the JSON: interval, bold where it excludes 0, (GC) where Grad-CAM is better', () => {
  const row = (title: string) => lines.find((l) => l.startsWith(`| ${title} |`))!.split(' | ').slice(1).map((c) => c.replace(/ \|$/, ''));
  for (const [title, key, digits] of [['Avg Drop ↓', 'averageDrop', 2], ['EBPG ↑', 'ebpg', 1]] as const) {
    const cells = row(title);
    report.models.forEach((m, i) => {
      const c = report.comparisons.find((x) => x.model === m.name && x.metric === key)!;
      const d = c.difference;
      const body = `${d.mean.toFixed(digits)} [${d.lo.toFixed(digits)}, ${d.hi.toFixed(digits)}]`;
      assert.ok(cells[i]!.startsWith(d.excludesZero ? `**${body}**` : body), `${title} ${m.name}: ${cells[i]}`);
      const gcBetter = d.excludesZero && (key === 'ebpg' ? d.mean < 0 : d.mean > 0);
      assert.is(cells[i]!.includes('(GC)'), gcBetter, `${title} ${m.name}: ${cells[i]}`);
    });
  }
});

test('--metrics picks and orders the metrics; --transpose makes them the columns, one row per model and layer', () => {
  const t = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/verdicts.ts', dir, '--metrics', 'win,averageDrop', '--transpose'], { encoding: 'utf8' })
    .trim().split('\n');
  assert.is(t[0], '| model, split, layer | Win (ties) ↑ | Avg Drop ↓ |');
  assert.is(t.length, 2 + report.models.length);
  const plain = (title: string) => lines.find((l) => l.startsWith(`| ${title} |`))!.split(' | ').slice(1).map((c) => c.replace(/ \|$/, ''));
  report.models.forEach((m, i) => {
    const cells = t[2 + i]!.split(' | ').map((c) => c.replace(/^\| | \|$/g, ''));
    assert.ok(cells[0]!.includes(`${m.layer} ${m.camSize.join('x')}`), cells[0]);
    assert.equal([cells[1], cells[2]], [plain('Win (ties) ↑')[i], plain('Avg Drop ↓')[i]]);
  });
  assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'scripts/verdicts.ts', dir, '--metrics', 'nope'], { stdio: 'pipe' }), /unknown metric key/);
});

test.run();
