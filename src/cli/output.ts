/**
 * Output paths of the commands (--out, --json): checked and created before any work, one folder level at
 * a time. Node's `mkdirSync(dir, { recursive: true })` never returns on procfs (/proc/...), so a wrong
 * path must fail here with a message that names it, never hang or end as an "unexpected error".
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GradCamError, InvalidInputError } from '../errors.js';
import { UsageError, reportError } from './errors.js';
import type { Command } from './types.js';

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

/** Makes `dir` (and its missing parents) exist as a folder, or throws an InvalidInputError that says why. */
export function ensureDir(dir: string, flag: string, shown = dir): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) {
    throw new InvalidInputError(`${flag} ${shown}: ${p} is a file, not a folder; choose another ${flag} path (or move that file).`);
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new InvalidInputError(`${flag} ${shown}: the folder ${m} cannot be created (${code(e)}); ` +
        `choose a ${flag} path inside a folder you can write to.`);
    }
  }
}

/** Checks an output file path (not a folder) and creates its folder. */
export function ensureOutputFile(file: string, flag: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new InvalidInputError(`${flag} ${file} is a folder; give a file name (e.g. ${path.join(file, 'out.png')}).`);
  }
  ensureDir(path.dirname(path.resolve(file)), flag, file);
}

/** Runs `write` (which writes `file`); a file-system error becomes an InvalidInputError naming the file. */
export function writeOutput(file: string, flag: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (e instanceof GradCamError) throw e;
    throw new InvalidInputError(`${flag} ${file} could not be written (${code(e)}); ` +
      `choose a ${flag} path inside a folder you can write to.`);
  }
}

/** What a command's options must be before it runs: output folders and files, counts. */
export interface Preflight {
  /** Options naming an output folder (created, one level at a time). */
  dirs?: string[];
  /** Options naming an output file (its folder created). */
  files?: string[];
  /** Options that are integers >= the given minimum. */
  counts?: Record<string, number>;
  /** Short flags of the command that take a value (so their values are not read as options). */
  shorts?: Record<string, string>;
}

/**
 * `command` with its output paths and counts checked before it runs (a wrong path fails at once, with
 * the path named, instead of after the work or never); --help is passed through untouched.
 */
export function withPreflight(command: Command, p: Preflight): Command {
  return {
    ...command,
    run: async (args) => {
      const names = [...(p.dirs ?? []), ...(p.files ?? []), ...Object.keys(p.counts ?? {})];
      const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
      for (const n of names) options[n] = { type: 'string' };
      for (const [short, n] of Object.entries(p.shorts ?? {})) options[n] = { type: 'string', short };
      let values: Record<string, unknown>;
      try {
        ({ values } = parseArgs({ args, options, strict: false, allowPositionals: true }));
      } catch {
        return command.run(args); // the command reports its own parse errors
      }
      if (values.help) return command.run(args);
      const name = `gradcam-wasm ${command.name}`;
      try {
        for (const [o, min] of Object.entries(p.counts ?? {})) {
          const v = values[o];
          if (typeof v === 'string' && !(/^-?\d+$/.test(v) && Number(v) >= min)) {
            throw new UsageError(`--${o} must be an integer >= ${min}, got "${v}"`);
          }
        }
        for (const o of p.dirs ?? []) if (typeof values[o] === 'string') ensureDir(values[o] as string, `--${o}`);
        for (const o of p.files ?? []) if (typeof values[o] === 'string') ensureOutputFile(values[o] as string, `--${o}`);
      } catch (e) {
        return reportError(name, e);
      }
      return command.run(args);
    },
  };
}
