// The paired bootstrap (percentile 95 % CI of a paired mean difference) and its quantiles.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pairedBootstrap, quantile, BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL } from '../src/metrics/index.js';
import { Rng } from '../src/rng.js';
import { InvalidInputError } from '../src/errors.js';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const throwsInvalid = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof InvalidInputError);

const t = suite('paired bootstrap');

t('quantile, type 7', () => {
  const x = [1, 2, 3, 4, 5];
  assert.is(quantile(x, 0), 1); assert.is(quantile(x, 1), 5); assert.is(quantile(x, 0.5), 3);
  close(quantile(x, 0.1), 1.4, 1e-12); close(quantile([10, 20], 0.975), 19.75, 1e-12);
  assert.is(quantile([7], 0.3), 7);
  throwsInvalid(() => quantile([], 0.5)); throwsInvalid(() => quantile(x, 1.5));
});

t('differences all equal: a zero-width interval at that value, a verdict unless it is 0', () => {
  const a = [3.25, 4.25, 1.25, 9.25, 0.25, 2.25, 7.25, 5.25], b = a.map((v) => v - 0.25);
  const r = pairedBootstrap(a, b);
  assert.equal([r.mean, r.lo, r.hi], [0.25, 0.25, 0.25]);
  assert.is(r.excludesZero, true);
  assert.equal([r.n, r.resamples, r.level], [8, BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL]);
  assert.equal([BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL], [2000, 0.95]);
  const c = pairedBootstrap([0.3, 0.7, 0.1], [0.2, 0.6, 0]);
  close(c.lo, 0.1, 1e-15); close(c.hi, 0.1, 1e-15); close(c.mean, 0.1, 1e-15);
  const z = pairedBootstrap([1, 2, 3], [1, 2, 3]);
  assert.equal([z.mean, z.lo, z.hi, z.excludesZero], [0, 0, 0, false], 'no difference: no verdict');
});

t('symmetric differences: the interval covers 0 and is centred', () => {
  const d = [-3, -2, -1, 1, 2, 3, -3, -2, -1, 1, 2, 3, -0.5, 0.5, -4, 4];
  const r = pairedBootstrap(d, d.map(() => 0), { seed: 11 });
  assert.is(r.mean, 0);
  assert.ok(r.lo < 0 && r.hi > 0, `[${r.lo}, ${r.hi}]`);
  assert.is(r.excludesZero, false);
  assert.ok(Math.abs(r.lo + r.hi) < 0.25 * (r.hi - r.lo), 'roughly symmetric');
});

t('agrees with the normal theory interval on a large sample', () => {
  // d ~ N(0.3, 1), n = 400: mean +- 1.96 s / sqrt(n); the percentile bootstrap matches to a few %
  const rng = new Rng(5);
  const d = Array.from({ length: 400 }, () => 0.3 + rng.gaussian());
  const n = d.length, m = d.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(d.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1));
  const half = (1.96 * s) / Math.sqrt(n);
  const r = pairedBootstrap(d, d.map(() => 0), { seed: 3, resamples: 4000 });
  close(r.mean, m, 1e-12);
  close(r.hi - r.lo, 2 * half, 0.1 * 2 * half, 'width');
  close((r.lo + r.hi) / 2, m, 0.1 * half, 'centre');
  assert.ok(r.excludesZero, 'a shift of 0.3 sd on 400 pairs is detected');
});

t('pairing matters: a shared per-image effect cancels', () => {
  // a_i = x_i + 0.1, b_i = x_i with x_i spread widely: separate intervals would overlap, the paired one excludes 0
  const rng = new Rng(9);
  const x = Array.from({ length: 50 }, () => 100 * rng.next());
  const r = pairedBootstrap(x.map((v, i) => v + 0.1 + 0.01 * (i % 3)), x);
  assert.ok(r.lo > 0.09 && r.hi < 0.13, `[${r.lo}, ${r.hi}]`);
});

t('deterministic for a seed; another seed moves the interval a little', () => {
  const rng = new Rng(1);
  const a = Array.from({ length: 30 }, () => rng.next()), b = Array.from({ length: 30 }, () => rng.next());
  const r1 = pairedBootstrap(a, b, { seed: 42 }), r2 = pairedBootstrap(a, b, { seed: 42 });
  assert.equal(r1, r2);
  const r3 = pairedBootstrap(a, b, { seed: 43 });
  assert.ok(r3.lo !== r1.lo || r3.hi !== r1.hi, 'a different seed, different resamples');
  close(r3.lo, r1.lo, 0.05); close(r3.hi, r1.hi, 0.05);
  assert.equal(pairedBootstrap(a, b), pairedBootstrap(a, b), 'the default seed is fixed');
  const narrow = pairedBootstrap(a, b, { seed: 42, level: 0.5 });
  assert.ok(narrow.lo > r1.lo && narrow.hi < r1.hi, 'a lower level, a narrower interval');
});

t('bad input: typed errors', () => {
  throwsInvalid(() => pairedBootstrap([1, 2], [1]));
  throwsInvalid(() => pairedBootstrap([], []));
  throwsInvalid(() => pairedBootstrap([1, NaN], [1, 2]));
  throwsInvalid(() => pairedBootstrap([1, 2], [1, Infinity]));
  throwsInvalid(() => pairedBootstrap([1, 2], [1, 2], { resamples: 0 }));
  throwsInvalid(() => pairedBootstrap([1, 2], [1, 2], { level: 1 }));
  throwsInvalid(() => pairedBootstrap([1, 2], [1, 2], { seed: 0.5 }));
  throwsInvalid(() => pairedBootstrap(null as never, [1]));
});

t.run();
