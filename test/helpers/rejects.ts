import * as assert from 'uvu/assert';

/** Asserts that `fn` rejects (or throws) with an error satisfying `check`. */
export async function rejects(fn: () => unknown, check: (e: unknown) => boolean, what = ''): Promise<void> {
  let error: unknown = null, threw = false;
  try { await fn(); } catch (e) { error = e; threw = true; }
  assert.ok(threw, `expected a rejection ${what}`);
  assert.ok(check(error), `unexpected error ${what}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
}
