// The clip evaluation of sequence explanations (src/eval/sequences.ts): Grad-CAM vs Grad-CAM++ (and any other
// sequence method) on the clips' test split, written as JSON and as the Markdown section for docs/results.md.
//
//   node --import tsx scripts/eval-clips.ts --model models/convlstm-clips [--n 500] [--seed 20261126]
//        [--methods gradcam,gradcam++] [--layer convlstm] [--out docs/results/sequences] [--records]
//
// Writes <out>.md and <out>.json (the summary; with --records also every clip's values).
//
// The seed defaults to EVAL_SEED (the seed of the model cards' accuracies; training draws its clips from seed 1
// of the train split, and validates on seed 1001 of it). The test split holds out the MNIST writers of training.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useWasmBackend } from '../src/backend/index.js';
import { EVAL_SEED } from '../src/constants.js';
import { evaluateClips } from '../src/eval/sequences.js';
import { clipsMarkdown, summarizeClips } from '../src/eval/sequences-report.js';
import { getMethod, type MethodName } from '../src/methods/registry.js';
import { loadLayersModel } from '../src/node/model-io.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/convlstm-clips' }, n: { type: 'string', default: '500' },
    seed: { type: 'string', default: String(EVAL_SEED) }, methods: { type: 'string', default: 'gradcam,gradcam++' },
    out: { type: 'string', default: 'docs/results/sequences' }, layer: { type: 'string' }, records: { type: 'boolean', default: false },
  },
});
const n = Number(a.n), seed = Number(a.seed);
const methods = a.methods!.split(',').map((m) => getMethod(m.trim()).name as MethodName);
await useWasmBackend();
const model = await loadLayersModel(a.model!);
const t0 = Date.now();
const records = await evaluateClips(model, {
  split: 'test', n, seed, methods, layer: a.layer,
  onProgress: (done) => { if (done % 50 === 0 || done === n) console.error(`${done}/${n} clips (${((Date.now() - t0) / 1000).toFixed(0)} s)`); },
});
const pairs: [MethodName, MethodName][] = methods.includes('gradcam++') && methods.includes('gradcam') ? [['gradcam++', 'gradcam']] : [];
const summary = summarizeClips(records, methods, pairs);
const command = `node --import tsx scripts/eval-clips.ts --model ${a.model} --n ${n} --seed ${seed} --methods ${methods.join(',')}${a.layer ? ` --layer ${a.layer}` : ''}`;
const titles = Object.fromEntries(methods.map((m) => [m, getMethod(m).title]));
const md = clipsMarkdown(summary, { model: path.basename(a.model!), split: 'test', seed, command, titles });
mkdirSync(path.dirname(a.out!), { recursive: true });
writeFileSync(`${a.out}.json`, JSON.stringify({ command, model: a.model, seed, n, methods, summary: { ...summary, records: undefined }, ...(a.records ? { records } : {}), seconds: (Date.now() - t0) / 1000 }, null, 1) + '\n');
writeFileSync(`${a.out}.md`, md);
console.log(md);
model.dispose();
