// Runs the benches: every bench/*.bench.ts (or .bench.mjs) it finds, or only the names given.
// Each bench runs in its own child process and writes its results (JSON + Markdown) itself.
//
//   npm run bench                            all benches, full runs -> bench/results/
//   npm run bench -- kernels                 only bench/kernels.bench.ts
//   npm run bench -- --quick                 very few iterations (a smoke test) -> .tmp/bench-quick/
//   npm run bench -- kernels --out DIR       results into DIR
//   node --import tsx bench/run.mjs --list   the benches found
//
//   npm run bench -- explain --rounds 3 --only resnet50    interleaved rounds; a subset of the models
// Other flags are passed to every bench. A new bench is a new file bench/<name>.bench.ts that accepts
// --quick and --out DIR; nothing else to register.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const found = readdirSync(here)
  .map((f) => /^(.+)\.bench\.(ts|mjs)$/.exec(f))
  .filter(Boolean)
  .map((m) => ({ name: m[1], file: path.join(here, m[0]) }))
  .sort((a, b) => a.name.localeCompare(b.name));

const args = process.argv.slice(2);
/** Flags that take a value (passed on with it): --out DIR, --rounds N, --only a,b, and the benches' own. */
const VALUE_FLAGS = new Set(['--out', '--rounds', '--only', '--workers', '--images', '--frames', '--threads', '--model']);
const names = [];
const passThrough = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (VALUE_FLAGS.has(a)) passThrough.push(a, args[++i]);
  else if (a.startsWith('-')) passThrough.push(a);
  else names.push(a);
}

if (args.includes('--list')) {
  for (const b of found) console.log(b.name);
  process.exit(0);
}
const unknown = names.filter((n) => !found.some((b) => b.name === n));
if (unknown.length) {
  console.error(`Unknown bench: ${unknown.join(', ')}. Found: ${found.map((b) => b.name).join(', ') || '(none)'}.`);
  process.exit(2);
}
const selected = names.length ? found.filter((b) => names.includes(b.name)) : found;

let failed = 0;
for (const b of selected) {
  console.log(`\n=== bench ${b.name}${passThrough.length ? ' ' + passThrough.join(' ') : ''}`);
  const t0 = performance.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', b.file, ...passThrough], { cwd: root, stdio: 'inherit' });
    child.on('close', resolve);
  });
  console.log(`=== bench ${b.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) failed++;
}
process.exit(failed ? 1 : 0);
