/**
 * `gradcam-wasm evaluate`: the Grad-CAM++ paper's protocol and the source report's claims on digit
 * scenes. A thin shell over src/node/evaluate.ts (arguments with node:util parseArgs).
 */
import { parseArgs } from 'node:util';
import type { Command } from './types.js';
import { UsageError, runCommand } from './common.js';
import { evaluate } from '../node/evaluate.js';
import { EVAL_SEED } from '../node/train.js';
import { METHODS } from '../methods/registry.js';

const usage = `Usage: gradcam-wasm evaluate [options]

Explains digit scenes with every method, then measures faithfulness (Average Drop %, % Increase in
Confidence, Win %), localisation (Loc at delta 0/0.25/0.5, energy pointing game, IoU with the masks),
instance coverage and cross-backbone consistency. Prints Markdown tables to stdout; progress to stderr.

Options:
  -m, --model <name|path>   built-in model name (models/<name>/) or model.json path; repeatable
                            (default: every built-in model)
      --methods <list>      comma-separated, from: ${METHODS.map((m) => m.name).join(', ')} (default: all);
                            a method that does not apply to a model is reported as n/a
      --split <single|multi> test-single (one digit) or test-multi (2-3 digits of one class) (default: single)
  -n, --n <count>           number of scenes (default: 100)
      --seed <int>          seed of the digit scenes (default: ${EVAL_SEED}, the model cards' evaluation seed)
      --json <file>         write the full report (per-image values included) as JSON
      --out <dir>           write PNG figure grids, evaluation.json and evaluation.md there
      --figures <count>     scenes drawn in the figures (default: 4; 0: none)
      --consistency-on <correct|all>
                            images that count for cross-backbone consistency: those both models of a
                            pair classify correctly (default), or all
  -q, --quiet               no progress output
  -h, --help                this text

Scenes are generated at each model's input size (card.json inputShape, else the model's input shape),
RGB in [0,1] (mapped to the card's preprocessing range if it says otherwise). Deterministic for a seed.
Exit codes: 0 done, 1 the evaluation failed (message on stderr), 2 a mistake in the command line.

Example:
  gradcam-wasm evaluate -m vgg16-digits -m resnet50-digits --split multi -n 1000 --json multi.json --out figures/
`;

const INT = /^-?\d+$/;

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Average Drop, Increase in Confidence, Win %, localisation, coverage and consistency on digit scenes',
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
    for (const k of ['n', 'seed', 'figures'] as const) {
      if (!INT.test(v[k]!)) throw new UsageError(`--${k} must be an integer, got "${v[k]}"`);
    }
    if (v.split !== 'single' && v.split !== 'multi') throw new UsageError(`--split must be single or multi, got "${v.split}"`);
    const on = v['consistency-on'];
    if (on !== 'correct' && on !== 'all') throw new UsageError(`--consistency-on must be correct or all, got "${on}"`);
    const r = await evaluate({
      models: v.model, split: v.split, n: Number(v.n), seed: Number(v.seed), figures: Number(v.figures),
      methods: v.methods?.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
      json: v.json, out: v.out, consistencyOn: on, progress: v.quiet ? 'none' : 'auto',
    });
    process.stdout.write(r.markdown);
    for (const f of r.files) process.stderr.write(`wrote ${f}\n`);
    return 0;
  }),
};
