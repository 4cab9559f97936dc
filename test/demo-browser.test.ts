/**
 * The browser demo in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
 * playwright-core. Builds the demo into a temp folder, serves it on 127.0.0.1, explains a bundled sample
 * and checks that the three heatmaps are painted, behave as the theory says, and equal the Node result
 * for the same PNG and model. Saves a screenshot to artifacts/demo-browser.png. The clip section: a tiny
 * random-weights ConvLSTM (a clip model) explains a bundled clip over time; the frames play on the canvases and
 * the importance profile is drawn with the current frame highlighted, as Node computes it.
 *
 * Chromium missing is a FAILURE (install it: apt-get install -y chromium), unless SKIP_BROWSER=1.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import type { BrowserContext, Page } from 'playwright-core';
import { createExplainer, explainSequence, METHODS, useWasmBackend, type MethodName } from '../src/index.js';
import { buildConvLstm } from '../src/models/convlstm.js';
import { readClip } from '../src/node/clip-io.js';
import { clipSamples } from '../src/node/clip-samples.js';
import { loadModel, readImage, saveModel, builtinModels } from '../src/node/index.js';
import { inputRangeOf, preprocessFor } from '../src/card.js';
import { buildDemo, type DemoModel } from '../demo/build.js';
import { serve, type Served } from '../demo/serve.js';
import { ensureStandin } from '../scripts/make-standin.js';
import { maxAbsDiff } from './helpers/reference.js';
import { makeTwin } from './helpers/graph-json.js';
import { launchChromium, requireChromium } from './helpers/chromium.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** A bundled scene with several digits (the first test-multi one of demo/samples/samples.json). */
const SAMPLES = (JSON.parse(readFileSync(path.join(ROOT, 'demo', 'samples', 'samples.json'), 'utf8')) as { samples: { file: string; split: string }[] }).samples;
const SAMPLE = SAMPLES.find((s) => s.split === 'test-multi')!.file;
/** Two other samples: one for the file input, one for drag-and-drop. */
const [PICKED, DROPPED] = SAMPLES.map((s) => s.file).filter((f) => f !== SAMPLE);
/**
 * Browser vs Node, heatmap values in [0,1]: the same tfjs wasm binary (SIMD, one thread) and the same
 * AssemblyScript module on the same PNG pixels, so the maps agree to float32 rounding; 1e-4 leaves room
 * for a different summation order in XNNPACK, far below one 8-bit colour step (1/255).
 */
const TOLERANCE = 1e-4;

if (process.env.SKIP_BROWSER === '1') {
  console.log('demo-browser.test.ts: skipped because SKIP_BROWSER=1');
  process.exit(0);
}

interface ClipResult {
  clip: string; method: string; classIndex: number; frames: number; width: number; height: number; camHeight: number; camWidth: number;
  profile: number[]; heatmapMax: number[];
}

/** What the page exposes of its clip player (window.gradcamDemo.clips). */
interface ClipWindow {
  gradcamDemo: { clips: { state: { last: ClipResult | null; current: number }; show(t: number): void; setPlaying(on: boolean): void } };
}

interface DemoResult {
  layer: string; width: number; height: number; classIndex: number;
  top: { classIndex: number; probability: number }[];
  heatmaps: Partial<Record<MethodName, number[]>>; errors: Partial<Record<MethodName, string>>; timings: Record<string, number>;
}

const test = suite('browser demo (headless Chromium)');

let context: BrowserContext | null = null, page: Page, server: Served | null = null;
let model: DemoModel;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-demo-'));
const pageErrors: string[] = [];
const requests: string[] = [];

/** conv -> flatten -> dense: no GAP -> Dense, so CAM does not apply. */
async function flattenHeadModel(dir: string): Promise<DemoModel> {
  await useWasmBackend();
  const input = tf.input({ shape: [64, 64, 3] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 4, strides: 4, activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const f = tf.layers.flatten({ name: 'flatten' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }).apply(f) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  await saveModel(m, dir);
  m.dispose();
  return { name: 'flatten-head', dir, card: { preprocessing: 'RGB in [0,1]' } };
}

/** A tiny random-weights ConvLSTM with a clip model's card (inputShape [T, H, W, C]): the demo's clip section. */
async function clipModel(dir: string): Promise<DemoModel> {
  await useWasmBackend();
  const m = buildConvLstm({ width: 0.25, seed: 5, inputShape: [10, 64, 64, 3] });
  await saveModel(m, dir);
  m.dispose();
  const card = { name: 'convlstm-tiny', inputShape: [10, 64, 64, 3], preprocessing: 'RGB in [0,1], nothing else', targetLayer: 'convlstm' };
  writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card));
  return { name: 'convlstm-tiny', dir, card };
}
let clip: DemoModel;

/** Builds and serves the demo, starts Chromium and loads the page (not in a uvu before hook: uvu 0.5 swallows their errors). */
async function setup(): Promise<void> {
  requireChromium('the browser demo test');
  const builtin = builtinModels()[0];
  model = builtin ? { name: builtin.name, dir: builtin.dir, card: builtin.card }
    : { name: 'standin', dir: await ensureStandin(), card: undefined };
  model.card ??= JSON.parse(readFileSync(path.join(model.dir, 'card.json'), 'utf8'));
  const noGap = await flattenHeadModel(path.join(tmp, 'flatten-head'));
  clip = await clipModel(path.join(tmp, 'convlstm-tiny'));
  const b = await buildDemo({ models: [model, noGap, clip], out: path.join(tmp, 'site') });
  server = await serve(b.out);
  context = await launchChromium(path.join(tmp, 'profile'));
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { gradcamDemo?: { state: { ready: boolean } } }).gradcamDemo?.state.ready === true,
    null, { timeout: 40_000 });
}

test.after(async () => {
  await context?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const explainIn = (p: Page, file: string) => p.evaluate((f) =>
  (window as unknown as { gradcamDemo: { explainSample(f: string): Promise<unknown> } }).gradcamDemo.explainSample(f), file) as Promise<DemoResult>;

/** The canvas's RGBA bytes. */
const pixels = (p: Page, id: string) => p.evaluate((i) => {
  const c = document.getElementById(i) as HTMLCanvasElement | null;
  if (!c) return null;
  return { width: c.width, height: c.height, data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
}, id);

let setupError: unknown = null;
try {
  await setup();
} catch (e) {
  setupError = e;
}
if (setupError) {
  // one failing test that carries the reason (missing Chromium, a failed build, a page that never got ready)
  test('the demo page starts in headless Chromium', () => { throw setupError; });
} else {
  browserTests();
}

/** The tests proper (registered once the page is up). */
function browserTests(): void {
  test('explains a bundled sample: three painted heatmaps, CAM = Grad-CAM (GAP -> Dense), Grad-CAM++ differs', async () => {
    const r = await explainIn(page, SAMPLE);
    assert.equal(r.errors, {}, 'no method should be refused on a GAP -> Dense model');
    const size = readImage(path.join(ROOT, 'demo', 'samples', SAMPLE));
    assert.is(r.width, size.width);
    assert.is(r.height, size.height);
    const painted: Record<string, number[]> = {};
    for (const m of METHODS) {
      const h = r.heatmaps[m.name];
      assert.ok(h && h.length === r.width * r.height, `${m.name}: heatmap of ${r.width}x${r.height}`);
      // the low-resolution map spans [0,1]; half-pixel upsampling of a coarse (e.g. 4x4) map never lands exactly
      // on a source centre, so the heatmap's max is a little below 1 (0.988 for 4x4 -> 64x64)
      assert.ok(Math.max(...h!) > 0.9 && Math.min(...h!) < 0.05, `${m.name}: a normalised, non-flat map`);
      for (const kind of ['heat', 'overlay', 'emap']) {
        const px = await pixels(page, `${kind}-${m.name}`);
        assert.ok(px, `canvas ${kind}-${m.name} exists`);
        assert.is(px!.width, r.width);
        assert.ok(new Set(px!.data.filter((_, i) => i % 4 === 0)).size > 8, `${kind}-${m.name} is painted (varied red channel)`);
        if (kind === 'heat') painted[m.name] = px!.data;
      }
    }
    // CAM and Grad-CAM weights are proportional on target -> GAP -> Dense (Selvaraju 2017, Sec. 3.1), so the
    // normalised maps coincide; Grad-CAM++ weights positive gradients by alpha and gives another map.
    assert.ok(maxAbsDiff(r.heatmaps.cam!, r.heatmaps.gradcam!) <= 1e-4, `CAM vs Grad-CAM ${maxAbsDiff(r.heatmaps.cam!, r.heatmaps.gradcam!)}`);
    assert.ok(maxAbsDiff(r.heatmaps['gradcam++']!, r.heatmaps.gradcam!) > 0.05, 'Grad-CAM++ differs from Grad-CAM');
    assert.ok(maxAbsDiff(painted['gradcam++']!, painted.gradcam!) > 10, 'the painted Grad-CAM++ differs from Grad-CAM');
    assert.ok(maxAbsDiff(painted['gradcam++']!, painted.cam!) > 10, 'the painted Grad-CAM++ differs from CAM');
    for (const k of ['forward to the target layer', 'head + gradients', 'maps (AssemblyScript kernels)']) {
      assert.ok(r.timings[k]! >= 0, `timing ${k} shown`);
    }
    assert.ok((await page.locator('#top5 li').count()) === 5, 'top-5 list');
    assert.match(await page.locator('#explained').innerText(), r.layer);
    mkdirSync(path.join(ROOT, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'artifacts', 'demo-browser.png'), fullPage: true });
  });

  test(`the browser's heatmaps equal Node's for the same PNG and model (max |diff| <= ${TOLERANCE})`, async () => {
    const r = await explainIn(page, SAMPLE);
    await useWasmBackend();
    const m = await loadModel(model.dir);
    const ex = await createExplainer(m, { layer: model.card?.targetLayer as string | undefined });
    const [n] = await ex.explain(readImage(path.join(ROOT, 'demo', 'samples', SAMPLE)), {
      methods: METHODS.map((x) => x.name), preprocess: preprocessFor(inputRangeOf(model.card).range),
    });
    assert.is(r.layer, n!.layer);
    assert.equal(r.top.map((p) => p.classIndex), n!.top.map((p) => p.classIndex), 'same top-5');
    assert.ok(maxAbsDiff(r.top.map((p) => p.probability), n!.top.map((p) => p.probability)) <= 1e-5, 'same probabilities');
    for (const x of METHODS) {
      const d = maxAbsDiff(r.heatmaps[x.name]!, n!.get(x.name)!.heatmap);
      console.log(`  ${x.title}: browser vs Node max |diff| = ${d.toExponential(2)}`);
      assert.ok(d <= TOLERANCE, `${x.name}: browser vs Node ${d}`);
    }
    m.dispose();
  });

  test('top-5: clicking a class explains that class', async () => {
    const second = await page.locator('#top5 li button').nth(1);
    const label = (await second.locator('span').first().innerText()).split(' ')[0];
    await second.click();
    await page.waitForFunction((c) => (window as unknown as { gradcamDemo: { state: { last: { classIndex: number } | null; busy: boolean } } })
      .gradcamDemo.state.last?.classIndex === c, Number(label), { timeout: 10_000 });
    assert.is(await page.locator('#top5 button[aria-pressed="true"]').count(), 1);
  });

  test('a model without GAP -> Dense: the CAM column shows the library message, the others are painted', async () => {
    await page.evaluate(() => (window as unknown as { gradcamDemo: { loadBundledModel(n: string): Promise<void> } }).gradcamDemo.loadBundledModel('flatten-head'));
    const r = await explainIn(page, SAMPLE);
    assert.ok(r.errors.cam, 'CAM refused');
    assert.match(r.errors.cam!, /CAM/);
    assert.ok(r.heatmaps.gradcam && r.heatmaps['gradcam++'], 'Grad-CAM and Grad-CAM++ still computed');
    assert.match(await page.locator('#maps td.na').innerText(), r.errors.cam!.slice(0, 40));
    assert.is(await page.locator('#heat-cam').count(), 0);
    await page.screenshot({ path: path.join(ROOT, 'artifacts', 'demo-browser-no-cam.png'), fullPage: true });
  });

  test('a model from files (model.json + weights + card.json, tf.io.browserFiles) and an image from the file input', async () => {
    const files = ['model.json', 'card.json', ...readdirSync(model.dir).filter((f) => f.endsWith('.bin'))].map((f) => path.join(model.dir, f));
    await page.setInputFiles('#model-files', files);
    await page.waitForFunction(() => (window as unknown as { gradcamDemo: { state: { busy: boolean; model: { name: string } | null; last: { model: string } | null } } })
      .gradcamDemo.state.model?.name !== 'flatten-head', null, { timeout: 20_000 });
    await page.setInputFiles('#image-file', path.join(ROOT, 'demo', 'samples', PICKED!));
    const last = await page.waitForFunction((f) => {
      const s = (window as unknown as { gradcamDemo: { state: { busy: boolean; last: DemoResult & { image: string; model: string } | null } } }).gradcamDemo.state;
      return !s.busy && s.last?.image === f && s.last.model !== 'flatten-head' ? s.last : null;
    }, PICKED, { timeout: 20_000 }).then((h) => h.jsonValue() as Promise<DemoResult>);
    assert.equal(last.errors, {});
    assert.is(Object.keys(last.heatmaps).length, METHODS.length);
  });

  test('a graph model from files (model.json with format graph-model + its shard) explains like the layers twin', async () => {
    const twin = await makeTwin(7);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-graph-'));
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(twin.json));
    writeFileSync(path.join(dir, 'group1-shard1of1.bin'), twin.weightData);
    twin.layers.dispose(); twin.graph.dispose();
    try {
      await page.setInputFiles('#model-files', [path.join(dir, 'model.json'), path.join(dir, 'group1-shard1of1.bin')]);
      const last = await page.waitForFunction(() => {
        const s = (window as unknown as { gradcamDemo: { state: { busy: boolean; model: { name: string } | null; last: (DemoResult & { model: string }) | null } } }).gradcamDemo.state;
        return !s.busy && s.model?.name === 'model.json' && s.last?.model === 'model.json' ? s.last : null;
      }, null, { timeout: 30_000 }).then((h) => h.jsonValue() as Promise<DemoResult>);
      assert.is(last.layer, 'c2/Relu', 'the auto-picked node');
      assert.ok(last.heatmaps.gradcam && last.heatmaps['gradcam++'] && last.heatmaps.cam, 'CAM, Grad-CAM and Grad-CAM++ on the graph model');
      assert.match(await page.locator('#model-info').innerText(), 'graph model');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dropping an image on the page explains it', async () => {
    const other = DROPPED!;
    const bytes = Array.from(readFileSync(path.join(ROOT, 'demo', 'samples', other)));
    await page.evaluate(({ name, data }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type: 'image/png' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, { name: other, data: bytes });
    await page.waitForFunction((f) => (window as unknown as { gradcamDemo: { state: { busy: boolean; last: { image: string } | null } } })
      .gradcamDemo.state.last?.image === f, other, { timeout: 20_000 });
  });

  test('the clip section: a bundled clip explained over time plays frame by frame, with the profile drawn', async () => {
    await page.waitForFunction(() => (window as unknown as { gradcamDemo: { state: { clipsReady: boolean } } }).gradcamDemo.state.clipsReady, null, { timeout: 60_000 });
    assert.is(await page.locator('#clip-section').isVisible(), true, 'the section is shown when a clip model is bundled');
    const options = await page.locator('#model-select option').allTextContents();
    assert.ok(!options.includes('convlstm-tiny'), `the clip model is not offered to the image section: ${options}`);
    const first = clipSamples()[0]!;
    const r = await page.evaluate(() => (window as unknown as { gradcamDemo: { clips: { state: { last: unknown } } } }).gradcamDemo.clips.state.last) as ClipResult;
    assert.is(r.clip, first.file);
    assert.equal([r.frames, r.width, r.height, r.camHeight, r.camWidth], [10, 64, 64, 16, 16]);
    assert.ok(Math.abs(r.profile.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'the profile sums to 1');
    assert.ok(Math.max(...r.heatmapMax) > 0.9, 'the map is normalised over the whole clip (its peak frame reaches ~1)');
    // it plays: the frame on the canvas changes by itself
    const seen = new Set<number>();
    for (let i = 0; i < 12 && seen.size < 3; i++) {
      seen.add(await page.evaluate(() => (window as unknown as ClipWindow).gradcamDemo.clips.state.current));
      await page.waitForTimeout(150);
    }
    assert.ok(seen.size >= 2, `the player advances on its own (frames seen: ${[...seen]})`);
    // paused at frame 4: the canvases show frame 4 and its overlay, bar 4 is the highlighted one
    await page.evaluate(() => { const p = (window as unknown as ClipWindow).gradcamDemo.clips; p.setPlaying(false); p.show(3); });
    const gif = readClip(first.path);
    const frame = await pixels(page, 'clip-frame');
    assert.equal([frame!.width, frame!.height], [64, 64]);
    assert.equal(frame!.data.slice(0, 64 * 4), Array.from(gif.frames[3]!.data.slice(0, 64 * 4)), 'the frame canvas shows frame 4');
    const over = await pixels(page, 'clip-overlay');
    assert.ok(maxAbsDiff(over!.data, frame!.data) > 10, 'the overlay canvas is not the bare frame');
    const prof = await pixels(page, 'clip-profile');
    const slot = prof!.width / 10, base = prof!.height - 13;
    const at = (x: number, y: number) => prof!.data.slice((y * prof!.width + Math.round(x)) * 4, (y * prof!.width + Math.round(x)) * 4 + 3);
    const peak = r.profile.indexOf(Math.max(...r.profile));
    assert.equal(at(3.5 * slot, base), [10, 102, 194], 'bar 4 (the current frame) is highlighted blue at its foot');
    assert.equal(at(((3 === peak ? 4 : peak) + 0.5) * slot, base), [153, 153, 153], 'another bar is grey');
    for (let t = 0; t < 10; t++) {
      const mark = at((t + 0.5) * slot, prof!.height - 5);
      assert.equal(mark, first.visible[t] ? [46, 160, 67] : [255, 255, 255], `frame ${t + 1}: ground-truth mark ${first.visible[t]}`);
    }
    await page.locator('#clip-section').screenshot({ path: path.join(ROOT, 'artifacts', 'demo-browser-clip.png') });
  });

  test('the clip section matches Node: explainSequence on the same GIF and model gives the same profile (<= 1e-4)', async () => {
    const first = clipSamples()[0]!;
    const r = await page.evaluate((f) => (window as unknown as { gradcamDemo: { clips: { play(f: string, m: string): Promise<unknown> } } })
      .gradcamDemo.clips.play(f, 'gradcam'), first.file) as ClipResult;
    await useWasmBackend();
    const m = await loadModel(clip.dir);
    const e = await explainSequence(m, readClip(first.path).frames, { method: 'gradcam', layer: 'convlstm', preprocess: (x) => x.div(255) as tf.Tensor4D });
    m.dispose();
    assert.is(r.method, 'gradcam');
    assert.is(r.classIndex, e.classIndex);
    const d = maxAbsDiff(r.profile, Array.from(e.profile));
    console.log(`  clip profile: browser vs Node max |diff| = ${d.toExponential(2)}`);
    assert.ok(d <= 1e-4, `profile browser vs Node ${d}`);
    assert.ok(maxAbsDiff(r.heatmapMax, e.heatmaps.map((h) => Math.max(...h))) <= 1e-4);
  });

  test('offline: every request went to the local server; no page errors', () => {
    const foreign = requests.filter((u) => !u.startsWith(server!.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.equal(foreign, [], `requests outside ${server!.url}`);
    assert.ok(requests.some((u) => u.endsWith('.wasm')), 'the tfjs wasm binary came from the local server');
    assert.equal(pageErrors, []);
  });
}

test.run();
