// Deletion and insertion AUC (Petsiuk et al. 2018, RISE) on hand-made "models": plain functions of the
// pixels whose curves are known in closed form.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deletion, insertion, perturbationOrder, trapezoidAuc, gaussianBlur, DEFAULT_PERTURBATION_STEPS,
  type ImageScorer,
} from '../src/metrics/index.js';
import { InvalidInputError } from '../src/errors.js';
import { rejects } from './helpers/rejects.js';

const close = (a: number, b: number, tol = 1e-12, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const throwsInvalid = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof InvalidInputError);
const isInvalid = (e: unknown): boolean => e instanceof InvalidInputError;

/** The mean of all values: a linear "model". */
const meanScore: ImageScorer = (imgs) => imgs.map((im) => im.reduce((a, b) => a + b, 0) / im.length);
/** A "model" that looks at one pixel (channel 0) only. */
const pixelScore = (p: number, C = 1): ImageScorer => (imgs) => imgs.map((im) => im[p * C]!);

const t = suite('deletion / insertion AUC');

t('trapezoid rule and the pixel order', () => {
  close(trapezoidAuc([0, 0.5, 1], [1, 1, 0]), 0.75);
  close(trapezoidAuc([0, 1], [0.2, 0.6]), 0.4);
  close(trapezoidAuc([0, 0.25, 0.25, 1], [1, 1, 0, 0]), 0.25, 1e-12, 'a vertical step adds nothing');
  throwsInvalid(() => trapezoidAuc([0], [1]));
  throwsInvalid(() => trapezoidAuc([0, 1], [1]));
  throwsInvalid(() => trapezoidAuc([0.5, 0], [1, 1]));
  throwsInvalid(() => trapezoidAuc([0, 1], [NaN, 1]));
  assert.equal(Array.from(perturbationOrder([0.2, 0.9, 0.2, 0.5, 0.9])), [1, 4, 3, 0, 2], 'hottest first, ties by index');
  throwsInvalid(() => perturbationOrder([0.1, NaN]));
});

t('a linear model on a constant image: deletion 1 - x, insertion x, AUC 1/2 for any map', async () => {
  const W = 5, H = 4, P = W * H;
  const image = new Float32Array(P * 3).fill(1);
  const map = Float32Array.from({ length: P }, (_, i) => Math.sin(7 * i) * 0.5 + 0.5);
  for (const steps of [1, 3, 4, 20]) {
    const d = await deletion(image, map, W, H, meanScore, { steps });
    const ins = await insertion(image, map, W, H, meanScore, { steps, baseline: 'zero' });
    assert.is(d.scores.length, steps + 1);
    assert.is(d.fractions[0], 0); assert.is(d.fractions[steps], 1);
    d.fractions.forEach((x, k) => {
      close(x, Math.round((k * P) / steps) / P, 0, 'whole pixels');
      close(d.scores[k]!, 1 - x, 1e-6, `deletion step ${k}`);
      close(ins.scores[k]!, x, 1e-6, `insertion step ${k}`);
    });
    close(d.auc, 0.5, 1e-6, `deletion, ${steps} steps`);
    close(ins.auc, 0.5, 1e-6, `insertion, ${steps} steps`);
    assert.is(d.baseline, 'zero');
    assert.is(ins.baseline, 'zero');
  }
});

t('a one-pixel model: the map that points at the pixel wins both, by the closed form', async () => {
  // P = 8 pixels, steps = 8: the key pixel is removed (inserted) at step r + 1 when it is r-th in the order.
  // deletion scores: 1 for k <= r, 0 after  -> AUC = (r + 1/2) / 8; insertion: 0 for k <= r, 1 after -> (8 - r - 1/2) / 8
  const W = 4, H = 2, P = 8, key = 5;
  const image = new Float32Array(P).fill(0); image[key] = 1;
  for (let r = 0; r < P; r++) {
    // a map that ranks the key pixel r-th: values decreasing with rank
    const rank = [...Array(P).keys()].filter((p) => p !== key);
    rank.splice(r, 0, key);
    const map = new Float32Array(P);
    rank.forEach((p, i) => { map[p] = 1 - i / P; });
    const d = await deletion(image, map, W, H, pixelScore(key), { steps: P });
    const ins = await insertion(image, map, W, H, pixelScore(key), { steps: P, baseline: 'zero' });
    close(d.auc, (r + 0.5) / P, 1e-12, `deletion, rank ${r}`);
    close(ins.auc, (P - r - 0.5) / P, 1e-12, `insertion, rank ${r}`);
  }
});

t('multi-channel images move whole pixels; batching does not change the curve', async () => {
  const W = 3, H = 3, C = 3, P = 9;
  const image = Float32Array.from({ length: P * C }, (_, i) => (i % 7) / 7);
  const map = Float32Array.from({ length: P }, (_, i) => (i * 5) % 9);
  const calls: number[] = [];
  const sum: ImageScorer = (imgs) => { calls.push(imgs.length); return imgs.map((im) => im.reduce((a, b) => a + b, 0) / (P * C)); };
  const a = await deletion(image, map, W, H, sum, { steps: 9 });
  assert.equal(calls, [10], 'one call by default');
  calls.length = 0;
  const b = await deletion(image, map, W, H, async (imgs) => sum(imgs), { steps: 9, batchSize: 4 });
  assert.equal(calls, [4, 4, 2]);
  assert.equal(a.scores, b.scores);
  // after step 1 exactly the hottest pixel, all its channels, is zero: the map (5i mod 9) peaks (8) at i = 7
  const order = perturbationOrder(map);
  assert.is(order[0], 7);
  let seen: Float32Array | null = null;
  await deletion(image, map, W, H, (imgs) => { seen ??= imgs[1]!; return imgs.map(() => 0.5); }, { steps: 9 });
  for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
    assert.is(seen![p * C + c], p === 7 ? 0 : image[p * C + c], `pixel ${p} channel ${c}`);
  }
});

t('defaults: 16 steps, deletion to zero, insertion from the blurred image', async () => {
  const W = 16, H = 16, P = W * H;
  const image = Float32Array.from({ length: P }, (_, i) => ((i * 37) % 11) / 10);
  const map = Float32Array.from({ length: P }, (_, i) => i / P);
  let first: Float32Array | null = null, last: Float32Array | null = null;
  const spy: ImageScorer = (imgs) => { first ??= imgs[0]!; last = imgs[imgs.length - 1]!; return imgs.map(() => 1); };
  const d = await deletion(image, map, W, H, spy);
  assert.is(d.steps, DEFAULT_PERTURBATION_STEPS);
  assert.is(d.scores.length, DEFAULT_PERTURBATION_STEPS + 1);
  assert.equal(Array.from(first!), Array.from(image), 'deletion starts at the image');
  assert.ok(last!.every((v) => v === 0), 'and ends at zero');
  first = null;
  const ins = await insertion(image, map, W, H, spy);
  assert.is(ins.baseline, 'blur');
  assert.equal(Array.from(first!), Array.from(gaussianBlur(image, W, H)), 'insertion starts at the blurred image');
  assert.equal(Array.from(last!), Array.from(image), 'and ends at the image');
  close(ins.auc, 1, 1e-12, 'a constant score 1 has AUC 1');
  const custom = new Float32Array(P).fill(0.5);
  first = null;
  const c = await insertion(image, map, W, H, spy, { baseline: custom, steps: 2 });
  assert.is(c.baseline, 'custom');
  assert.ok(first!.every((v) => v === 0.5));
});

t('Gaussian blur: constants stay, an impulse spreads with unit mass and its variance', () => {
  const W = 41, H = 41;
  const k = gaussianBlur(new Float32Array(W * H * 2).fill(0.3), W, H, 3);
  assert.ok(k.every((v) => Math.abs(v - 0.3) < 1e-6), 'replicated edges keep a constant image');
  const imp = new Float32Array(W * H); imp[20 * W + 20] = 1;
  const b = gaussianBlur(imp, W, H, 3);
  let mass = 0, varX = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { mass += b[y * W + x]!; varX += b[y * W + x]! * (x - 20) ** 2; }
  close(mass, 1, 1e-5, 'mass');
  // the discrete kernel's variance: sum_d w_d d^2 / sum_d w_d, |d| <= 9 (slightly under sigma^2 = 9: truncated)
  const ds = Array.from({ length: 19 }, (_, i) => i - 9), ws = ds.map((d) => Math.exp(-(d * d) / 18));
  const want = ds.reduce((a, d, i) => a + ws[i]! * d * d, 0) / ws.reduce((a, b) => a + b, 0);
  close(varX, want, 1e-4, 'variance of the truncated kernel');
  assert.ok(want > 8.8 && want < 9);
  assert.ok(b[20 * W + 20]! > b[20 * W + 23]! && b[20 * W + 23]! > 0, 'peak in the middle, decreasing');
  assert.equal(Array.from(gaussianBlur(imp, W, H, 0)), Array.from(imp), 'sigma 0 is a copy');
  throwsInvalid(() => gaussianBlur(imp, W, H, -1));
  throwsInvalid(() => gaussianBlur(imp, W + 1, H, 1));
});

t('bad input: typed errors', async () => {
  const img = new Float32Array(12), map = new Float32Array(4);
  await rejects(() => deletion(img, new Float32Array(5), 2, 2, meanScore), isInvalid, 'map size');
  await rejects(() => deletion(new Float32Array(13), map, 2, 2, meanScore), isInvalid, 'image not a multiple');
  await rejects(() => deletion(img, [0, NaN, 0, 0], 2, 2, meanScore), isInvalid, 'NaN map');
  await rejects(() => deletion(Float32Array.from(img, (_, i) => (i === 3 ? Infinity : 0)), map, 2, 2, meanScore), isInvalid, 'Inf image');
  await rejects(() => deletion(img, map, 2, 2, meanScore, { steps: 0 }), isInvalid, 'steps 0');
  await rejects(() => deletion(img, map, 2, 2, meanScore, { steps: 5 }), isInvalid, 'more steps than pixels');
  await rejects(() => deletion(img, map, 2, 2, meanScore, { steps: 1.5 }), isInvalid, 'fractional steps');
  await rejects(() => deletion(img, map, 2, 2, meanScore, { batchSize: 0 }), isInvalid, 'batch 0');
  await rejects(() => insertion(img, map, 2, 2, meanScore, { baseline: new Float32Array(3) }), isInvalid, 'baseline size');
  await rejects(() => insertion(img, map, 2, 2, meanScore, { baseline: 'noise' as never }), isInvalid, 'baseline name');
  await rejects(() => deletion(img, map, 2, 2, (imgs) => imgs.slice(1).map(() => 0)), isInvalid, 'too few scores');
  await rejects(() => deletion(img, map, 2, 2, (imgs) => imgs.map(() => NaN)), isInvalid, 'NaN scores');
  await rejects(() => deletion(img, map, 2, 2, null as never), isInvalid, 'no scorer');
  await rejects(() => deletion(null as never, map, 2, 2, meanScore), isInvalid, 'no image');
});

t.run();
