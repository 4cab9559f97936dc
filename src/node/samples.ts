/**
 * The sample scenes that ship with the package (demo/samples/*.png: digit scenes from held-out MNIST
 * digits), by name, so `gradcam-wasm explain --sample <name>` works from any folder after an install.
 * Node built-ins only: the CLI's explain --help lists them without starting tfjs.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../errors.js';

/** src/node/ or dist/node/ -> the package root -> demo/samples. */
export const SAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'demo', 'samples');

/** The sample names (file names without .png), sorted. */
export function sampleNames(): string[] {
  if (!existsSync(SAMPLES_DIR)) return [];
  return readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4)).sort();
}

/** The file of a sample, by name (with or without .png). */
export function samplePath(name: string): string {
  const base = name.endsWith('.png') ? name.slice(0, -4) : name;
  const names = sampleNames();
  if (!names.includes(base)) {
    throw new InvalidInputError(`No sample named "${name}"; the samples are: ${names.join(', ') || '(none installed)'}.`);
  }
  return path.join(SAMPLES_DIR, base + '.png');
}
