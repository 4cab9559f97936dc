// Runs every test/*.test.ts with uvu (TypeScript through tsx) and ends with the line CI reads:
// "N passed, N failed". Usage: node test/run.mjs [pattern]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pattern = new RegExp(process.argv[2] ?? '\\.test\\.ts$');
const files = readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts') && pattern.test(f)).sort();

let passed = 0, failed = 0, crashed = 0;
for (const file of files) {
  // One process per file: a crash or a hang in one file cannot take the others down.
  const { code, out } = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', file)], {
      cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code, out }));
  });
  const total = /Total:\s+(\d+)/.exec(out), pass = /Passed:\s+(\d+)/.exec(out);
  if (total && pass) {
    passed += +pass[1];
    failed += +total[1] - +pass[1];
    if (+total[1] === 0) {
      // uvu drops errors thrown in hooks and reports 0 tests: a file that ran nothing is a failure.
      failed++;
      console.log(`\n!! ${file} ran no tests (counted as 1 failure)`);
    }
  }
  if (code !== 0 && !(total && pass && +total[1] > +pass[1])) {
    crashed++; failed++;
    console.log(`\n!! ${file} exited with code ${code} without a uvu summary of failures (counted as 1 failure)`);
  }
}
console.log(`\n${files.length} test files${crashed ? `, ${crashed} crashed` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
