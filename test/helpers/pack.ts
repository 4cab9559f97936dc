/**
 * The package as users get it, for the tests that use it (package, README, bundler): `npm pack` into a
 * folder, and an app folder with the tarball installed offline from the warm npm cache. Needs dist/
 * (`npm run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** What a packed package cannot do without. */
export const NEEDED = ['dist/index.js', 'dist/index.d.ts', 'dist/node/index.js', 'dist/cli/index.js', 'dist/browser/gradcam-wasm.js'];

export interface Ran { code: number; out: string; err: string }

/** Runs a command (no shell), colour off; a timeout is a failure (code -1). */
export function run(cmd: string, args: string[], cwd: string, o: { timeout?: number; env?: Record<string, string> } = {}): Ran {
  const r = spawnSync(cmd, args, {
    cwd, encoding: 'utf8', timeout: o.timeout ?? 120_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_UPDATE_NOTIFIER: '1', ...o.env },
  });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The files of NEEDED that are missing (dist/ not built). */
export function missingBuild(): string[] {
  return NEEDED.filter((f) => !existsSync(path.join(ROOT, f)));
}

export interface Packed { tarball: string; filename: string; size: number; unpackedSize: number; entryCount: number; files: string[] }

/** `npm pack` of the repository into `dir`. */
export function pack(dir: string): Packed {
  const json = execFileSync(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(json.slice(json.indexOf('['))) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  return { ...info!, tarball: path.join(dir, info!.filename), files: info!.files.map((f) => f.path) };
}

/**
 * An app folder (package.json, type module) with `specs` installed: npm install --offline, else
 * --prefer-offline. Returns the mode that worked, or throws with npm's stderr.
 */
export function installApp(app: string, specs: string[]): string {
  mkdirSync(app, { recursive: true });
  if (!existsSync(path.join(app, 'package.json'))) {
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  }
  let mode = '--offline';
  let r = run(NPM, ['install', mode, '--no-audit', '--no-fund', ...specs], app, { timeout: 300_000 });
  if (r.code !== 0) {
    console.log(`  npm install --offline failed (${r.err.split('\n').find((l) => /ERR/.test(l)) ?? r.code}); trying --prefer-offline`);
    r = run(NPM, ['install', (mode = '--prefer-offline'), '--no-audit', '--no-fund', ...specs], app, { timeout: 300_000 });
  }
  if (r.code !== 0) throw new Error(`npm install ${specs.join(' ')} failed:\n${r.err}`);
  return mode;
}
