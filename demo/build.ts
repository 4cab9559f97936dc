/**
 * Builds the browser demo into one static folder (default dist/demo/, git-ignored): demo/app.ts bundled by
 * esbuild with the library and tfjs inside, the page, the tfjs-backend-wasm binaries (served next to
 * app.js, where src/browser.ts looks for them), the models (models/<name>/ + models/index.json) and the
 * sample scenes (samples/*.png + samples.json) and clips (samples/clips/*.gif + clips.json). Nothing is fetched
 * from anywhere else.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withInputShape } from './model-kind.js';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const DEMO_OUT = path.join(ROOT, 'dist', 'demo');
export const SAMPLES_DIR = path.join(ROOT, 'demo', 'samples');

export interface DemoModel { name: string; dir: string; card?: Record<string, unknown> }

export interface BuildResult { out: string; ms: number; bytes: number; models: string[]; samples: number }

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, d) =>
    n + (d.isDirectory() ? dirBytes(path.join(dir, d.name)) : statSync(path.join(dir, d.name)).size), 0);
}

/** Copies a model folder: model.json, the weight files its manifest names, card.json. */
function copyModel(m: DemoModel, to: string): void {
  mkdirSync(to, { recursive: true });
  const json = JSON.parse(readFileSync(path.join(m.dir, 'model.json'), 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  const files = ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths)];
  if (existsSync(path.join(m.dir, 'card.json'))) files.push('card.json');
  for (const f of files) cpSync(path.join(m.dir, f), path.join(to, f));
}

export async function buildDemo(o: { models: DemoModel[]; out?: string; minify?: boolean }): Promise<BuildResult> {
  const t0 = performance.now();
  const out = o.out ?? DEMO_OUT;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'demo', 'app.ts')], outfile: path.join(out, 'app.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: o.minify ?? true, sourcemap: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) cpSync(path.join(ROOT, 'demo', f), path.join(out, f));
  const tfwasm = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(tfwasm).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(tfwasm, f), path.join(out, f));
  const index = [];
  for (const m of o.models) {
    copyModel(m, path.join(out, 'models', m.name));
    // the page tells clip models from image models by the card's inputShape: from model.json when the card lacks it
    index.push({ name: m.name, card: withInputShape(m.card, JSON.parse(readFileSync(path.join(m.dir, 'model.json'), 'utf8'))) });
  }
  mkdirSync(path.join(out, 'models'), { recursive: true });
  writeFileSync(path.join(out, 'models', 'index.json'), JSON.stringify(index, null, 1));
  mkdirSync(path.join(out, 'samples'), { recursive: true });
  let samples = 0;
  if (existsSync(SAMPLES_DIR)) {
    for (const f of readdirSync(SAMPLES_DIR).filter((f) => /\.(png|jpe?g|json)$/i.test(f))) {
      cpSync(path.join(SAMPLES_DIR, f), path.join(out, 'samples', f));
      if (!f.endsWith('.json')) samples++;
    }
  }
  const clips = path.join(SAMPLES_DIR, 'clips');
  if (existsSync(clips)) {
    mkdirSync(path.join(out, 'samples', 'clips'), { recursive: true });
    for (const f of readdirSync(clips).filter((f) => /\.(gif|json)$/i.test(f))) cpSync(path.join(clips, f), path.join(out, 'samples', 'clips', f));
  }
  return { out, ms: performance.now() - t0, bytes: dirBytes(out), models: o.models.map((m) => m.name), samples };
}
