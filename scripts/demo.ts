// npm run demo: explains the bundled sample scenes (demo/samples/) with a bundled model (models/<name>/)
// using every method of the registry, prints the top classes, the explained class and the timings, and
// writes the figures (input | CAM | Grad-CAM | Grad-CAM++ overlays) as PNG to artifacts/demo/; with a clip model
// (models/convlstm-clips), the bundled clips too: artifacts/demo/<clip>.gif (frame | overlay, importance bars).
// npm run demo -- --serve: builds the browser demo (dist/demo/) and serves it on 127.0.0.1.
//
//   node --import tsx scripts/demo.ts [--model <name|model.json>] [--out dir] [--scale 4] [--serve [--port n]]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { METHOD_NAMES, getMethod } from '../src/methods/registry.js';
import { writeImage } from '../src/node/image-io.js';
import { builtinModels, resolveModel } from '../src/node/zoo.js';
import {
  UsageError, describe, enlarge, explainImage, methodSlug, openImage, openSession, overlays, reportError, strip,
} from '../src/cli/common.js';
import { buildDemo, type DemoModel } from '../demo/build.js';
import { serve } from '../demo/serve.js';
import { ensureStandin } from './make-standin.js';
import { isClipModel, withInputShape } from '../demo/model-kind.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SAMPLES = path.join(ROOT, 'demo', 'samples');
const rel = (p: string) => path.relative(process.cwd(), p) || '.';

const USAGE = `Usage: npm run demo [-- options]

Without --serve: explains every sample scene in demo/samples/ with a bundled model and writes the figures.
  --model <m>   a built-in model name (models/<name>/) or a model.json path (default: the first built-in)
  --out <dir>   where the figures go (default artifacts/demo)
  --scale <n>   enlarge the figures n times, nearest neighbour (default 4)
With --serve: builds the browser demo into dist/demo/ (all built-in models, or --model) and serves it.
  --port <n>    the port on 127.0.0.1 (default: any free port)`;

const NAME = 'demo', HELP = 'npm run demo -- --help';
const OPTIONS = {
  serve: { type: 'boolean' }, port: { type: 'string' }, model: { type: 'string' },
  out: { type: 'string', default: path.join(ROOT, 'artifacts', 'demo') }, scale: { type: 'string', default: '4' },
  help: { type: 'boolean', short: 'h' },
} as const;
let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
try {
  ({ values } = parseArgs({ options: OPTIONS, strict: true }));
} catch (e) {
  process.exit(reportError(NAME, e, HELP));
}
if (values.help) { console.log(USAGE); process.exit(0); }

/** The models to show: --model, else every built-in, else (until the trained ones land) the stand-in. */
async function pickModels(): Promise<DemoModel[]> {
  if (values.model) {
    const r = resolveModel(values.model);
    return [{ name: r.name, dir: path.dirname(r.file), card: r.card }];
  }
  const builtins = builtinModels();
  if (builtins.length) return builtins.map((m) => ({ name: m.name, dir: m.dir, card: m.card }));
  const dir = await ensureStandin();
  console.log(`NOTE: no trained model in models/ yet; using the UNTRAINED stand-in ${rel(dir)} (scripts/make-standin.ts).`);
  return [{ name: 'standin', dir, card: JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) }];
}

function samples(): { file: string; label?: number }[] {
  const manifest = path.join(SAMPLES, 'samples.json');
  if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { samples: { file: string; label?: number }[] }).samples;
  return existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((file) => ({ file })) : [];
}

/** The bundled clips explained over time by a clip model: one animated GIF each. */
async function clipFigures(model: DemoModel): Promise<void> {
  const { explainClip } = await import('../src/cli/explain-clip.js');
  const { clipSamples } = await import('../src/node/clip-samples.js');
  for (const c of clipSamples()) {
    const out = path.join(values.out!, c.file);
    console.log(`\n${c.file} (true class ${c.label}) with the clip model ${model.name}`);
    const code = await explainClip({ model: path.join(model.dir, 'model.json'), sample: c.file, out, alpha: 0.5 });
    if (code !== 0) throw new Error(`explaining ${c.file} failed`);
  }
}

async function figures(): Promise<number> {
  const scale = Number(values.scale);
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new UsageError(`--scale must be an integer 1..16, got ${values.scale}`);
  const models = (await pickModels()).map((m) => ({ ...m, card: withInputShape(m.card, JSON.parse(readFileSync(path.join(m.dir, 'model.json'), 'utf8'))) }));
  const clipModel = models.find(isClipModel);
  const model = models.find((m) => !isClipModel(m));
  if (!model) {
    await clipFigures(clipModel!);
    return 0;
  }
  const list = samples();
  if (list.length === 0) throw new UsageError('no samples in demo/samples/ (run: node --import tsx scripts/make-samples.ts)');
  const session = await openSession(path.join(model.dir, 'model.json'));
  console.log(`model ${model.name} (${rel(model.dir)}): input ${session.loaded.card?.inputShape?.join('x') ?? '?'}, ` +
    `input range ${session.range} (${session.rangeFrom}), target layer ${session.explainer.layer}; ` +
    `loaded in ${session.loaded.loadMs.toFixed(0)} ms, split in ${session.planMs.toFixed(0)} ms; tfjs backend wasm`);
  const totals: number[] = [];
  let correct = 0, labelled = 0;
  for (const s of list) {
    const image = openImage(path.join(SAMPLES, s.file));
    const outcome = await explainImage(session, image, METHOD_NAMES, { skipInapplicable: true });
    const figs = await overlays(image, outcome.result, 0.5);
    const panels = [image, ...figs.map((f) => f.image)].map((p) => enlarge(p, scale));
    const base = path.join(values.out!, path.basename(s.file, path.extname(s.file)));
    writeImage(`${base}.png`, strip(panels, 2 * scale));
    writeImage(path.join(base, 'input.png'), panels[0]!);
    figs.forEach((f, i) => writeImage(path.join(base, `${methodSlug(f.method)}.png`), panels[i + 1]!));
    const top1 = outcome.result.top[0]!.classIndex;
    if (s.label != null) { labelled++; if (top1 === s.label) correct++; }
    console.log(`\n${s.file}${s.label != null ? ` (true class ${s.label}${top1 === s.label ? ', predicted right' : ', predicted WRONG'})` : ''}`);
    for (const line of describe(outcome, session.loaded.card)) console.log(`  ${line}`);
    console.log(`  wrote ${rel(base)}.png (input | ${figs.map((f) => getMethod(f.method).title).join(' | ')}) and ${rel(base)}/*.png`);
    totals.push(outcome.result.timings.total);
  }
  const warm = totals.slice(1).sort((a, b) => a - b);
  console.log(`\n${list.length} samples${labelled ? `, top-1 right on ${correct}/${labelled}` : ''}; explain time per image ` +
    `(all ${METHOD_NAMES.length} methods: one forward + one backward for the gradient methods, plus Score-CAM's masked passes and Smooth Grad-CAM++'s noisy copies): first ${totals[0]!.toFixed(1)} ms` +
    (warm.length ? `, then median ${warm[Math.floor(warm.length / 2)]!.toFixed(1)} ms` : '') + `. Figures in ${rel(values.out!)}/`);
  if (clipModel) await clipFigures(clipModel);
  return 0;
}

async function serveDemo(): Promise<number> {
  const port = values.port == null ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0..65535, got ${values.port}`);
  const b = await buildDemo({ models: await pickModels() });
  console.log(`built ${rel(b.out)}/ in ${b.ms.toFixed(0)} ms (${(b.bytes / 1e6).toFixed(1)} MB: page, bundle, tfjs wasm files, ` +
    `models ${b.models.join(', ')}, ${b.samples} samples)`);
  const s = await serve(b.out, port);
  console.log(`serving the demo at ${s.url}  (127.0.0.1 only; Ctrl+C stops it)`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => { void s.close().then(resolve); }));
  return 0;
}

try {
  process.exitCode = await (values.serve ? serveDemo() : figures());
} catch (e) {
  process.exitCode = reportError(NAME, e, HELP);
}
