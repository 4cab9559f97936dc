/** A CLI command: src/cli/index.ts dispatches `gradcam-wasm <name> ...args` to run(args). */
export interface Command {
  readonly name: string;
  /** One line for the top-level --help. */
  readonly summary: string;
  /** The full --help text of the command. */
  readonly usage: string;
  /** Returns the process exit code. Errors: print one clear line to stderr and return non-zero. */
  run(args: string[]): Promise<number>;
}
