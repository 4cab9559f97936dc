// Docs that run: every `@example` of the public metrics (src/metrics/*.ts) and every ```js block of
// docs/metrics.md is executed against the built package (`gradcam-wasm/metrics`, dist/), and what each
// console.log prints must equal the `// ...` comment at the end of its line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const t = suite('metrics: documented examples run');

interface Example { where: string; code: string; expected: string[]; source: boolean }

function fromSource(file: string): Example[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\s*$/.test(lines[i]!)) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*\*\//.test(lines[i]!) && !/^\s*\*\s*@\w/.test(lines[i]!); i++) body.push(lines[i]!.replace(/^\s*\* ?/, ''));
    out.push(example(`${path.basename(file)}:${i}`, body, true));
  }
  return out;
}

function fromMarkdown(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m, k) => example(`${path.basename(file)} block ${k + 1}`, m[1]!.split('\n'), false));
}

function example(where: string, body: string[], source: boolean): Example {
  const expected = body.filter((l) => /console\.log\(.*\/\/ /.test(l)).map((l) => l.slice(l.lastIndexOf('// ') + 3).trim());
  return { where, code: body.join('\n'), expected, source };
}

const examples = [
  ...readdirSync(path.join(root, 'src', 'metrics')).filter((f) => f.endsWith('.ts')).sort()
    .flatMap((f) => fromSource(path.join(root, 'src', 'metrics', f))),
  ...fromMarkdown(path.join(root, 'docs', 'metrics.md')),
];

t('the examples are there: every public metric has one', () => {
  const all = examples.map((e) => e.code).join('\n');
  for (const name of ['averageDrop', 'increaseInConfidence', 'winPercent', 'winStats', 'loc', 'energyPointingGame', 'maskIoU',
    'instanceCoverage', 'deletion', 'insertion', 'pairedBootstrap']) {
    assert.ok(new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from 'gradcam-wasm/metrics'`).test(all), `an example imports ${name}`);
  }
  for (const e of examples.filter((x) => x.source)) assert.ok(e.expected.length > 0, `${e.where} states what it prints`);
  assert.ok(examples.filter((x) => !x.source).length >= 4, 'docs/metrics.md has its examples');
  assert.ok(existsSync(path.join(root, 'dist', 'metrics', 'index.js')), 'dist/ is built (npm run build)');
});

t('gradcam-wasm/metrics is self-contained: no tfjs, no node: modules, no other package', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./metrics'], { types: './dist/metrics/index.d.ts', import: './dist/metrics/index.js', default: './dist/metrics/index.js' });
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const spec = m[1]!;
      assert.ok(spec.startsWith('.'), `${path.relative(root, file)} imports '${spec}': the metrics must stay free of packages`);
      visit(path.resolve(path.dirname(file), spec));
    }
  };
  visit(path.join(root, 'dist', 'metrics', 'index.js'));
  assert.ok(seen.size >= 8, `${seen.size} files`);
});

t('the public types: test/types/metrics-api.ts type-checks against dist/*.d.ts, its @ts-expect-error lines are errors', () => {
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  const args = ['--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck'];
  let out = '';
  try {
    execFileSync(tsc, [...args, 'test/types/metrics-api.ts'], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  assert.is(out, '', out);
});

for (const e of examples) {
  t(`${e.where} prints what it says`, () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', e.code], { cwd: root, encoding: 'utf8' });
    assert.equal(out.trim() === '' ? [] : out.trim().split('\n'), e.expected);
  });
}

t.run();
