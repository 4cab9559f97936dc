// npm run build: the AssemblyScript kernels, then dist/ (ESM + type declarations) with tsc,
// then the self-contained browser bundle (dist/browser/) with the tfjs wasm files next to it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

run(process.execPath, ['scripts/build-wasm.mjs']);
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);

// Browser: one ESM file with tfjs inside, plus the tfjs-backend-wasm binaries it loads.
const browserDir = path.join(root, 'dist', 'browser');
mkdirSync(browserDir, { recursive: true });
if (existsSync(path.join(root, 'src', 'browser.ts'))) {
  run(bin('esbuild'), ['src/browser.ts', '--bundle', '--format=esm', '--platform=browser', '--target=es2020',
    '--minify', `--outfile=${path.join('dist', 'browser', 'gradcam-wasm.js')}`, '--log-level=warning']);
}
const tfwasm = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of readdirSync(tfwasm).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(tfwasm, f), path.join(browserDir, f));
console.log('built dist/');
