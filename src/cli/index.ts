/**
 * The gradcam-wasm command line: `gradcam-wasm <command> [options]`, dispatched to the Command modules.
 * bin/gradcam-wasm.js calls main(); `node --import tsx src/cli/index.ts ...` runs it from source.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MissingPackageError, reportError } from './errors.js';
import { withPreflight } from './output.js';
import type { Command } from './types.js';

/**
 * The commands, by name, each loaded only when needed: `gradcam-wasm explain` does not pay for loading
 * the evaluation code, and `--help` of one command loads only that command.
 */
const LOADERS: Readonly<Record<string, () => Promise<Command>>> = {
  explain: () => import('./explain.js').then((m) => m.explainCommand),
  evaluate: () => needs('evaluate', EVALUATION_PACKAGES, () => import('./evaluate.js').then((m) => withPreflight(m.evaluateCommand, {
    dirs: ['out'], files: ['json'], counts: { n: 1, figures: 0 }, shorts: { m: 'model', n: 'n' },
  }))),
  models: () => import('./models.js').then((m) => m.modelsCommand),
};
export const COMMAND_NAMES = Object.keys(LOADERS);

/**
 * The evaluation's own packages: optional peer dependencies (library users don't install them). The
 * digit scenes come from `mnist`'s handwritten digits; `cli-progress` draws the progress bar.
 */
export const EVALUATION_PACKAGES = ['mnist', 'cli-progress'] as const;

/** The packages of `names` that cannot be resolved from this package. */
export function missingPackages(names: readonly string[]): string[] {
  const req = createRequire(import.meta.url);
  return names.filter((n) => {
    try {
      req.resolve(n);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * Loads a command that needs optional packages; when some are missing, a stand-in whose help and run
 * say which to install (so the top-level --help still lists every command).
 */
async function needs(name: string, packages: readonly string[], load: () => Promise<Command>): Promise<Command> {
  const missing = missingPackages(packages);
  if (missing.length === 0) return load();
  const error = new MissingPackageError(name, missing);
  return {
    name, summary: `(needs ${missing.join(' and ')}: npm install ${missing.join(' ')})`, usage: error.message,
    run: async () => reportError(`gradcam-wasm ${name}`, error),
  };
}

/** Every command (loads them all). */
export function commands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((n) => LOADERS[n]!()));
}

function version(): string {
  try {
    // this file is src/cli/index.ts or dist/cli/index.js: the package root is two folders up
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

async function topUsage(): Promise<string> {
  const COMMANDS = await commands();
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `Usage: gradcam-wasm <command> [options]

CAM, Grad-CAM and Grad-CAM++ for TensorFlow.js CNNs (tfjs wasm backend + AssemblyScript SIMD kernels).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`).join('\n')}

Run \`gradcam-wasm <command> --help\` for a command's options.
Options: -h, --help (this help), -v, --version`;
}

/** Runs the command line `args` (without node and the script); resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first == null) {
    process.stderr.write('gradcam-wasm: no command given (see gradcam-wasm --help)\n');
    return 2;
  }
  if (first === '-h' || first === '--help') { console.log(await topUsage()); return 0; }
  if (first === '-v' || first === '--version') { console.log(version()); return 0; }
  if (first === 'help') {
    const load = rest[0] != null && Object.hasOwn(LOADERS, rest[0]) ? LOADERS[rest[0]] : undefined;
    console.log(load ? (await load()).usage : await topUsage());
    return 0;
  }
  const load = Object.hasOwn(LOADERS, first) ? LOADERS[first] : undefined;
  if (!load) {
    process.stderr.write(`gradcam-wasm: unknown command "${first}"; commands: ${COMMAND_NAMES.join(', ')} (see gradcam-wasm --help)\n`);
    return 2;
  }
  let command: Command;
  try {
    command = await load();
  } catch (e) {
    return reportError(`gradcam-wasm ${first}`, e);
  }
  try {
    return await command.run([...rest]);
  } catch (e) {
    return reportError(`gradcam-wasm ${command.name}`, e);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
