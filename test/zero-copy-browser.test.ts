/**
 * The zero-copy path in headless Chromium (Debian's /usr/bin/chromium, playwright-core), on a page served
 * without isolation (tfjs's one-thread SIMD binary, the 'imported' kernels build) and on a cross-origin isolated
 * one (COOP/COEP, demo/serve.ts: tfjs's threaded binary over a shared memory, the 'shared' build). On each: every
 * method's maps are bit for bit the one-copy path's, and the TS twins' within 1e-5; 0 tensor bytes copied; no
 * tensor leaked; the maps are unchanged when tfjs grows its memory inside the gradient pass.
 * Chromium missing is a FAILURE (apt-get install -y chromium), unless SKIP_BROWSER=1.
 */
import { build } from 'esbuild';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serve } from '../demo/serve.js';
import { launchChromium } from './helpers/chromium.js';

if (process.env.SKIP_BROWSER === '1') {
  console.log('zero-copy-browser.test.ts: skipped because SKIP_BROWSER=1');
  process.exit(0);
}

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-zc-'));
const site = path.join(tmp, 'site');

await build({
  entryPoints: [path.join(ROOT, 'test', 'browser', 'zero-copy-page.ts')], outfile: path.join(site, 'page.js'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2020', logLevel: 'warning',
});
writeFileSync(path.join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>zero-copy</title><script type="module" src="page.js"></script>\n');
const tfwasm = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const f of readdirSync(tfwasm).filter((f) => f.endsWith('.wasm'))) cpSync(path.join(tfwasm, f), path.join(site, f));

for (const isolated of [false, true]) {
  test(`Chromium, ${isolated ? 'cross-origin isolated (threaded tfjs, shared memory)' : 'one thread'}: zero-copy maps = one-copy maps`, async () => {
    const server = await serve(site, 0, { isolated });
    const context = await launchChromium(path.join(tmp, `profile-${isolated}`));
    const errors: string[] = [];
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(server.url);
      await page.waitForFunction(() => 'page' in window, undefined, { timeout: 60_000 });
      const r = await page.evaluate(() => (window as unknown as { page: { run(): Promise<Record<string, unknown>> } }).page.run());
      console.log(`  ${isolated ? 'isolated' : 'one thread'}: ${JSON.stringify(r)}`);
      assert.equal(errors, []);
      assert.is(r.crossOriginIsolated, isolated);
      assert.is(r.threadedBinary, isolated, 'tfjs picked its threaded binary exactly when isolated');
      assert.is(r.sharedMemory, isolated, 'the kernels import a shared memory exactly when isolated');
      assert.is(r.path, 'zero-copy');
      assert.is(r.onePath, 'one-copy');
      assert.ok((r.explanations as number) >= 18 && r.nonZero === r.explanations, 'every method, non-trivial maps');
      assert.is(r.copiedZero, 0, 'no tensor bytes copied');
      assert.is(r.leaked, 0, 'no tensor leaked');
      assert.is(r.zeroVsOne, 0, 'zero-copy = one-copy bit for bit');
      assert.ok((r.zeroVsJs as number) >= 0 && (r.zeroVsJs as number) <= 1e-5, `zero-copy vs js ${r.zeroVsJs}`);
      assert.ok(r.grew, 'tfjs grew its memory inside the gradient pass');
      assert.is(r.growingVsPlain, 0, 'the maps did not change with the growth');
    } finally {
      await context.close();
      await server.close();
    }
  });
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
