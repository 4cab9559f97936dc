/**
 * Docs that run: every ```ts, ```js and ```sh block of README.md, as written, in document order, against
 * the packed package installed in an empty app folder (offline, from the npm cache) together with the
 * app's own @tensorflow/tfjs and esbuild (what the README's `npm install gradcam-wasm @tensorflow/tfjs
 * esbuild` gives, with the tarball for the name):
 * - a block whose info string has `file=<path>` is a file of the example: written there, not run;
 * - a block marked `skip` is not run (it installs from the registry or runs the whole suite): at most 2;
 * - ts blocks are type-checked (tsc --strict against the package's own .d.ts), then ts/js blocks run with
 *   node (ts through tsx) in the app folder; sh blocks run with `bash -e` there, npm offline.
 * Then the esbuild recipe's page (public/) is served on 127.0.0.1 and opened in headless Chromium: an
 * explanation comes back, every request stays local, the bundle holds one tfjs; without the .wasm files
 * the page fails with the WasmBackendError that lists them.
 * Needs `npm run build` first (dist/) and Chromium (unless SKIP_BROWSER=1, which skips the browser part).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BrowserContext, Page } from 'playwright-core';
import { readImage, readClip } from '../src/node/index.js';
import { serve, type Served } from '../demo/serve.js';
import { ROOT, installApp, missingBuild, pack, run } from './helpers/pack.js';
import { launchChromium } from './helpers/chromium.js';

interface Block { lang: string; info: string[]; code: string; line: number }

/** The fenced code blocks of a Markdown text: language, the rest of the info string, code, line. */
export function codeBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m; (m = re.exec(md));) {
    out.push({ lang: m[1]!, info: m[2]!.trim().split(/\s+/).filter(Boolean), code: m[3]!, line: md.slice(0, m.index).split('\n').length });
  }
  return out;
}
const fileOf = (b: Block) => b.info.find((w) => w.startsWith('file='))?.slice(5);

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const BLOCKS = codeBlocks(README);
const RUNNABLE = ['ts', 'js', 'sh'];
const TSX = import.meta.resolve('tsx');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-readme-'));
const app = path.join(tmp, 'app');
const versionOf = (p: string) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version as string;

const test = suite('README');
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('the README has the blocks this test runs (a Node example, the esbuild recipe, the CLI); skips are few and marked', () => {
  const skipped = BLOCKS.filter((b) => b.info.includes('skip'));
  assert.ok(skipped.length <= 2, `skipped blocks: ${skipped.map((b) => `line ${b.line}`).join(', ')}`);
  for (const b of skipped) assert.match(b.code, /npm (install|test)/, `a skipped block installs or runs the suite (line ${b.line})`);
  assert.ok(BLOCKS.every((b) => RUNNABLE.includes(b.lang) || b.lang === 'html' || b.lang === ''), `languages: ${[...new Set(BLOCKS.map((b) => b.lang))]}`);
  const node = BLOCKS.find((b) => b.lang === 'ts' && !fileOf(b) && b.code.includes("'gradcam-wasm/node'"));
  assert.ok(node, 'a complete Node example with gradcam-wasm/node');
  assert.match(node!.code, /await useWasmBackend\(\)[^]*loadModel\(/, 'useWasmBackend() before the model');
  assert.match(node!.code, /writeImage\('overlay\.png'/);
  assert.ok(BLOCKS.some((b) => fileOf(b) === 'main.js'), 'the esbuild recipe: main.js');
  assert.ok(BLOCKS.some((b) => b.lang === 'sh' && b.code.includes('npx esbuild')), 'the esbuild recipe: the bundling commands');
  assert.ok(BLOCKS.some((b) => b.lang === 'sh' && b.code.includes('npx gradcam-wasm explain')), 'the CLI');
});

const missing = missingBuild();
if (missing.length) {
  test('dist/ is built', () => { assert.unreachable(`dist/ is not built (missing ${missing.join(', ')}): run \`npm run build\` first.`); });
} else {
  test('pack and install with the app\'s own tfjs and esbuild', () => {
    const { tarball } = pack(tmp);
    const mode = installApp(app, [tarball, `@tensorflow/tfjs@${versionOf('@tensorflow/tfjs')}`, `esbuild@${versionOf('esbuild')}`]);
    console.log(`  installed with npm install ${mode}`);
  });

  BLOCKS.forEach((b, i) => {
    const file = fileOf(b);
    if (b.info.includes('skip') || (!file && !RUNNABLE.includes(b.lang))) return;
    const where = `README.md line ${b.line} (\`\`\`${[b.lang, ...b.info].join(' ')})`;
    test(`${file ? 'file' : 'run'}: ${where}`, () => {
      if (file) {
        mkdirSync(path.dirname(path.join(app, file)), { recursive: true });
        writeFileSync(path.join(app, file), b.code);
        return;
      }
      if (b.lang === 'sh') {
        const r = run('bash', ['-e', '-o', 'pipefail', '-c', b.code], app, { timeout: 300_000, env: { npm_config_offline: 'true' } });
        assert.is(r.code, 0, `${where} failed:\n${r.out}\n${r.err}`);
        return;
      }
      const script = path.join(app, `readme-${i}.${b.lang === 'ts' ? 'ts' : 'mjs'}`);
      writeFileSync(script, b.code);
      if (b.lang === 'ts') {
        writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2022', 'DOM'] },
          files: [path.basename(script)],
        }));
        const tc = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
        assert.is(tc.code, 0, `${where} does not type-check against the package's types:\n${tc.out}${tc.err}`);
      }
      const r = run(process.execPath, b.lang === 'ts' ? ['--import', TSX, script] : [script], app, { timeout: 300_000 });
      assert.is(r.code, 0, `${where} failed:\n${r.out}\n${r.err}`);
    });
  });

  test('what the blocks made: the overlays, the CLI figures, the evaluation, the bundle', () => {
    for (const f of ['overlay.png', 'runner-up.png', 'fig.png', 'class3.png']) {
      assert.ok(existsSync(path.join(app, f)), `${f} written`);
      assert.ok(readImage(path.join(app, f)).width >= 64, f);
    }
    assert.equal([readImage(path.join(app, 'overlay.png')).width, readImage(path.join(app, 'overlay.png')).height], [64, 64]);
    assert.ok(existsSync(path.join(app, 'eval', 'evaluation.md')), 'the evaluation wrote eval/evaluation.md');
    for (const f of ['clip.gif', 'clip-cli.gif']) {
      const c = readClip(path.join(app, f));   // the Sequences example and its command line: animations of the 10 frames
      assert.equal([c.frames.length, c.kind], [10, 'gif'], f);
    }
    assert.ok(readImage(path.join(app, 'clip.png')).width > 10 * 64, 'the still sheet of the clip');
    for (const f of ['app.js', 'index.html', 'model/model.json', 'digits.png', 'wasm/tfjs-backend-wasm-simd.wasm']) {
      assert.ok(existsSync(path.join(app, 'public', f)), `public/${f}`);
    }
  });

  test('the bundle holds ONE tfjs (the app\'s): esbuild metafile of the README command', () => {
    const cmd = BLOCKS.find((b) => b.lang === 'sh' && b.code.includes('npx esbuild'))!.code.split('\n').find((l) => l.startsWith('npx esbuild'))!;
    const args = cmd.split(/\s+/).slice(2).filter((a) => !a.startsWith('--outfile='));
    const r = run(path.join(app, 'node_modules', '.bin', 'esbuild'), [...args,
      `--outfile=${path.join(tmp, 'check.js')}`, `--metafile=${path.join(tmp, 'meta.json')}`, '--log-level=warning'], app);
    assert.is(r.code, 0, r.err);
    assert.is(r.err.trim(), '', 'no esbuild warnings');
    const inputs = Object.keys(JSON.parse(readFileSync(path.join(tmp, 'meta.json'), 'utf8')).inputs as Record<string, unknown>);
    const cores = new Set(inputs.map((f) => /^(.*node_modules\/@tensorflow\/tfjs-core)\//.exec(f)?.[1]).filter(Boolean));
    assert.equal([...cores], ['node_modules/@tensorflow/tfjs-core'], `tfjs-core copies: ${[...cores]}`);
    assert.ok(inputs.some((f) => f.startsWith('node_modules/gradcam-wasm/dist/')), 'the package is in the bundle');
  });

  if (process.env.SKIP_BROWSER === '1') {
    console.log('readme.test.ts: the browser part skipped because SKIP_BROWSER=1');
  } else {
    browserTests();
  }
}

/** The esbuild recipe's page in headless Chromium. */
function browserTests(): void {
  let context: BrowserContext | null = null, server: Served | null = null, bare: Served | null = null;
  test.after(async () => { await context?.close(); await server?.close(); await bare?.close(); });

  const open = async (url: string) => {
    context ??= await launchChromium(path.join(tmp, 'profile'), { width: 400, height: 300 });
    const page: Page = await context.newPage();
    const errors: string[] = [], requests: string[] = [];
    page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    return { page, errors, requests };
  };

  test('the esbuild recipe runs offline in headless Chromium: an explanation comes back', async () => {
    server = await serve(path.join(app, 'public'));
    const { page, errors, requests } = await open(server.url);
    // the page's text changes when the explanation is drawn (a page error is reported below)
    await page.waitForFunction(() => /^class \d+/.test(document.querySelector('p')?.textContent ?? ''), null, { timeout: 60_000 })
      .catch(() => undefined);
    const text = await page.locator('p').innerText();
    assert.equal(errors, [], 'no page errors');
    assert.match(text, /^class \d+ \(p = [\d.]+\) at layer \w+$/);
    const px = await page.evaluate(() => {
      const c = document.querySelector('canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return { w: c.width, h: c.height, reds: new Set(Array.from(d).filter((_, i) => i % 4 === 0)).size };
    });
    assert.equal([px.w, px.h], [64, 64]);
    assert.ok(px.reds > 20, `the overlay is painted (${px.reds} red levels)`);
    const foreign = requests.filter((u) => !u.startsWith(server!.url) && !/^(data|blob):/.test(u));
    assert.equal(foreign, [], 'every request went to the local server');
    assert.ok(requests.some((u) => /\/wasm\/tfjs-backend-wasm[-\w]*\.wasm$/.test(u)), 'a .wasm came from /wasm/');
    console.log(`  page: ${text}`);
    await page.close();
  });

  test('without the .wasm files the page fails with a WasmBackendError that lists them and the folder', async () => {
    const site = path.join(tmp, 'no-wasm');
    cpSync(path.join(app, 'public'), site, { recursive: true });
    rmSync(path.join(site, 'wasm'), { recursive: true });
    bare = await serve(site);
    const { page, errors } = await open(bare.url);
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    assert.is(errors.length, 1, `one page error, got ${errors.length}`);
    assert.match(errors[0]!, /^WasmBackendError: The tfjs wasm backend could not be initialised/);
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/', '/wasm/', 'setWasmBackendPath']) {
      assert.ok(errors[0]!.includes(f), `the message names ${f}: ${errors[0]}`);
    }
    assert.match(await page.locator('p').innerText(), /explaining/);
    await page.close();
  });
}

test.run();
