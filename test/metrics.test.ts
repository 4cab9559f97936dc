import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  relativeDrop, averageDrop, increaseInConfidence, winShares, winPercent, WIN_TIE_TOLERANCE, mapMass,
  loc, energyPointingGame, maskIoU, LOC_DELTAS, instanceCoverage, COVERAGE_THRESHOLD,
  pearson, thresholdIoU, meanPairwise, boxesMask, thresholdRegion, area, summarize, winStats,
} from '../src/metrics/index.js';
import { InvalidInputError } from '../src/errors.js';

const close = (a: number, b: number, tol = 1e-12, what = ''): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const throwsInvalid = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => e instanceof InvalidInputError);

// ---------------------------------------------------------------------------------------------------
const faith = suite('faithfulness (Average Drop, Increase in Confidence, Win %)');

faith('O = Y: drop 0 and no increase', () => {
  const ys = [0.9, 0.5, 0.31], os = [0.9, 0.5, 0.31];
  assert.is(averageDrop(ys, os), 0);
  assert.is(increaseInConfidence(ys, os), 0);
  for (let i = 0; i < ys.length; i++) assert.is(relativeDrop(ys[i]!, os[i]!), 0);
});

faith('hand-computed drops and increases', () => {
  // drops: (0.8-0.2)/0.8 = 0.75, 0 (O > Y), (0.5-0.25)/0.5 = 0.5, 1 (O = 0)
  const ys = [0.8, 0.4, 0.5, 0.6], os = [0.2, 0.9, 0.25, 0];
  close(averageDrop(ys, os), (100 * (0.75 + 0 + 0.5 + 1)) / 4);
  assert.is(increaseInConfidence(ys, os), 25);
  assert.is(relativeDrop(0.4, 0.9), 0, 'an increase is no drop (the max(0, .) of the paper)');
});

faith('bad probabilities and lengths are rejected', () => {
  throwsInvalid(() => relativeDrop(0, 0.5));
  throwsInvalid(() => relativeDrop(0.5, NaN));
  throwsInvalid(() => relativeDrop(1.5, 0.5));
  throwsInvalid(() => averageDrop([0.5], [0.5, 0.5]));
  throwsInvalid(() => averageDrop([], []));
});

faith('map mass: the mean of L (float64 sum), 1 for a full map, 0 for an empty one; out-of-range maps are refused', () => {
  const map = Float32Array.from({ length: 224 * 224 }, (_, i) => ((i * 7919) % 1000) / 999);
  let want = 0;
  for (const v of map) want += v;
  close(mapMass(map), want / map.length, 1e-12);
  assert.is(mapMass(new Float32Array(9).fill(1)), 1);
  assert.is(mapMass([0, 0, 0]), 0);
  throwsInvalid(() => mapMass([]));
  throwsInvalid(() => mapMass([0.5, NaN]));
  throwsInvalid(() => mapMass([0.5, 1.5]));
});

faith('Win % over identical methods splits equally', () => {
  const drops = [[0.3, 0.3, 0.3], [0, 0, 0], [0.7, 0.7, 0.7]];
  const w = winPercent(drops);
  for (const v of w) close(v, 100 / 3, 1e-12);
  assert.equal(winShares([0.2, 0.2]), [0.5, 0.5]);
});

faith('Win %: hand-computed, ties within the tolerance, sums to 100', () => {
  const drops = [
    [0.1, 0.2, 0.4], // method 0 wins
    [0.3, 0.3, 0.9], // 0 and 1 tie
    [0.5, 0.1, 0.1 + WIN_TIE_TOLERANCE / 2], // 1 and 2 tie within the tolerance
    [0.5, 0.1, 0.1 + 3 * WIN_TIE_TOLERANCE], // 1 wins alone
  ];
  const w = winPercent(drops);
  close(w[0]!, 100 * (1 + 0.5) / 4, 1e-12, 'method 0');
  close(w[1]!, 100 * (0.5 + 0.5 + 1) / 4, 1e-12, 'method 1');
  close(w[2]!, 100 * 0.5 / 4, 1e-12, 'method 2');
  close(w[0]! + w[1]! + w[2]!, 100, 1e-9, 'sum');
  assert.equal(winShares([0.4, 0.1], 0), [0, 1]);
  throwsInvalid(() => winShares([]));
  throwsInvalid(() => winShares([1.2, 0]));
  throwsInvalid(() => winPercent([[0.1, 0.2], [0.1]]));
});

faith('Win % with its tie rate: hand-computed', () => {
  const drops = [
    [0.1, 0.2, 0.4], // 0 wins alone
    [0.3, 0.3, 0.9], // 0 and 1 tie
    [0, 0, 0], // all three tie (a saturated softmax: no drop anywhere)
    [0.5, 0.1, 0.1 + WIN_TIE_TOLERANCE / 2], // 1 and 2 tie within the tolerance
  ];
  const s = winStats(drops);
  assert.equal(s.win, winPercent(drops));
  close(s.tieRate, 75, 1e-12, 'three of four images tied');
  close(s.ties[0]!, 50, 1e-12); close(s.ties[1]!, 75, 1e-12); close(s.ties[2]!, 50, 1e-12);
  assert.equal(winStats([[0.1, 0.2], [0.3, 0.1]]), { win: [50, 50], ties: [0, 0], tieRate: 0 });
  throwsInvalid(() => winStats([]));
  throwsInvalid(() => winStats([[0.1, NaN]]));
});

faith('Average Drop and Increase reject NaN, non-arrays and mismatched sizes', () => {
  throwsInvalid(() => averageDrop([0.5, NaN], [0.5, 0.5]));
  throwsInvalid(() => averageDrop([0.5, 0.5], [0.5, NaN]));
  throwsInvalid(() => increaseInConfidence([0.5], [Infinity]));
  throwsInvalid(() => increaseInConfidence([0.5, 0.4], [0.5]));
  throwsInvalid(() => averageDrop(null as never, [0.5]));
  throwsInvalid(() => winPercent(null as never));
});

faith.run();

// ---------------------------------------------------------------------------------------------------
const region = suite('regions');

region('boxesMask: union, exclusive ends, clipped', () => {
  const m = boxesMask([{ x0: 0, y0: 0, x1: 2, y1: 1 }, { x0: 1, y0: 0, x1: 3, y1: 2 }, { x0: 3, y0: 3, x1: 9, y1: 9 }], 4, 4);
  assert.equal(Array.from(m), [
    1, 1, 1, 0,
    0, 1, 1, 0,
    0, 0, 0, 0,
    0, 0, 0, 1,
  ]);
  assert.is(area(m), 6);
  assert.equal(Array.from(thresholdRegion([0, 0.25, 0.5, 1], 0.25)), [0, 0, 1, 1], 'strict: L > delta');
});

region('boxes and sizes are checked', () => {
  throwsInvalid(() => boxesMask([{ x0: 0, y0: 0, x1: NaN, y1: 1 }], 4, 4));
  throwsInvalid(() => boxesMask([{ x0: 3, y0: 0, x1: 1, y1: 1 }], 4, 4));
  throwsInvalid(() => boxesMask([null as never], 4, 4));
  throwsInvalid(() => boxesMask({} as never, 4, 4));
  throwsInvalid(() => boxesMask([], 0, 4));
  throwsInvalid(() => boxesMask([], 2.5, 4));
});

region.run();

// ---------------------------------------------------------------------------------------------------
const local = suite('localisation (Loc, energy pointing game, IoU)');

// 4 x 4 map; box B = x in [0,2), y in [0,2) (area 4).
const MAP = Float32Array.from([
  1.0, 0.5, 0.0, 0.3,
  0.2, 0.0, 0.6, 0.0,
  0.0, 0.0, 0.0, 0.0,
  0.1, 0.0, 0.0, 0.0,
]);
const BOX = boxesMask([{ x0: 0, y0: 0, x1: 2, y1: 2 }], 4, 4);

local('Loc on a hand-computed case at delta 0, 0.25, 0.5', () => {
  // inside: {1, .5, .2, 0}, outside: {.3, .6, .1}
  // delta 0:    (1 + .5 + .2) / (4 + .3 + .6 + .1) = 1.7 / 5
  // delta 0.25: (1 + .5)      / (4 + .3 + .6)      = 1.5 / 4.9
  // delta 0.5:  1 (.5 is not > .5) / (4 + .6)      = 1 / 4.6
  assert.equal([...LOC_DELTAS], [0, 0.25, 0.5]);
  close(loc(MAP, BOX, 0), 1.7 / 5, 1e-7, 'delta 0');
  close(loc(MAP, BOX, 0.25), 1.5 / 4.9, 1e-7, 'delta 0.25');
  close(loc(MAP, BOX, 0.5), 1 / 4.6, 1e-7, 'delta 0.5');
});

local('Loc is 1 for a map equal to 1 on the box and 0 elsewhere, 0 for an all-zero map', () => {
  const m = Float32Array.from(BOX);
  for (const d of LOC_DELTAS) assert.is(loc(m, BOX, d), 1);
  for (const d of LOC_DELTAS) assert.is(loc(new Float32Array(16), BOX, d), 0);
});

local('energy pointing game: one-hot maps, a hand-computed case, no energy', () => {
  const inside = new Float32Array(16); inside[5] = 1; // (1,1) in the box
  const outside = new Float32Array(16); outside[15] = 1;
  assert.is(energyPointingGame(inside, BOX), 1);
  assert.is(energyPointingGame(outside, BOX), 0);
  close(energyPointingGame(MAP, BOX), 1.7 / 2.7, 1e-7);
  assert.is(energyPointingGame(new Float32Array(16), BOX), 0);
  throwsInvalid(() => energyPointingGame(MAP, new Uint8Array(16)));
  throwsInvalid(() => energyPointingGame(MAP, new Uint8Array(15)));
});

local('IoU: a map equal to the mask gives 1; hand-computed; all-zero map gives 0', () => {
  const mask = Uint8Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const same = Float32Array.from(mask);
  for (const d of LOC_DELTAS) assert.is(maskIoU(same, mask, d), 1, `delta ${d}`);
  // MAP > 0:   {0,1,3,4,6,12};  mask {1,2,5,6}: inter {1,6} = 2, union {0,1,2,3,4,5,6,12} = 8
  close(maskIoU(MAP, mask, 0), 2 / 8, 1e-12);
  // MAP > 0.5: {0,6}: inter {6} = 1, union {0,1,2,5,6} = 5
  close(maskIoU(MAP, mask, 0.5), 1 / 5, 1e-12);
  assert.is(maskIoU(new Float32Array(16), mask, 0), 0);
});

local('NaN or Infinity in a map and mismatched sizes are typed errors, not NaN scores', () => {
  const bad = Float32Array.from(MAP); bad[6] = NaN;
  const inf = Float32Array.from(MAP); inf[2] = Infinity;
  for (const m of [bad, inf]) {
    throwsInvalid(() => loc(m, BOX, 0));
    throwsInvalid(() => energyPointingGame(m, BOX));
    throwsInvalid(() => maskIoU(m, BOX, 0.5));
  }
  throwsInvalid(() => loc(MAP, new Uint8Array(15), 0));
  throwsInvalid(() => maskIoU(MAP.subarray(1), BOX, 0));
  throwsInvalid(() => loc(MAP, new Uint8Array(16), 0));
  throwsInvalid(() => loc(null as never, BOX, 0));
});

local.run();

// ---------------------------------------------------------------------------------------------------
const cover = suite('instance coverage');

const W = 10, H = 4;
const TWO = [{ x0: 0, y0: 0, x1: 3, y1: 4 }, { x0: 6, y0: 0, x1: 10, y1: 4 }];

cover('one instance covered of two = 0.5, not all', () => {
  const m = new Float32Array(W * H);
  m[1 * W + 1] = 1; // peak in the first box
  m[2 * W + 7] = 0.49; // second box below half the peak
  const c = instanceCoverage(m, W, H, TWO);
  assert.equal(c.covered, [true, false]);
  assert.is(c.share, 0.5);
  assert.is(c.all, false);
});

cover('both covered at exactly tau * peak; relative to the peak; all-zero covers nothing', () => {
  const m = new Float32Array(W * H);
  m[0] = 0.8; m[3 * W + 9] = 0.8 * COVERAGE_THRESHOLD;
  const c = instanceCoverage(m, W, H, TWO);
  assert.equal(c.covered, [true, true]);
  assert.is(c.share, 1);
  assert.is(c.all, true);
  const z = instanceCoverage(new Float32Array(W * H), W, H, TWO);
  assert.equal(z, { covered: [false, false], share: 0, all: false });
  // heat between the boxes only: nothing covered
  const mid = new Float32Array(W * H); mid[2 * W + 4] = 1;
  assert.is(instanceCoverage(mid, W, H, TWO).share, 0);
  throwsInvalid(() => instanceCoverage(m, W, H, []));
  throwsInvalid(() => instanceCoverage(m, W + 1, H, TWO));
});

cover('NaN maps and malformed boxes are typed errors', () => {
  const m = new Float32Array(W * H); m[3] = NaN;
  throwsInvalid(() => instanceCoverage(m, W, H, TWO));
  throwsInvalid(() => instanceCoverage(new Float32Array(W * H), W, H, [{ x0: 0, y0: 0, x1: 2 } as never]));
  throwsInvalid(() => instanceCoverage(new Float32Array(W * H), W, H, 'box' as never));
});

cover.run();

// ---------------------------------------------------------------------------------------------------
const consist = suite('cross-backbone consistency');

consist('Pearson: itself 1, its negation -1, an affine copy 1, a constant map NaN', () => {
  const a = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
  close(pearson(a, a), 1, 1e-12);
  close(pearson(a, a.map((v) => -v)), -1, 1e-12);
  close(pearson(a, a.map((v) => 0.3 * v + 0.1)), 1, 1e-6);
  assert.ok(Number.isNaN(pearson(a, new Float32Array(50))));
  close(pearson([1, 2, 3], [1, 3, 2]), 0.5, 1e-12);
  throwsInvalid(() => pearson(a, new Float32Array(49)));
});

consist('thresholded IoU between maps; mean over pairs skips undefined ones', () => {
  close(thresholdIoU(MAP, MAP, 0.5), 1, 0);
  // MAP > 0.25 = {0,1,3,6}; BOX as a map > 0.25 = {0,1,4,5}: inter 2, union 6
  close(thresholdIoU(MAP, Float32Array.from(BOX), 0.25), 2 / 6, 1e-12);
  assert.ok(Number.isNaN(thresholdIoU(new Float32Array(4), new Float32Array(4), 0.5)));
  const z = new Float32Array(16);
  const r = meanPairwise([MAP, MAP, z], pearson);
  assert.equal({ pairs: r.pairs, defined: r.defined }, { pairs: 3, defined: 1 });
  close(r.mean, 1, 1e-12);
  const neg = MAP.map((v) => -v);
  close(meanPairwise([MAP, MAP, neg], pearson).mean, (1 - 1 - 1) / 3, 1e-12);
  assert.ok(Number.isNaN(meanPairwise([MAP], pearson).mean));
});

consist('summarize: mean, standard error, NaN skipped', () => {
  const s = summarize([1, 2, 3, NaN, 6]);
  assert.is(s.n, 4);
  assert.is(s.mean, 3);
  close(s.sem, Math.sqrt(((4 + 1 + 0 + 9) / 3) / 4), 1e-12);
  assert.ok(Number.isNaN(summarize([]).mean));
  assert.ok(Number.isNaN(summarize([2]).sem));
});

consist('Pearson and thresholded IoU reject NaN maps', () => {
  const a = Float32Array.from(MAP), b = Float32Array.from(MAP); b[0] = NaN;
  throwsInvalid(() => pearson(a, b));
  throwsInvalid(() => thresholdIoU(b, a, 0.5));
});

consist.run();
