/**
 * The browser demo: pick a model and an image, see CAM, Grad-CAM and Grad-CAM++ side by side (overlay,
 * heatmap, explanation map E = heatmap x image), the top-5 classes and the time each step took.
 * Bundled by demo/build.ts (esbuild) into dist/demo/app.js; everything is served from that folder.
 *
 * A clip model in the bundle (card inputShape [T, H, W, C]) gets its own section (./clips.ts).
 * For tests, window.gradcamDemo exposes the state and the last result (heatmaps as plain arrays).
 */
import {
  tf, createExplainer, candidateLayers, colorize, explanationMap, overlay, toRgba, useWasmBackend,
  METHODS, MethodNotApplicableError, GradCamError, isLayersModel,
  type Explainer, type ExplainableModel, type ImageDataLike, type ImageExplanations, type MethodName,
} from '../src/browser.js';
import '../src/models/normalization.js'; // registers the Normalization layer some of our backbones use
import { className, inputRangeOf, preprocessFor, type InputRange, type ModelCardLike } from '../src/card.js';
import { createClipPlayer, isClipModel } from './clips.js';

interface BundledModel { name: string; card?: ModelCardLike }
interface Sample { file: string; label?: number; split?: string }
interface ImageState { name: string; rgba: ImageDataLike; label?: number }
interface ModelState { name: string; model: ExplainableModel; card?: ModelCardLike; loadMs: number }

/** What the last explanation produced (for people: the page; for tests: this object). */
export interface DemoResult {
  image: string;
  model: string;
  layer: string;
  width: number;
  height: number;
  classIndex: number;
  top: { classIndex: number; probability: number }[];
  /** Per method: the heatmap (row-major, width x height, in [0,1]) or the message saying why it does not apply. */
  heatmaps: Partial<Record<MethodName, number[]>>;
  errors: Partial<Record<MethodName, string>>;
  timings: Record<string, number>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

const state = {
  ready: false,
  busy: false,
  models: [] as BundledModel[],
  samples: [] as Sample[],
  model: null as ModelState | null,
  explainer: null as Explainer | null,
  planMs: 0,
  range: '0,1' as InputRange,
  image: null as ImageState | null,
  classIndex: undefined as number | undefined,
  last: null as DemoResult | null,
  error: null as string | null,
  /** The clip section is set up (or there is no clip model). */
  clipsReady: false,
};

// One thing at a time: every action waits for the previous one.
let queue: Promise<unknown> = Promise.resolve();
function enqueue<T>(what: string, job: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    state.busy = true;
    status(`${what}…`);
    try {
      const r = await job();
      state.error = null;
      return r;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      state.error = msg;
      status(e instanceof GradCamError ? msg : `${what} failed: ${msg}`, true);
      throw e;
    } finally {
      state.busy = false;
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

const clips = createClipPlayer(enqueue, (text) => status(text));

function status(text: string, error = false): void {
  const s = $('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

async function fetchJson<T>(url: string, fallback?: T): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${url}: HTTP ${r.status}`);
  }
  return r.json() as Promise<T>;
}

/** RGBA bytes of an image file or blob, at most `maxSide` pixels on its longer side. */
async function decode(blob: Blob, maxSide = 512): Promise<ImageDataLike> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error('this file is not an image the browser can decode');
  }
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale)), height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = el('canvas', { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  for (let i = 3; i < data.length; i += 4) data[i] = 255; // the model sees RGB; draw it opaque too
  return { data, width, height };
}

function paint(canvas: HTMLCanvasElement, rgba: ImageDataLike): void {
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.classList.toggle('pixelated', rgba.width < 200);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba.data), rgba.width, rgba.height), 0, 0);
}

// ---- models ---------------------------------------------------------------------------------------

async function useModel(name: string, model: ExplainableModel, card: ModelCardLike | undefined, loadMs: number): Promise<void> {
  state.model?.model.dispose();
  state.explainer?.dispose();
  state.model = { name, model, card, loadMs };
  state.explainer = null;
  const { range } = inputRangeOf(card);
  state.range = range;
  $<HTMLSelectElement>('range-select').value = range;
  const layers = candidateLayers(model);
  const select = $<HTMLSelectElement>('layer-select');
  select.replaceChildren(...layers.map((l) => el('option', { value: l, textContent: l })));
  const t0 = performance.now();
  state.explainer = await createExplainer(model, { layer: card?.targetLayer && layers.includes(card.targetLayer) ? card.targetLayer : undefined });
  state.planMs = performance.now() - t0;
  select.value = state.explainer.layer;
  const [, h, w, c] = state.explainer.plan.inputShape;
  const params = isLayersModel(model) ? `${model.countParams().toLocaleString('en-US')} parameters` : 'graph model';
  $('model-info').textContent = `${name}: input ${h ?? '?'}x${w ?? '?'}x${c ?? '?'}, ${params}, ` +
    `${state.explainer.plan.numClasses} classes` + (card?.note ? ` (${card.note})` : '');
  state.classIndex = undefined;
}

function loadBundledModel(name: string): Promise<void> {
  return enqueue(`loading model ${name}`, async () => {
    $<HTMLSelectElement>('model-select').value = name;
    const t0 = performance.now();
    const model = await tf.loadLayersModel(`models/${encodeURIComponent(name)}/model.json`);
    const loadMs = performance.now() - t0;
    await useModel(name, model, state.models.find((m) => m.name === name)?.card, loadMs);
    if (state.image) await explainNow();
  });
}

function loadModelFiles(files: File[]): Promise<void> {
  return enqueue('loading the model files', async () => {
    const jsons = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
    const cardFile = jsons.find((f) => f.name.toLowerCase() === 'card.json');
    const modelFile = jsons.find((f) => f !== cardFile);
    if (!modelFile) throw new Error('choose the model.json together with its weight files (.bin), all at once');
    const weights = files.filter((f) => !f.name.toLowerCase().endsWith('.json'));
    const card = cardFile ? JSON.parse(await cardFile.text()) as ModelCardLike : undefined;
    const t0 = performance.now();
    // a layers model (Keras) or a graph model (converted from a SavedModel / TF Hub): model.json's "format" says which
    let model: ExplainableModel;
    let format = '';
    try {
      format = String((JSON.parse(await modelFile.text()) as { format?: unknown }).format ?? '');
    } catch (e) {
      throw new Error(`${modelFile.name} is not JSON: ${(e as Error).message}`);
    }
    const kind = format === 'graph-model' ? 'graph' : 'layers';
    try {
      const handler = tf.io.browserFiles([modelFile, ...weights]);
      model = kind === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    } catch (e) {
      throw new Error(`${modelFile.name} could not be loaded as a tfjs ${kind} model: ${(e as Error).message}`);
    }
    const loadMs = performance.now() - t0;
    const sel = $<HTMLSelectElement>('model-select');
    const name = modelFile.name === 'model.json' && card?.name ? String(card.name) : modelFile.name;
    sel.append(el('option', { value: `file:${name}`, textContent: `${name} (your files)` }));
    sel.value = `file:${name}`;
    await useModel(name, model, card, loadMs);
    if (state.image) await explainNow();
  });
}

function setLayer(layer: string): Promise<void> {
  return enqueue(`preparing layer ${layer}`, async () => {
    if (!state.model) return;
    state.explainer?.dispose();
    const t0 = performance.now();
    state.explainer = null;
    state.explainer = await createExplainer(state.model.model, { layer });
    state.planMs = performance.now() - t0;
    if (state.image) await explainNow();
  });
}

// ---- images ---------------------------------------------------------------------------------------

function setImage(name: string, blob: Blob, label?: number): Promise<DemoResult | null> {
  return enqueue(`reading ${name}`, async () => {
    state.image = { name, rgba: await decode(blob), label };
    state.classIndex = undefined;
    for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#samples button'))) {
      b.setAttribute('aria-pressed', String(b.dataset.file === name));
    }
    return state.model ? explainNow() : null;
  });
}

async function explainSample(file: string): Promise<DemoResult | null> {
  const s = state.samples.find((x) => x.file === file);
  if (!s) throw new Error(`no sample ${file}`);
  const r = await fetch(`samples/${encodeURIComponent(file)}`);
  if (!r.ok) throw new Error(`samples/${file}: HTTP ${r.status}`);
  return setImage(file, await r.blob(), s.label);
}

function explainClass(c: number): Promise<DemoResult | null> {
  return enqueue(`explaining class ${c}`, async () => {
    state.classIndex = c;
    return explainNow();
  });
}

// ---- explaining -----------------------------------------------------------------------------------

async function explainNow(): Promise<DemoResult> {
  const { model, explainer, image } = state;
  if (!model || !explainer || !image) throw new Error('choose a model and an image first');
  status(`explaining ${image.name} with ${model.name}…`);
  await new Promise((r) => requestAnimationFrame(() => r(null))); // let the status paint
  const preprocess = preprocessFor(state.range);
  const errors: DemoResult['errors'] = {};
  const run: MethodName[] = [];
  for (const m of METHODS) {
    if (explainer.applicable().find((a) => a.method === m.name)?.ok) { run.push(m.name); continue; }
    try { // ask the library: its error message says why
      await explainer.explain(image.rgba, { methods: [m.name], preprocess });
      run.push(m.name);
    } catch (e) {
      if (!(e instanceof MethodNotApplicableError)) throw e;
      errors[m.name] = e.message;
    }
  }
  if (run.length === 0) throw new Error(Object.values(errors).join(' '));
  const [r] = await explainer.explain(image.rgba, { methods: run, classIndex: state.classIndex, preprocess }) as ImageExplanations[];
  const t0 = performance.now();
  render(r!, errors);
  const renderMs = performance.now() - t0 + (await renderMaps(r!, errors));
  const e0 = r!.explanations[0]!;
  const timings = {
    'load model': model.loadMs, 'prepare layer (split model)': state.planMs, 'input (decode, resize, scale)': r!.timings.prepare,
    'forward to the target layer': r!.timings.forward, 'head + gradients': r!.timings.gradients,
    'maps (AssemblyScript kernels)': r!.timings.maps, 'explain total': r!.timings.total, 'render (overlay, heatmap, E)': renderMs,
  };
  $('timings').replaceChildren(...Object.entries(timings).map(([k, v]) =>
    el('tr', {}, el('td', { textContent: k }), el('td', { textContent: `${v.toFixed(1)} ms` }))));
  const result: DemoResult = {
    image: image.name, model: model.name, layer: r!.layer, width: e0.width, height: e0.height, classIndex: e0.classIndex,
    top: r!.top.map((p) => ({ classIndex: p.classIndex, probability: p.probability })),
    heatmaps: Object.fromEntries(r!.explanations.map((e) => [e.method, Array.from(e.heatmap)])), errors, timings,
  };
  state.last = result;
  status(`explained ${image.name}: class ${className(model.card, e0.classIndex)} in ${r!.timings.total.toFixed(1)} ms ` +
    `(${tf.getBackend()} backend)`);
  return result;
}

function render(r: ImageExplanations, errors: DemoResult['errors']): void {
  const { model, image } = state;
  $('results').hidden = false;
  paint($('input-canvas'), image!.rgba);
  $('input-caption').textContent = `${image!.name} (${image!.rgba.width}x${image!.rgba.height})` +
    (image!.label != null ? `, true class ${className(model!.card, image!.label)}` : '');
  const e0 = r.explanations[0]!;
  $('top5').replaceChildren(...r.top.map((p) => {
    const b = el('button', { type: 'button', title: `explain class ${p.classIndex}` },
      el('span', { textContent: className(model!.card, p.classIndex) }),
      el('span', {}, el('div', { className: 'bar' })),
      el('span', { textContent: `${(p.probability * 100).toFixed(1)}%` }));
    (b.querySelector('.bar') as HTMLElement).style.width = `${Math.max(1, p.probability * 100)}%`;
    b.setAttribute('aria-pressed', String(p.classIndex === e0.classIndex));
    b.addEventListener('click', () => { explainClass(p.classIndex).catch(() => undefined); });
    return el('li', {}, b);
  }));
  $('explained').textContent = `Explaining class ${className(model!.card, e0.classIndex)} ` +
    `(p = ${e0.probability.toFixed(3)}, logit ${e0.logit.toFixed(3)}) at target layer ${r.layer} ` +
    `(${e0.camHeight}x${e0.camWidth} map, upsampled to ${e0.width}x${e0.height}).`;
  const rows = ['overlay', 'heatmap', 'E = heatmap × image'];
  const head = el('tr', {}, el('th'), ...METHODS.map((m) => el('th', { textContent: m.title, title: m.reference })));
  const body = rows.map((row, i) => el('tr', {}, el('th', { className: 'row', textContent: row }),
    ...METHODS.map((m) => errors[m.name]
      ? (i === 0 ? el('td', { className: 'na', rowSpan: rows.length, textContent: errors[m.name] }) : '')
      : el('td', {}, el('canvas', { id: `${['overlay', 'heat', 'emap'][i]}-${m.name}` })))));
  $('maps').replaceChildren(head, ...body);
}

/** Paints the three pictures of every method; returns the time it took (ms). */
async function renderMaps(r: ImageExplanations, errors: DemoResult['errors']): Promise<number> {
  const t0 = performance.now();
  const img = state.image!.rgba;
  const rgb = tf.tidy(() => tf.div(tf.slice(tf.tensor3d(Float32Array.from(img.data), [img.height, img.width, 4]), [0, 0, 0], [-1, -1, 3]), 255) as tf.Tensor3D);
  try {
    for (const m of METHODS) {
      if (errors[m.name]) continue;
      const e = r.get(m.name)!;
      paint($(`overlay-${m.name}`), await overlay(img, e));
      paint($(`heat-${m.name}`), { data: await colorize(e, e.width, e.height), width: e.width, height: e.height });
      const E = await explanationMap(rgb, e);
      try { paint($(`emap-${m.name}`), toRgba(E)); } finally { E.dispose(); }
    }
  } finally {
    rgb.dispose();
  }
  return performance.now() - t0;
}

// ---- start ----------------------------------------------------------------------------------------

function wireInputs(): void {
  $<HTMLSelectElement>('model-select').addEventListener('change', (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    if (!v.startsWith('file:')) loadBundledModel(v).catch(() => undefined);
  });
  $<HTMLInputElement>('model-files').addEventListener('change', (ev) => {
    const files = Array.from((ev.target as HTMLInputElement).files ?? []);
    if (files.length) loadModelFiles(files).catch(() => undefined);
  });
  $<HTMLSelectElement>('layer-select').addEventListener('change', (ev) => {
    setLayer((ev.target as HTMLSelectElement).value).catch(() => undefined);
  });
  $<HTMLSelectElement>('range-select').addEventListener('change', (ev) => {
    state.range = (ev.target as HTMLSelectElement).value as InputRange;
    if (state.image && state.model) enqueue('explaining', explainNow).catch(() => undefined);
  });
  $<HTMLInputElement>('image-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) setImage(f.name, f).catch(() => undefined);
  });
  let depth = 0;
  document.addEventListener('dragenter', (ev) => { ev.preventDefault(); depth++; document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
  document.addEventListener('dragover', (ev) => ev.preventDefault());
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const files = Array.from(ev.dataTransfer?.files ?? []);
    if (files.some((f) => f.name.toLowerCase().endsWith('.json'))) loadModelFiles(files).catch(() => undefined);
    else if (files[0]) setImage(files[0].name, files[0]).catch(() => undefined);
  });
}

async function start(): Promise<void> {
  wireInputs();
  await useWasmBackend();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  $('backend').textContent = `tfjs ${tf.version.tfjs}, backend ${tf.getBackend()} (SIMD ${simd ? 'on' : 'off'}, ` +
    `${threads ? 'multi-threaded' : 'one thread'}); methods: ${METHODS.map((m) => m.title).join(', ')}.`;
  let [models, samples] = await Promise.all([
    fetchJson<BundledModel[]>('models/index.json', []),
    fetchJson<{ samples: Sample[] }>('samples/samples.json', { samples: [] }),
  ]);
  const clipModels = models.filter(isClipModel);
  models = models.filter((m) => !isClipModel(m)); // the image section's models; clip models go to the clip section
  state.models = models;
  state.samples = samples.samples;
  $<HTMLSelectElement>('model-select').replaceChildren(...models.map((m) => el('option', { value: m.name, textContent: m.name })));
  $('samples').replaceChildren(...state.samples.map((s) => {
    const b = el('button', { type: 'button', title: `${s.file}${s.label != null ? ` (class ${s.label})` : ''}` },
      el('img', { src: `samples/${encodeURIComponent(s.file)}`, alt: s.file }));
    b.dataset.file = s.file;
    b.addEventListener('click', () => { explainSample(s.file).catch(() => undefined); });
    return b;
  }));
  if (models.length) await loadBundledModel(models[0]!.name);
  else status('No bundled model: load a tfjs layers model (model.json + weights) above.');
  state.ready = true;
  if (models.length && state.samples.length) await explainSample(state.samples[0]!.file);
  if (clipModels.length) await clips.start(clipModels[0]!);
  state.clipsReady = true;
}

declare global {
  interface Window { gradcamDemo: unknown }
}
window.gradcamDemo = { state, explainSample, explainClass, loadBundledModel, setLayer, clips };
start().catch((e) => {
  state.error = e instanceof Error ? e.message : String(e);
  status(`The demo could not start: ${state.error}`, true);
});
