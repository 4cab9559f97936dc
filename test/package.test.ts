/**
 * The package as users get it: `npm pack`, install the tarball into an empty folder (offline, from the
 * warm npm cache), then use it from there: `import('gradcam-wasm')` explains a tiny model,
 * 'gradcam-wasm/node' and 'gradcam-wasm/browser' resolve, and the `gradcam-wasm` bin answers --help,
 * `models` and `explain`. Needs `npm run build` first (dist/); .ci/run builds before testing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { METHOD_NAMES } from '../src/methods/registry.js';
import { builtinModels, readImage } from '../src/node/index.js';
import { ensureStandin } from '../scripts/make-standin.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const NEEDED = ['dist/index.js', 'dist/index.d.ts', 'dist/node/index.js', 'dist/cli/index.js', 'dist/browser/gradcam-wasm.js'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-pack-'));
const app = path.join(tmp, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_UPDATE_NOTIFIER: '1' }, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

const test = suite('npm package');
let tarball = '';

test.after(() => rmSync(tmp, { recursive: true, force: true }));

const missing = NEEDED.filter((f) => !existsSync(path.join(ROOT, f)));
if (missing.length) {
  // a test, not a before hook: uvu 0.5 swallows the errors of before hooks
  test('dist/ is built', () => {
    assert.unreachable(`dist/ is not built (missing ${missing.join(', ')}): run \`npm run build\` first.`);
  });
} else {
  packageTests();
}

/** The tests proper (registered only when dist/ is there). */
function packageTests(): void {
  test('npm pack: dist, bin, models and every wasm file it needs; no demo build, no sources', () => {
    const json = execFileSync(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [info] = JSON.parse(json.slice(json.indexOf('['))) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
    tarball = path.join(tmp, info!.filename);
    assert.ok(existsSync(tarball));
    const files = info!.files.map((f) => f.path);
    console.log(`  ${info!.filename}: ${(info!.size / 1e6).toFixed(2)} MB packed, ${(info!.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${info!.entryCount} files`);
    for (const f of [...NEEDED, 'bin/gradcam-wasm.js', 'package.json', 'dist/browser/tfjs-backend-wasm.wasm',
      'dist/browser/tfjs-backend-wasm-simd.wasm', 'dist/browser/tfjs-backend-wasm-threaded-simd.wasm']) {
      assert.ok(files.includes(f), `the package has ${f}`);
    }
    for (const m of builtinModels()) assert.ok(files.includes(`models/${m.name}/model.json`), `built-in model ${m.name}`);
    assert.ok(!files.some((f) => f.startsWith('dist/demo/') || f.startsWith('src/') || f.startsWith('test/') || f.startsWith('.tmp/')),
      'no demo build, sources, tests or scratch files');
  });

  test('installs offline into an empty folder', () => {
    mkdirSync(app, { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    let mode = '--offline';
    let r = run(npm, ['install', mode, '--no-audit', '--no-fund', tarball], app);
    if (r.code !== 0) r = run(npm, ['install', (mode = '--prefer-offline'), '--no-audit', '--no-fund', tarball], app);
    assert.is(r.code, 0, `npm install failed:\n${r.err}`);
    console.log(`  installed with npm install ${mode}`);
    assert.ok(existsSync(path.join(app, 'node_modules', 'gradcam-wasm', 'dist', 'index.js')));
  });

  test("import('gradcam-wasm') explains a tiny model on the wasm backend; ./node and ./browser resolve", () => {
    const script = `
      const g = await import('gradcam-wasm');
      const tf = await import('@tensorflow/tfjs');
      await g.useWasmBackend(); // importing registers the wasm backend; create tensors once it is ready
      const input = tf.input({ shape: [8, 8, 3] });
      const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input);
      const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(tf.layers.globalAveragePooling2d({}).apply(c));
      const model = tf.model({ inputs: input, outputs: out });
      const e = await g.explainWasm(model, tf.randomUniform([8, 8, 3], 0, 1, 'float32', 3), { method: 'gradcam++' });
      const node = await import('gradcam-wasm/node');
      const browser = import.meta.resolve('gradcam-wasm/browser');
      console.log(JSON.stringify({ backend: tf.getBackend(), method: e.method, w: e.width, h: e.height, n: e.heatmap.length,
        max: Math.max(...e.heatmap), methods: g.METHOD_NAMES, node: ['loadModel', 'saveModel', 'readImage', 'writeImage', 'builtinModels'].filter((k) => typeof node[k] === 'function'),
        browser }));`;
    const r = run(process.execPath, ['--input-type=module', '-e', script], app);
    assert.is(r.code, 0, r.err);
    const o = JSON.parse(r.out.trim().split('\n').pop()!);
    assert.is(o.backend, 'wasm');
    assert.is(o.method, 'gradcam++');
    assert.equal([o.w, o.h, o.n], [8, 8, 64]);
    assert.ok(o.max > 0.99, `normalised map, max ${o.max}`);
    assert.equal(o.methods, [...METHOD_NAMES]);
    assert.equal(o.node, ['loadModel', 'saveModel', 'readImage', 'writeImage', 'builtinModels']);
    assert.match(o.browser, /node_modules\/gradcam-wasm\/dist\/browser\/gradcam-wasm\.js$/);
  });

  test('the gradcam-wasm bin: --help, models, explain', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'gradcam-wasm');
    let r = run(bin, ['--help'], app);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^Usage: gradcam-wasm <command>/);
    assert.match(r.out, /explain/);
    r = run(bin, ['models'], app);
    assert.is(r.code, 0, r.err);
    for (const m of builtinModels()) assert.match(r.out, new RegExp(`^${m.name}$`, 'm'));
    const model = builtinModels()[0]?.name ?? await ensureStandin();
    const samples = path.join(ROOT, 'demo', 'samples');
    const image = path.join(samples, readdirSync(samples).filter((f) => f.endsWith('.png')).sort()[0]!);
    const out = path.join(tmp, 'fig.png');
    r = run(bin, ['explain', '--model', model, '--image', image, '--method', 'gradcam++', '--out', out], app);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^top-5: /m);
    assert.equal([readImage(out).width, readImage(out).height], [readImage(image).width, readImage(image).height]);
    r = run(bin, ['explain', '--model', model, '--image', path.join(tmp, 'missing.png')], app);
    assert.is(r.code, 1);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

test.run();
