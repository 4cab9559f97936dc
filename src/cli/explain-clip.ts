/**
 * gradcam-wasm explain --clip: explains a clip model's prediction for a clip (a folder of frames or an animated
 * GIF, or a bundled sample clip) over time with explainSequence, prints the class and the per-frame importance
 * profile, and writes the figure (src/node/animation.ts): an animated GIF, or a still PNG sheet.
 * Parsing and printing only; the clip files, the explanation and the figures are library code.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_METHOD } from '../constants.js';
import { UnsupportedModelError } from '../errors.js';
import { getMethod, type MethodName } from '../methods/registry.js';
import { className, inputRangeOf, parseClass, preprocessFor } from '../card.js';
import { UsageError } from './errors.js';
import { builtinModels } from '../node/zoo.js';

/** The bundled clip model, the default of --clip when it is installed. */
export const CLIP_MODEL = 'convlstm-clips';

/** The explain options the clip mode reads (parsed by explain.ts). */
export interface ClipValues {
  model?: string; clip?: string; sample?: string; out?: string; method?: string[]; class?: string; layer?: string;
  alpha: number; 'input-range'?: string; labels?: string;
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** Frames 1-based, runs joined: [f,t,t,t,f] -> "2-4". */
function runs(flags: readonly boolean[]): string {
  const out: string[] = [];
  for (let t = 0; t < flags.length; t++) {
    if (!flags[t] || flags[t - 1]) continue;
    let e = t;
    while (flags[e + 1]) e++;
    out.push(e === t ? `${t + 1}` : `${t + 1}-${e + 1}`);
  }
  return out.join(', ') || 'none';
}

export async function explainClip(values: ClipValues): Promise<number> {
  if (values.clip != null && values.sample != null) throw new UsageError('give --clip or --sample, not both');
  const out = values.out;
  if (out && !['.gif', '.png'].includes(path.extname(out).toLowerCase())) {
    throw new UsageError(`with a clip, --out must name a .gif (the animation) or a .png (a still sheet), got "${out}"`);
  }
  const { parseLabels, parseMethods, openModel } = await import('./common.js');
  const { methods, all } = parseMethods(values.method, DEFAULT_METHOD as MethodName);
  if (all || methods.length !== 1) throw new UsageError('with a clip, give one --method (a clip is explained with one method at a time)');
  const method = methods[0]!;
  let modelName = values.model;
  if (modelName == null) {
    if (!builtinModels().some((m) => m.name === CLIP_MODEL)) {
      throw new UsageError(`--model is required: the bundled clip model ${CLIP_MODEL} is not installed`);
    }
    modelName = CLIP_MODEL;
  }
  const { ensureOutputFile, writeOutput } = await import('./output.js');
  const { readClip } = await import('../node/clip-io.js');
  const { clipSample } = await import('../node/clip-samples.js');
  const sample = values.sample != null ? clipSample(values.sample) : undefined;
  const file = sample?.path ?? values.clip!;
  if (out) ensureOutputFile(out, '--out'); // before the work: a wrong path fails at once
  const labels = values.labels == null ? undefined : parseLabels(values.labels);

  const loaded = await openModel(modelName);
  try {
    const card = labels ? { ...loaded.card, classNames: labels } : loaded.card;
    const shape = (loaded.model as { inputs?: { shape: (number | null)[] }[] }).inputs?.[0]?.shape;
    if (!shape || shape.length !== 5) {
      throw new UnsupportedModelError(`${loaded.name} takes ${shape ? `inputs [${shape.slice(1).map((d) => d ?? '?').join(', ')}]` : 'no clip input'}, ` +
        'not clips [T, H, W, C]: explain its images with --image, or give a clip model (e.g. a ConvLSTM) with --model.');
    }
    const T = shape[1] ?? undefined;
    const clip = readClip(file, { frames: T, what: `the model ${loaded.name}` });
    const { range, from } = inputRangeOf(card, values['input-range']);
    const target = values.class == null ? 'top' as const : parseClass(values.class, card);
    const { explainSequence } = await import('../sequence/index.js');
    const e = await explainSequence(loaded.model, clip.frames, {
      method, layer: values.layer ?? card?.targetLayer, target, labels, preprocess: preprocessFor(range),
    });
    const t0 = performance.now();
    let wrote = '';
    if (out) {
      const { figureKind, sequenceFigure } = await import('../node/animation.js');
      const fig = await sequenceFigure(figureKind(out), clip.frames, e, { alpha: values.alpha, visible: sample?.visible });
      writeOutput(out, '--out', () => writeFileSync(out, fig.bytes));
      const what = `frame | ${getMethod(method).title} overlay, per-frame importance below`;
      wrote = fig.kind === 'gif'
        ? `wrote ${out} (animated GIF: ${fig.frames} frames of ${fig.width}x${fig.height}, ${fig.delayMs} ms each: ${what})`
        : `wrote ${out} (still sheet ${fig.width}x${fig.height}: the frames, their ${getMethod(method).title} overlays, one importance bar per frame)`;
    }
    const renderMs = performance.now() - t0;

    const name = (c: number, label?: string) => (label != null && label !== String(c) ? `${c} "${label}"` : className(card, c));
    console.log(`model: ${loaded.name} (${loaded.file}); input range ${range} (${from}); ` +
      `clip ${file}: ${clip.frames.length} frames of ${clip.width}x${clip.height} (${clip.kind === 'gif' ? 'GIF' : 'folder'})`);
    console.log(`explained: class ${name(e.classIndex, e.label)} (p = ${e.probability.toFixed(3)}, logit ${e.logit.toFixed(3)}) ` +
      `at layer ${e.layer} (${e.frames} x ${e.camHeight}x${e.camWidth}) with ${getMethod(e.method).title}`);
    if (sample) {
      const share = sample.visible.reduce((s, v, t) => s + (v ? e.profile[t]! : 0), 0);
      console.log(`ground truth: class ${className(card, sample.label)}${sample.label === e.classIndex ? ' (predicted right)' : ' (predicted WRONG)'}; ` +
        `target visible in frames ${runs(sample.visible)}; share of the map there: ${share.toFixed(3)}`);
    }
    const peak = Math.max(...e.profile);
    console.log(`per-frame importance (share of the map${sample ? '; * = target visible' : ''}):`);
    for (let t = 0; t < e.frames; t++) {
      const bar = '#'.repeat(peak > 0 ? Math.round((30 * e.profile[t]!) / peak) : 0);
      console.log(`  frame ${String(t + 1).padStart(2)}${sample?.visible[t] ? '*' : ' '} ${e.profile[t]!.toFixed(3)} ${bar}`);
    }
    const times = { 'load model': loaded.loadMs, prepare: e.timings.prepare, forward: e.timings.forward, 'head+gradients': e.timings.gradients, maps: e.timings.maps, explain: e.timings.total };
    console.log(`timings (ms): ${Object.entries(times).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
    console.log(`render+write (ms): ${renderMs.toFixed(1)}`);
    if (wrote) console.log(wrote);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
