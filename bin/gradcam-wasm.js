#!/usr/bin/env node
// The gradcam-wasm command (package.json "bin"): runs the compiled dispatcher of src/cli/index.ts.
let cli;
try {
  cli = await import('../dist/cli/index.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist')) throw e;
  process.stderr.write('gradcam-wasm: dist/ is missing in this checkout; run `npm run build` first\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
