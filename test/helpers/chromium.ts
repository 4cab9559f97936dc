/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium (never a downloaded browser),
 * driven by playwright-core, with a fresh profile and no background network.
 */
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Throws a message that says how to install Chromium (or skip the browser tests) when it is missing. */
export function requireChromium(what: string): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: ${what} cannot run. ` +
      'Install it with `apt-get install -y chromium` (Debian), or set SKIP_BROWSER=1 to skip the browser tests on purpose.');
  }
}

/** A persistent context in `profileDir` (its first page is context.pages()[0]). */
export function launchChromium(profileDir: string, viewport = { width: 1200, height: 1000 }): Promise<BrowserContext> {
  requireChromium('the browser test');
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
}
