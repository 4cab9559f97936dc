/**
 * The models that ship in this package (models/<name>/model.json + weights + card.json), by name.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.js';
import { loadModel } from './model-io.js';
import type { ExplainableModel } from '../plan/plan.js';
import { readCard } from './card-file.js';

/** The package root (the folder holding package.json), from src/node/ or dist/node/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_DIR = path.join(PACKAGE_ROOT, 'models');

/**
 * The demo's and the CLI's default: VGG16, the Grad-CAM++ paper's own backbone, whose 4x4 target map is the
 * finest of the bundled models (the ResNets and EfficientNet-B0 explain from 2x2 maps at 64x64).
 */
export const DEFAULT_MODEL = 'vgg16-digits';

export interface BuiltinModel {
  name: string; dir: string; card: Record<string, unknown> & { inputShape?: number[]; classNames?: string[] };
  /** 'clip' when the card's inputShape is [T, H, W, C] (a sequence model such as the ConvLSTM), else 'image'. */
  input: 'image' | 'clip';
}

function meanAccuracy(card: BuiltinModel['card']): number {
  const acc = (card as { accuracy?: Record<string, number> }).accuracy;
  return acc ? ((acc['test-single'] ?? 0) + (acc['test-multi'] ?? 0)) / 2 : 0;
}

/**
 * The bundled models: DEFAULT_MODEL first, then the most accurate (mean of the two test splits of the scenes).
 * `input` keeps only the image models or only the clip models (default: both).
 */
export function builtinModels(input?: BuiltinModel['input']): BuiltinModel[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(MODELS_DIR, d.name, 'model.json')))
    .map((d): BuiltinModel => {
      const card = readCard(path.join(MODELS_DIR, d.name, 'card.json')) ?? {};
      return { name: d.name, dir: path.join(MODELS_DIR, d.name), card, input: card.inputShape?.length === 4 ? 'clip' : 'image' };
    })
    .filter((m) => !input || m.input === input)
    .sort((a, b) => Number(b.name === DEFAULT_MODEL) - Number(a.name === DEFAULT_MODEL) ||
      meanAccuracy(b.card) - meanAccuracy(a.card) || a.name.localeCompare(b.name));
}

/** A built-in model name, or a path to a model.json (or its folder). */
export function resolveModel(nameOrPath: string): { name: string; file: string; card?: BuiltinModel['card'] } {
  const builtin = builtinModels().find((m) => m.name === nameOrPath);
  if (builtin) return { name: builtin.name, file: path.join(builtin.dir, 'model.json'), card: builtin.card };
  if (existsSync(nameOrPath)) {
    const file = nameOrPath.endsWith('.json') ? nameOrPath : path.join(nameOrPath, 'model.json');
    return { name: path.basename(path.dirname(path.resolve(file))), file, card: readCard(path.join(path.dirname(file), 'card.json')) };
  }
  const names = builtinModels().map((m) => m.name);
  throw new InvalidInputError(`"${nameOrPath}" is neither a built-in model (${names.join(', ') || 'none installed'}) nor a model.json path.`);
}

export async function loadBuiltinOrPath(nameOrPath: string): Promise<{ model: ExplainableModel; name: string; card?: BuiltinModel['card'] }> {
  const r = resolveModel(nameOrPath);
  return { model: await loadModel(r.file), name: r.name, card: r.card };
}
