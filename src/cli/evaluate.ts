/**
 * `gradcam-wasm evaluate`: the Grad-CAM++ paper's protocol and the source report's claims on digit
 * scenes. A thin shell over src/eval/ (arguments with node:util parseArgs); the progress bar is drawn here.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { Command } from './types.js';
import { UsageError, runCommand } from './common.js';
import { evaluate, type EvalProgress } from '../eval/index.js';
import { EVAL_SEED } from '../constants.js';
import { METHODS } from '../methods/registry.js';
import { DEFAULT_PERTURBATION_STEPS, BOOTSTRAP_RESAMPLES } from '../metrics/index.js';

const usage = `Usage: gradcam-wasm evaluate [options]

Explains digit scenes with every method, then measures faithfulness (Average Drop %, % Increase in
Confidence, Win % with its tie rate, deletion and insertion AUC; map mass, what E = L o I keeps), localisation (Loc at delta 0/0.25/0.5,
energy pointing game, IoU with the masks), instance coverage and cross-backbone consistency, and the paired
difference Grad-CAM++ - Grad-CAM per metric with a 95 % bootstrap interval. Prints Markdown tables to
stdout; progress to stderr.

Options:
  -m, --model <name|path>[@layer]
                            built-in model name (models/<name>/) or model.json path, optionally at a
                            given target layer; repeatable, the same model may come twice at two layers
                            (default: every built-in image model at its card's layer)
      --methods <list>      comma-separated, from: ${METHODS.map((m) => m.name).join(', ')} (default: all but scorecam and smoothgradcam++, which cost extra passes);
                            a method that does not apply to a model is reported as n/a
      --split <single|multi> test-single (one digit) or test-multi (2-3 digits of one class) (default: single)
  -n, --n <count>           number of scenes (default: 100)
      --seed <int>          seed of the digit scenes (default: ${EVAL_SEED}, the model cards' evaluation seed)
      --size <pixels>       scene size; every model must take that input size (default: each model's own)
      --auc-steps <count>   steps of the deletion / insertion curves (default: ${DEFAULT_PERTURBATION_STEPS}; 0: skip them)
      --resamples <count>   bootstrap resamples of the paired intervals (default: ${BOOTSTRAP_RESAMPLES})
      --json <file>         write the full report (per-image values included) as JSON
      --out <dir>           write PNG figure grids, evaluation.json and evaluation.md there
      --figures <count>     scenes drawn in the figures (default: 4; 0: none)
      --consistency-on <correct|all>
                            images that count for cross-backbone consistency: those both models of a
                            pair classify correctly (default), or all
  -q, --quiet               no progress output
  -h, --help                this text

Scenes are generated at each model's input size (card.json inputShape, else the model's input shape), or at
--size, RGB in [0,1] (mapped to the card's preprocessing range if it says otherwise). A model that does not
fit the scenes (input size, not RGB, not 10 classes) is refused. Deterministic for a seed.
Exit codes: 0 done, 1 the evaluation failed (message on stderr), 2 a mistake in the command line.

Example:
  gradcam-wasm evaluate -m vgg16-digits -m vgg16-digits@block4_conv3 --split multi -n 1000 --json multi.json --out figures/
`;

const INT = /^-?\d+$/;

/** A bar on a TTY, a line every 5 % otherwise; nothing with --quiet. */
function progressPrinter(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): { tick(p: EvalProgress): void; stop(): void } {
  if (quiet) return { tick() {}, stop() {} };
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | null = null;
    return {
      tick(p) {
        if (!bar) {
          bar = new cliProgress.SingleBar({
            stream, format: 'evaluate |{bar}| {percentage}% | {value}/{total} | elapsed {duration_formatted} | ETA {eta_formatted} | {model}',
            hideCursor: true, etaBuffer: 50, fps: 5,
          }, cliProgress.Presets.shades_classic);
          bar.start(p.total, 0, { model: '' });
        }
        bar.update(p.done, { model: p.model });
      },
      stop: () => bar?.stop(),
    };
  }
  const t0 = performance.now();
  let lastStep = -1;
  return {
    tick(p) {
      const step = Math.floor((20 * p.done) / p.total);
      if (step === lastStep && p.done !== p.total) return;
      lastStep = step;
      const s = (performance.now() - t0) / 1000;
      const eta = (s / p.done) * (p.total - p.done);
      stream.write(`evaluate: ${p.done}/${p.total} (${Math.round((100 * p.done) / p.total)}%), ${s.toFixed(1)} s elapsed, ETA ${eta.toFixed(1)} s\n`);
    },
    stop() {},
  };
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Average Drop, Increase, Win %, deletion/insertion AUC, localisation, coverage, consistency and paired intervals on digit scenes',
  usage,
  run: (args) => runCommand('gradcam-wasm evaluate', async () => {
    const { values: v } = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        model: { type: 'string', short: 'm', multiple: true },
        methods: { type: 'string' },
        split: { type: 'string', default: 'single' },
        n: { type: 'string', short: 'n', default: '100' },
        seed: { type: 'string', default: String(EVAL_SEED) },
        size: { type: 'string' },
        'auc-steps': { type: 'string', default: String(DEFAULT_PERTURBATION_STEPS) },
        resamples: { type: 'string', default: String(BOOTSTRAP_RESAMPLES) },
        json: { type: 'string' },
        out: { type: 'string' },
        figures: { type: 'string', default: '4' },
        'consistency-on': { type: 'string', default: 'correct' },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (v.help) {
      process.stdout.write(usage);
      return 0;
    }
    for (const k of ['n', 'seed', 'figures', 'auc-steps', 'resamples', 'size'] as const) {
      if (v[k] != null && !INT.test(v[k]!)) throw new UsageError(`--${k} must be an integer, got "${v[k]}"`);
    }
    if (v.split !== 'single' && v.split !== 'multi') throw new UsageError(`--split must be single or multi, got "${v.split}"`);
    const on = v['consistency-on'];
    if (on !== 'correct' && on !== 'all') throw new UsageError(`--consistency-on must be correct or all, got "${on}"`);
    const progress = progressPrinter(v.quiet!);
    let r;
    try {
      r = await evaluate({
        models: v.model, split: v.split, n: Number(v.n), seed: Number(v.seed), figures: Number(v.figures),
        size: v.size != null ? Number(v.size) : undefined, aucSteps: Number(v['auc-steps']),
        bootstrap: { resamples: Number(v.resamples) },
        methods: v.methods?.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
        json: v.json, out: v.out, consistencyOn: on, onProgress: (p) => progress.tick(p),
      });
    } finally {
      progress.stop();
    }
    process.stdout.write(r.markdown);
    for (const f of r.files) process.stderr.write(`wrote ${f}\n`);
    return 0;
  }),
};
