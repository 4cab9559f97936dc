/**
 * The command line. Run as a user runs it (a child process: `node --import tsx src/cli/index.ts ...`):
 * explain writes a PNG of the right size and prints the top classes and timings; user errors are ONE
 * line on stderr (no stack trace) with a non-zero exit code. Most error paths run in this process
 * through main() (what bin/gradcam-wasm.js calls), with stdout/stderr captured, to keep the file short;
 * three of them also run as child processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend, METHODS } from '../src/index.js';
import { builtinModels, readImage, saveModel } from '../src/node/index.js';
import { ensureStandin } from '../scripts/make-standin.js';
import { main } from '../src/cli/index.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SAMPLES = path.join(ROOT, 'demo', 'samples');
const sample = path.join(SAMPLES, readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).sort()[0]!);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-cli-'));
const TSX = import.meta.resolve('tsx'); // the cwd is a temp folder, where 'tsx' would not resolve
const model = builtinModels()[0]?.name ?? await ensureStandin();

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'src', 'cli', 'index.ts'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** main(args) in this process, with its output captured. */
async function inProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof o;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof e;
  const cwd = process.cwd();
  try {
    process.chdir(tmp);
    return { code: await main(args), out, err };
  } finally {
    process.chdir(cwd);
    [process.stdout.write, process.stderr.write] = [o, e];
  }
}

/** An error: non-zero exit, exactly one line on stderr matching `re`, no stack trace. */
function oneLineError(r: { code: number; err: string }, re: RegExp, what: string): void {
  assert.ok(r.code !== 0, `${what}: exit code ${r.code}`);
  const lines = r.err.trimEnd().split('\n');
  assert.is(lines.length, 1, `${what}: one line on stderr, got:\n${r.err}`);
  assert.ok(!/\n\s+at /.test(r.err), `${what}: no stack trace`);
  assert.match(lines[0]!, re, `${what}: ${lines[0]}`);
}

const explain = suite('gradcam-wasm explain');

explain('--method all writes a strip (input + one overlay per method) and prints top-5, class, timings', () => {
  const out = path.join(tmp, 'all.png');
  const r = cli('explain', '--model', model, '--image', sample, '--method', 'all', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.is(r.err, '');
  assert.match(r.out, /^top-5: (\d+ [\d.]+%, ){4}\d+ [\d.]+%$/m);
  assert.match(r.out, new RegExp(String.raw`^explained: class \d+ .* at layer \S+ \(\d+x\d+\) with ` + METHODS.map((m) => m.title.replace(/[+]/g, '\\+')).join(', ') + '$', 'm'));
  assert.match(r.out, /^timings \(ms\): load model [\d.]+, plan [\d.]+, prepare [\d.]+, forward [\d.]+, head\+gradients [\d.]+, maps [\d.]+, explain [\d.]+$/m);
  const input = readImage(sample), fig = readImage(out);
  assert.is(fig.height, input.height);
  assert.is(fig.width, (METHODS.length + 1) * input.width + METHODS.length * 4);
});

explain('one method writes the overlay at the image size; --class, --layer and --alpha are used', () => {
  const out = path.join(tmp, 'one.png');
  const r = cli('explain', '--model', model, '--image', sample, '--method', 'gradcam', '--class', '3', '--alpha', '0.7', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^explained: class 3 .* with Grad-CAM$/m);
  const input = readImage(sample), fig = readImage(out);
  assert.equal([fig.width, fig.height], [input.width, input.height]);
  let differs = 0;
  for (let i = 0; i < fig.data.length; i++) if (fig.data[i] !== input.data[i]) differs++;
  assert.ok(differs > fig.data.length / 4, 'the overlay is not the input');
});

explain('--help on every command, and the top-level help', () => {
  for (const args of [['--help'], ['explain', '--help'], ['models', '--help'], ['help', 'explain']]) {
    const r = cli(...args);
    assert.is(r.code, 0, args.join(' '));
    assert.match(r.out, /^Usage: gradcam-wasm/, args.join(' '));
  }
});

explain('user errors: one line on stderr, non-zero exit', async () => {
  const notImage = path.join(tmp, 'not-an-image.png');
  writeFileSync(notImage, 'hello');
  const notModel = path.join(tmp, 'not-a-model.json');
  writeFileSync(notModel, JSON.stringify({ hello: 'world' }));
  const notJson = path.join(tmp, 'model.json');
  writeFileSync(notJson, 'not json at all');
  // conv -> flatten -> dense: CAM does not apply
  await useWasmBackend();
  const input = tf.input({ shape: [16, 16, 3] });
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 4, activation: 'softmax' }).apply(tf.layers.flatten().apply(c)) as tf.SymbolicTensor;
  const flat = path.join(tmp, 'flat');
  await saveModel(tf.model({ inputs: input, outputs: y }), flat);

  const cases: [string, string[], RegExp][] = [
    ['missing image file', ['--model', model, '--image', 'nope.png'], /No image file at nope\.png/],
    ['not an image', ['--model', model, '--image', notImage], /is not a PNG or JPEG image/],
    ['not a tfjs model (JSON)', ['--model', notModel, '--image', sample], /is not a tfjs layers model/],
    ['not a tfjs model (not JSON)', ['--model', notJson, '--image', sample], /is not a tfjs model/],
    ['no such model', ['--model', 'no-such-model', '--image', sample], /neither a built-in model/],
    ['unknown layer', ['--model', model, '--image', sample, '--layer', 'no_such_layer'], /No usable target layer named "no_such_layer"/],
    ['CAM not applicable', ['--model', flat, '--image', sample, '--method', 'cam'], /CAM is not applicable/],
    ['class out of range', ['--model', model, '--image', sample, '--class', '99'], /out of range/],
    ['unknown method', ['--model', model, '--image', sample, '--method', 'lime'], /Unknown method "lime"/],
    ['bad --alpha', ['--model', model, '--image', sample, '--alpha', '3'], /--alpha must be a number in \[0,1\]/],
    ['unknown option', ['--model', model, '--frobnicate'], /Unknown option '--frobnicate'/],
    ['missing --model', ['--image', sample], /--model is required/],
  ];
  for (const [what, args, re] of cases) oneLineError(await inProcess('explain', ...args), re, what);
  oneLineError(await inProcess('frobnicate'), /unknown command "frobnicate"/, 'unknown command');
  // the same through a real process: the exit code and stderr the shell sees
  for (const i of [0, 6, 10]) {
    const [what, args, re] = cases[i]!;
    oneLineError(cli('explain', ...args), re, `${what} (child process)`);
  }

  // --method all on that model: CAM is skipped with the library's reason, the others are drawn
  const out = path.join(tmp, 'flat.png');
  const r = cli('explain', '--model', flat, '--image', sample, '--method', 'all', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^CAM: not applicable: CAM is not applicable/m);
  assert.match(r.out, /input \| Grad-CAM \| Grad-CAM\+\+/);
});

explain.run();

const models = suite('gradcam-wasm models');

models('lists the built-in models with their cards (or says there are none)', () => {
  const r = cli('models');
  assert.is(r.code, 0, r.err);
  const builtins = builtinModels();
  if (builtins.length === 0) assert.match(r.out, /No built-in models/);
  for (const m of builtins) {
    assert.match(r.out, new RegExp(`^${m.name}$`, 'm'));
    if (m.card.targetLayer) assert.match(r.out, new RegExp(`target layer\\s+${m.card.targetLayer}`));
  }
  const j = cli('models', '--json');
  assert.is(j.code, 0);
  assert.equal(Object.keys(JSON.parse(j.out)), builtins.map((m) => m.name));
});

models.after(() => rmSync(tmp, { recursive: true, force: true }));

models.run();
