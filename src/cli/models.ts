/**
 * gradcam-wasm models: the built-in models (models/<name>/ with model.json, weights, card.json) and their cards.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, runCommand } from './errors.js';
import type { Command } from './types.js';

const usage = `Usage: gradcam-wasm models [--json]

Lists the models that ship with this package (${path.join('models', '<name>')}/: model.json, weights, card.json),
one block per model with its card: architecture, input shape and preprocessing, classes, the target layer
used by default, parameters and accuracy. Use the name with \`gradcam-wasm explain --model <name>\`.

Options:
  --json       print the cards as JSON ({ name: card, ... })
  -h, --help   this help`;

type Card = Record<string, unknown>;

function summarise(name: string, dir: string, card: Card): string[] {
  const f = (k: string) => (card[k] == null ? undefined : card[k]);
  const lines = [name];
  const row = (label: string, v: unknown) => { if (v != null && v !== '') lines.push(`  ${label.padEnd(14)}${v}`); };
  row('architecture', [f('topology'), f('width') != null ? `width ${f('width')}` : undefined, f('head') ? `${f('head')} head` : undefined].filter(Boolean).join(', '));
  row('input', Array.isArray(card.inputShape) ? (card.inputShape as number[]).join('x') : undefined);
  row('preprocessing', f('preprocessing'));
  const names = card.classNames as string[] | undefined;
  row('classes', names ? `${names.length}: ${names.join(' ')}` : f('classes'));
  row('target layer', f('targetLayer'));
  row('parameters', typeof card.params === 'number' ? card.params.toLocaleString('en-US') : undefined);
  const acc = card.accuracy as Record<string, number> | undefined;
  row('accuracy', acc && typeof acc === 'object' ? Object.entries(acc).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ') : undefined);
  row('note', f('note'));
  row('files', path.relative(process.cwd(), dir) || dir);
  return lines;
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the built-in models with their cards',
  usage,
  run: (args) => runCommand('gradcam-wasm models', async () => {
    const { values, positionals } = parseArgs({
      args, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true,
    });
    if (values.help) { console.log(usage); return 0; }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const { MODELS_DIR, builtinModels } = await import('../node/zoo.js'); // here: --help needs no tfjs
    const models = builtinModels();
    if (values.json) {
      console.log(JSON.stringify(Object.fromEntries(models.map((m) => [m.name, m.card])), null, 2));
      return 0;
    }
    if (models.length === 0) {
      console.log(`No built-in models (nothing in ${MODELS_DIR}). Pass a model.json path to \`gradcam-wasm explain --model\`.`);
      return 0;
    }
    console.log(models.map((m) => summarise(m.name, m.dir, m.card).join('\n')).join('\n\n'));
    return 0;
  }),
};
