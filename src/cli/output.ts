/**
 * Output paths of the commands (--out, --json): checked and created before any work, one folder level at
 * a time. Node's `mkdirSync(dir, { recursive: true })` never returns on procfs (/proc/...), so a wrong
 * path must fail here with a message that names it, never hang or end as an "unexpected error".
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { GradCamError, InvalidInputError } from '../errors.js';

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
