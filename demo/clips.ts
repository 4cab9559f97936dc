/**
 * The demo's clip section: a bundled clip model (e.g. the ConvLSTM of models/convlstm-clips) explains a bundled
 * moving-digit clip over time with explainSequence; the player shows frame t beside its overlay, frame by
 * frame, and the per-frame importance profile as a bar chart under them (the current frame highlighted, the
 * frames where the target digit is visible marked green). Click a bar to jump there; space/the button pauses.
 * The section stays hidden when no clip model is bundled.
 */
import {
  tf, explainSequence, overlay, getMethod, SEQUENCE_METHOD_NAMES,
  type ImageDataLike, type MethodName, type SequenceExplanation,
} from '../src/browser.js';
import { decodeGif } from '../src/clip-gif.js';
import { CLIP_FRAME_DELAY_MS, DEFAULT_METHOD } from '../src/constants.js';
import { className, inputRangeOf, preprocessFor, type ModelCardLike } from '../src/card.js';

export { isClipModel } from './model-kind.js';

export interface ClipModelEntry { name: string; card?: ModelCardLike }
export interface ClipSample { file: string; label?: number; visible?: boolean[] }

/** What the last clip explanation produced (for tests: plain arrays). */
export interface ClipResult {
  clip: string; model: string; method: MethodName; layer: string; classIndex: number; probability: number;
  frames: number; width: number; height: number; camHeight: number; camWidth: number;
  profile: number[]; heatmapMax: number[]; timings: Record<string, number>;
}

type Enqueue = <T>(what: string, job: () => Promise<T>) => Promise<T>;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function paint(canvas: HTMLCanvasElement, rgba: ImageDataLike): void {
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.classList.toggle('pixelated', rgba.width < 200);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba.data), rgba.width, rgba.height), 0, 0);
}

export function createClipPlayer(enqueue: Enqueue, status: (text: string) => void) {
  const state = {
    model: null as { name: string; model: tf.LayersModel; card?: ModelCardLike } | null,
    samples: [] as ClipSample[],
    method: DEFAULT_METHOD as MethodName,
    clip: null as null | { sample: ClipSample; frames: ImageDataLike[]; overlays: ImageDataLike[]; e: SequenceExplanation },
    current: 0,
    playing: true,
    last: null as ClipResult | null,
  };
  let timer: ReturnType<typeof setInterval> | null = null;

  /** The bars of the profile; bar t highlighted, ground-truth frames marked green under the axis. */
  function drawProfile(): void {
    const c = state.clip;
    const canvas = $<HTMLCanvasElement>('clip-profile');
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!c) return;
    const T = c.e.frames, slot = canvas.width / T, h = canvas.height - 12;
    const max = Math.max(...c.e.profile);
    for (let t = 0; t < T; t++) {
      const bh = max > 0 ? (h - 4) * c.e.profile[t]! / max : 0;
      ctx.fillStyle = t === state.current ? '#0a66c2' : '#999';
      ctx.fillRect(t * slot + slot * 0.15, h - bh, slot * 0.7, bh);
      if (c.sample.visible?.[t]) { ctx.fillStyle = '#2ea043'; ctx.fillRect(t * slot + slot * 0.15, h + 4, slot * 0.7, 6); }
    }
    ctx.fillStyle = '#3c3c3c';
    ctx.fillRect(0, h, canvas.width, 1);
  }

  function show(t: number): void {
    const c = state.clip;
    if (!c) return;
    state.current = ((t % c.frames.length) + c.frames.length) % c.frames.length;
    paint($('clip-frame'), c.frames[state.current]!);
    paint($('clip-overlay'), c.overlays[state.current]!);
    $<HTMLInputElement>('clip-seek').value = String(state.current);
    $('clip-frame-label').textContent = `frame ${state.current + 1} / ${c.frames.length}: ` +
      `${(c.e.profile[state.current]! * 100).toFixed(1)}% of the map` + (c.sample.visible?.[state.current] ? ' (target visible)' : '');
    drawProfile();
  }

  function setPlaying(on: boolean): void {
    state.playing = on;
    if (timer) clearInterval(timer);
    timer = on ? setInterval(() => show(state.current + 1), CLIP_FRAME_DELAY_MS) : null;
    $('clip-play').textContent = on ? 'pause' : 'play';
  }

  /** Explains a bundled clip with the clip model and starts playing it. */
  function play(file: string, method: MethodName = state.method): Promise<ClipResult> {
    return enqueue(`explaining clip ${file}`, async () => {
      const m = state.model;
      if (!m) throw new Error('no clip model is loaded');
      const sample = state.samples.find((s) => s.file === file) ?? { file };
      const r = await fetch(`samples/clips/${encodeURIComponent(file)}`);
      if (!r.ok) throw new Error(`samples/clips/${file}: HTTP ${r.status}`);
      const clip = decodeGif(new Uint8Array(await r.arrayBuffer()), file);
      const e = await explainSequence(m.model, clip.frames, {
        method, layer: m.card?.targetLayer, preprocess: preprocessFor(inputRangeOf(m.card).range),
      });
      const t0 = performance.now();
      const overlays: ImageDataLike[] = [];
      for (let t = 0; t < e.frames; t++) overlays.push(await overlay(clip.frames[t]!, { heatmap: e.heatmaps[t]!, width: e.width, height: e.height }));
      state.method = method;
      state.clip = { sample, frames: clip.frames, overlays, e };
      for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('#clip-samples button'))) b.setAttribute('aria-pressed', String(b.dataset.file === file));
      $<HTMLInputElement>('clip-seek').max = String(e.frames - 1);
      $('clip-overlay-caption').textContent = `${getMethod(e.method).title} overlay`;
      const truth = sample.label != null ? `; true class ${className(m.card, sample.label)}` : '';
      $('clip-explained').textContent = `${file}: class ${className(m.card, e.classIndex)} (p = ${e.probability.toFixed(3)}${truth}) ` +
        `explained with ${getMethod(e.method).title} at ${e.layer} (${e.frames} x ${e.camHeight}x${e.camWidth}, one map normalised over the whole clip) ` +
        `in ${e.timings.total.toFixed(0)} ms.`;
      show(0);
      setPlaying(true);
      const result: ClipResult = {
        clip: file, model: m.name, method: e.method, layer: e.layer, classIndex: e.classIndex, probability: e.probability,
        frames: e.frames, width: e.width, height: e.height, camHeight: e.camHeight, camWidth: e.camWidth,
        profile: Array.from(e.profile), heatmapMax: e.heatmaps.map((h) => Math.max(...h)),
        timings: { ...e.timings, render: performance.now() - t0 },
      };
      state.last = result;
      status(`explained clip ${file} with ${m.name}: class ${className(m.card, e.classIndex)} in ${e.timings.total.toFixed(0)} ms`);
      return result;
    });
  }

  /** Loads the clip model and the sample clips, shows the section and plays the first clip. */
  async function start(entry: ClipModelEntry): Promise<ClipResult | null> {
    const manifest = await fetch('samples/clips/clips.json').then((r) => (r.ok ? r.json() as Promise<{ clips: ClipSample[] }> : { clips: [] }));
    state.samples = manifest.clips;
    await enqueue(`loading clip model ${entry.name}`, async () => {
      const model = await tf.loadLayersModel(`models/${encodeURIComponent(entry.name)}/model.json`);
      state.model = { name: entry.name, model, card: entry.card };
      const shape = model.inputs[0]!.shape;
      $('clip-info').textContent = `${entry.name}: clips of ${shape[1]} frames of ${shape[2]}x${shape[3]}, ` +
        `${model.countParams().toLocaleString('en-US')} parameters.`;
    });
    $('clip-samples').replaceChildren(...state.samples.map((s) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.file = s.file;
      b.title = `${s.file}${s.label != null ? ` (class ${s.label})` : ''}`;
      const img = document.createElement('img');
      img.src = `samples/clips/${encodeURIComponent(s.file)}`;
      img.alt = s.file;
      b.append(img);
      b.addEventListener('click', () => { play(s.file).catch(() => undefined); });
      return b;
    }));
    const select = $<HTMLSelectElement>('clip-method');
    select.replaceChildren(...SEQUENCE_METHOD_NAMES.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: getMethod(n).title })));
    select.value = state.method;
    select.addEventListener('change', () => { if (state.clip) play(state.clip.sample.file, select.value as MethodName).catch(() => undefined); });
    $('clip-play').addEventListener('click', () => setPlaying(!state.playing));
    $<HTMLInputElement>('clip-seek').addEventListener('input', (ev) => { setPlaying(false); show(Number((ev.target as HTMLInputElement).value)); });
    $<HTMLCanvasElement>('clip-profile').addEventListener('click', (ev) => {
      if (!state.clip) return;
      const c = ev.target as HTMLCanvasElement;
      setPlaying(false);
      show(Math.floor((ev.offsetX / c.clientWidth) * state.clip.e.frames));
    });
    $('clip-section').hidden = false;
    return state.samples.length ? play(state.samples[0]!.file) : null;
  }

  return { state, start, play, show, setPlaying };
}
