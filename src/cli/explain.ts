/**
 * gradcam-wasm explain: explain one image file with a model, write the overlay PNG, print the top classes
 * and the timings. With --clip (or a sample clip) a clip model over time: ./explain-clip.ts.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_METHOD, DEFAULT_OVERLAY_ALPHA } from '../constants.js';
import { METHOD_NAMES, getMethod, type MethodName } from '../methods/registry.js';
import { INPUT_RANGES, parseClass } from '../card.js';
import { UsageError, runCommand } from './errors.js';
import { InvalidInputError } from '../errors.js';
import { sampleNames } from '../node/samples.js';
import { clipSampleNames } from '../node/clip-samples.js';
import type { Command } from './types.js';

const SAMPLES = sampleNames();
const CLIP_SAMPLES = clipSampleNames();
const usage = `Usage: gradcam-wasm explain --model <model.json | folder | built-in name> (--image <png|jpg> | --sample <name>) [options]
       gradcam-wasm explain --clip <folder of frames | .gif> [--model <clip model>] [options]

Explains the model's prediction for one image with CAM, Grad-CAM and/or Grad-CAM++ (tfjs wasm backend),
prints the top-5 classes, the explained class, the target layer and the timings, and writes the overlay
(the jet heatmap blended over the image) as a PNG.

Options:
  --model <m>        a built-in model (see \`gradcam-wasm models\`), a model.json, or the folder holding it
                     (a tfjs layers model; its weight files next to it; a card.json there is read too)
  --image <file>     the image, PNG or JPEG; resized to the model's input size for the prediction,
                     the heatmap and the overlay keep the image's own size
  --sample <name>    instead of --image: a sample scene that ships with the package, one of
                     ${SAMPLES.join(', ') || '(none installed)'}
  --clip <c>         instead of --image: a clip for a clip model (e.g. a ConvLSTM, input [T, H, W, C]):
                     a folder of PNG/JPEG frames (sorted by name, numbers as numbers; one size) or an
                     animated .gif, with as many frames as the model's T. Explained over time with one
                     method (explainSequence); prints the class and the per-frame importance profile.
                     --model defaults to the bundled clip model convlstm-clips when it is installed.
                     The sample clips (--sample <name>) are ${CLIP_SAMPLES.join(', ') || '(none installed)'}
  --out <file.png>   where to write the figure (nothing is written without --out):
                       one method:      the overlay
                       several methods: one strip, left to right: the input, then one overlay per
                                        method in the order ${METHOD_NAMES.join(', ')}
                       a clip, .gif:    an animation, per frame: the frame | its overlay, and the
                                        per-frame importance bars (this frame's bar highlighted)
                       a clip, .png:    a still sheet: the frames, their overlays, one bar per frame
  --method <m>       ${METHOD_NAMES.join(' | ')} | all (default ${DEFAULT_METHOD}); repeat it or separate
                     names with commas. 'all' skips, with a note, a method the model does not allow
                     (CAM needs target layer -> global average pooling -> Dense); naming such a method
                     explicitly is an error.
  --class <c>        the class to explain: an index, or a class name (default: the top-1 class)
  --labels <l>       class names: a JSON file with an array of names, or names separated by commas
                     (default: labels.json next to the model.json, else the card's classNames)
  --layer <name>     the target layer (default: the card's targetLayer, else the last conv feature map)
  --alpha <a>        heatmap opacity in the overlay, 0..1 (default ${DEFAULT_OVERLAY_ALPHA})
  --input-range <r>  ${INPUT_RANGES.join(' | ')}: the pixel range the model expects (default: from the
                     card's preprocessing, else 0,1)
  -h, --help         this help

Exit codes: 0 done, 1 the explanation failed (message on stderr), 2 a mistake in the command line.
Example:
  gradcam-wasm explain --model vgg16-digits --sample ${SAMPLES.find((n) => n.startsWith('test-multi')) ?? 'test-multi-0-digit3'} --method all --out fig.png
Clip example (with the bundled clip model convlstm-clips, else add --model <clip model>):
  gradcam-wasm explain --sample ${CLIP_SAMPLES[1] ?? CLIP_SAMPLES[0] ?? 'clip-1-digit9'} --method gradcam++ --out clip.gif`;

export const explainCommand: Command = {
  name: 'explain',
  summary: 'explain one image (CAM, Grad-CAM, Grad-CAM++): overlay PNG, top classes, timings',
  usage,
  run: (args) => runCommand('gradcam-wasm explain', async () => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        model: { type: 'string', short: 'm' },
        image: { type: 'string', short: 'i' },
        sample: { type: 'string' },
        clip: { type: 'string' },
        out: { type: 'string', short: 'o' },
        method: { type: 'string', multiple: true },
        class: { type: 'string', short: 'c' },
        layer: { type: 'string', short: 'l' },
        alpha: { type: 'string' },
        'input-range': { type: 'string' },
        labels: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const alpha = values.alpha == null ? DEFAULT_OVERLAY_ALPHA : Number(values.alpha);
    if (!(alpha >= 0 && alpha <= 1)) throw new UsageError(`--alpha must be a number in [0,1], got "${values.alpha}"`);
    const sample = values.sample?.replace(/\.(png|gif)$/, '');
    if (sample != null && !SAMPLES.includes(sample) && !CLIP_SAMPLES.includes(sample)) {
      throw new InvalidInputError(`No sample named "${values.sample}"; the samples are: ${SAMPLES.join(', ') || '(none installed)'}; ` +
        `the sample clips are: ${CLIP_SAMPLES.join(', ') || '(none installed)'}.`);
    }
    if (values.clip != null || (sample != null && CLIP_SAMPLES.includes(sample))) {
      if (values.image != null) throw new UsageError(`give --image or ${values.clip != null ? '--clip' : 'a sample clip'}, not both`);
      return (await import('./explain-clip.js')).explainClip({ ...values, alpha });
    }
    if (!values.model) throw new UsageError('--model is required');
    if (values.image != null && values.sample != null) throw new UsageError('give --image or --sample, not both');
    if (!values.image && !values.sample) throw new UsageError('--image (or --sample) is required');
    if (values.out && path.extname(values.out).toLowerCase() !== '.png') throw new UsageError(`--out must name a .png file, got "${values.out}"`);
    // loaded here, not above, so that --help and command-line mistakes answer at once (no tfjs start-up)
    const { describe, explainImage, openImage, openSession, overlays, parseLabels, parseMethods, strip } = await import('./common.js');
    const { writeImage } = await import('../node/image-io.js');
    const { ensureOutputFile, writeOutput } = await import('./output.js');
    const { methods, all } = parseMethods(values.method, DEFAULT_METHOD as MethodName);

    const imageFile = values.image ?? (await import('../node/samples.js')).samplePath(values.sample!);
    const image = openImage(imageFile);
    if (values.out) ensureOutputFile(values.out, '--out'); // before the work: a wrong path fails at once
    const labels = values.labels == null ? undefined : parseLabels(values.labels);
    const session = await openSession(values.model, { layer: values.layer, inputRange: values['input-range'], labels });
    const { loaded } = session;
    const classIndex = values.class == null ? undefined : parseClass(values.class, loaded.card);
    const outcome = await explainImage(session, image, methods, { classIndex, skipInapplicable: all });
    const t0 = performance.now();
    const figs = await overlays(image, outcome.result, alpha);
    let wrote = '';
    if (values.out) {
      const fig = figs.length === 1 ? figs[0]!.image : strip([image, ...figs.map((f) => f.image)]);
      writeOutput(values.out, '--out', () => writeImage(values.out!, fig));
      wrote = `wrote ${values.out} (${fig.width}x${fig.height}` +
        (figs.length === 1 ? `, ${getMethod(figs[0]!.method).title} overlay)` :
          `: input | ${figs.map((f) => getMethod(f.method).title).join(' | ')})`);
    }
    const renderMs = performance.now() - t0;
    console.log(`model: ${loaded.name} (${loaded.file}); input range ${session.range} (${session.rangeFrom}); ` +
      `image ${imageFile} ${image.width}x${image.height}`);
    for (const line of describe(outcome, loaded.card, { 'load model': loaded.loadMs, plan: session.planMs })) console.log(line);
    console.log(`render+write (ms): ${renderMs.toFixed(1)}`);
    if (wrote) console.log(wrote);
    session.explainer.dispose();
    loaded.model.dispose();
    return 0;
  }),
};
