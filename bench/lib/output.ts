// Command-line flags every bench takes (--quick, --out DIR, --rounds N, --only a,b) and the result files
// (DIR/<name>.json + DIR/<name>.md; default bench/results, or .tmp/bench-quick for a quick run).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchArgs {
  quick: boolean;
  outDir: string;
  /** --rounds N, when given. */
  rounds: number | null;
  /** --only a,b: restrict to these names (models, sections), when given. */
  only: string[] | null;
  args: string[];
}

export function benchArgs(argv = process.argv.slice(2)): BenchArgs {
  const value = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const quick = argv.includes('--quick');
  const out = value('--out');
  const rounds = value('--rounds');
  const only = value('--only');
  if (rounds !== undefined && !(Number.isInteger(Number(rounds)) && Number(rounds) >= 1)) {
    throw new Error(`--rounds takes a positive integer, got ${rounds}`);
  }
  return {
    quick,
    outDir: path.resolve(out ?? path.join(ROOT, quick ? '.tmp/bench-quick' : 'bench/results')),
    rounds: rounds === undefined ? null : Number(rounds),
    only: only ? only.split(',').map((s) => s.trim()).filter(Boolean) : null,
    args: argv,
  };
}

/** Writes DIR/name.json and DIR/name.md, prints the Markdown and where it went. */
export function writeResults(outDir: string, name: string, json: unknown, md: string): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(path.join(outDir, `${name}.md`), md.endsWith('\n') ? md : md + '\n');
  console.log('\n' + md);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, name + '.json'))} and ${name}.md`);
}

/** Formatting: milliseconds and ratios. */
export const ms = (x: number | null | undefined, digits = 1): string => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(digits));
export const ratio = (x: number | null | undefined): string => (x == null || !Number.isFinite(x) ? '-' : `${x.toFixed(2)}x`);
