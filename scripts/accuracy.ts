// Accuracy of trained models on many scenes (image models: test-single, test-multi) or clips (clip models, input
// [T, H, W, C]: the test split) of several evaluation seeds, with 95 % intervals, written into each model's card
// (field `accuracyLarge`) and printed as a Markdown table.
//
//   node --import tsx scripts/accuracy.ts --model models-224/vgg16fc-digits224 [--model ...] [--n 5000]
//        [--seeds 20261126,20261201] [--no-card]
//
// The first seed is the cards' evaluation seed (EVAL_SEED); list a seed that played no part in anything (not in
// training, validation or the choice of a checkpoint) beside it. Scenes are generated at the card's input size.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useWasmBackend } from '../src/backend/index.js';
import { EVAL_SEED } from '../src/constants.js';
import { loadLayersModel } from '../src/node/model-io.js';
import { accuracy, clipAccuracy } from '../src/node/train.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', multiple: true }, n: { type: 'string', default: '5000' },
    seeds: { type: 'string', default: `${EVAL_SEED},20261201` }, 'no-card': { type: 'boolean', default: false },
  },
});
if (!a.model?.length) throw new Error('give at least one --model <folder>');
const n = Number(a.n);
const seeds = a.seeds!.split(',').map(Number);
const SPLITS = { image: ['test-single', 'test-multi'], clip: ['test'] } as const;

/** Wilson score interval at 95 % for k successes in n trials. */
function wilson(k: number, total: number): [number, number] {
  const z = 1.959964, p = k / total, d = 1 + z * z / total;
  const centre = (p + z * z / (2 * total)) / d, half = (z * Math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))) / d;
  return [centre - half, centre + half];
}

await useWasmBackend();
const rows: string[] = [];
for (const dir of a.model) {
  const cardFile = path.join(dir, 'card.json');
  const card = JSON.parse(readFileSync(cardFile, 'utf8')) as { name: string; inputShape: number[]; accuracyLarge?: unknown };
  const model = await loadLayersModel(dir);
  const clip = card.inputShape.length === 4; // [T, H, W, C] for clips, [H, W, C] for scenes
  const splits = clip ? SPLITS.clip : SPLITS.image;
  const size = card.inputShape[clip ? 1 : 0]!;
  rows.push(`| model | seed | ${splits.map((s) => `${s} % (95 % CI)`).join(' | ')} |`, `|---|---:|${splits.map(() => '---:').join('|')}|`);
  const bySeed: Record<string, Record<string, { accuracy: number; ci95: [number, number] }>> = {};
  for (const seed of seeds) {
    const t0 = Date.now();
    bySeed[seed] = {};
    for (const split of splits) {
      const acc = clip ? clipAccuracy(model, 'test', n, seed, size, card.inputShape[0]!) : accuracy(model, split as 'test-single', n, seed, size);
      bySeed[seed]![split] = { accuracy: acc, ci95: wilson(Math.round(acc * n), n) };
    }
    const cell = (s: string) => {
      const r = bySeed[seed]![s]!;
      return `${(100 * r.accuracy).toFixed(2)} (${(100 * r.ci95[0]).toFixed(2)}-${(100 * r.ci95[1]).toFixed(2)})`;
    };
    rows.push(`| ${card.name} | ${seed}${seed === EVAL_SEED ? ' (card)' : ''} | ${splits.map(cell).join(' | ')} |`);
    console.error(`${card.name} seed ${seed}: ${rows.at(-1)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  model.dispose();
  if (!a['no-card']) {
    card.accuracyLarge = { scenes: n, command: `node --import tsx scripts/accuracy.ts --model ${dir} --n ${n} --seeds ${seeds.join(',')}`, seeds: bySeed };
    writeFileSync(cardFile, JSON.stringify(card, null, 2) + '\n');
  }
}
console.log(rows.join('\n'));
