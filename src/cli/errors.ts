/**
 * How the commands fail: ONE line on stderr and a non-zero exit code, never a stack trace for a user's
 * mistake. Light on purpose (no tfjs), so `--help` and command-line mistakes answer at once.
 */
import { GradCamError } from '../errors.js';

/** A mistake in the command line itself (exit code 2). */
export class UsageError extends Error {}

/** A command needs optional packages that are not installed (exit code 1); the message says what to install. */
export class MissingPackageError extends Error {
  readonly packages: readonly string[];
  constructor(command: string, packages: readonly string[]) {
    super(`\`gradcam-wasm ${command}\` needs the package${packages.length > 1 ? 's' : ''} ${packages.join(' and ')}, ` +
      `optional peer dependencies of gradcam-wasm that library users do not need: install ` +
      `${packages.length > 1 ? 'them' : 'it'} with \`npm install ${packages.join(' ')}\`.`);
    this.name = 'MissingPackageError';
    this.packages = packages;
  }
}

/**
 * Runs a command body: its errors become ONE line on stderr and a non-zero exit code. Library errors
 * (GradCamError) and usage errors print their message; anything else is unexpected and says so
 * (GRADCAM_DEBUG=1 prints the stack).
 */
export async function runCommand(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    return reportError(name, e);
  }
}

/**
 * Prints `e` as one line prefixed by the command's name; returns the exit code (2 usage, 1 otherwise).
 * `help`: how to get the help text, quoted after command-line mistakes.
 */
export function reportError(name: string, e: unknown, help = `${name} --help`): number {
  const msg = oneLine(e instanceof Error ? e.message : String(e));
  if (e instanceof UsageError) {
    process.stderr.write(`${name}: ${msg} (see ${help})\n`);
    return 2;
  }
  if ((e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS_')) {
    // node's message goes on about '--' for positionals; the first sentence says it all
    process.stderr.write(`${name}: ${msg.replace(/\. To specify a positional argument.*$/, '.')} (see ${help})\n`);
    return 2;
  }
  if (e instanceof GradCamError || e instanceof MissingPackageError) {
    process.stderr.write(`${name}: ${msg}\n`);
    return 1;
  }
  process.stderr.write(`${name}: unexpected error: ${msg}\n`);
  if (process.env.GRADCAM_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  return 1;
}

/** One printable line (messages may quote file contents). */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?').trim();
}
