// Moving-digit clips (src/data/clips.ts): determinism, balance, the visibility rule, ground truth against
// the rendered pixels, held-out writers, tensors, and the typed errors of bad options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  generateClips, generateClip, clipsToTensors, clipBatches, poolOf, visibilityOk, overlapShares, targetCells,
  type Clip, type ClipOptions, type Box,
} from '../src/data/index.js';
import { InvalidInputError } from '../src/errors.js';

const S = 64, T = 10;
const bytes = (a: Float32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const instKey = (c: Clip) => JSON.stringify([...c.targets, ...c.distractors].map((i) => [i.source, i.tint, i.w, i.h, i.positions, i.boxes, i.fraction, i.visible]));
function sameClip(a: Clip, b: Clip): boolean {
  return a.label === b.label && a.index === b.index && bytes(a.frames).equals(bytes(b.frames)) && instKey(a) === instKey(b) &&
    JSON.stringify(a.visible) === JSON.stringify(b.visible) &&
    [...a.targets, ...a.distractors].every((inst, k) => inst.masks.every((m, t) => bytes(m).equals(bytes([...b.targets, ...b.distractors][k]!.masks[t]!))));
}
const train = generateClips({ split: 'train', count: 100, seed: 42 });
const heldOut = generateClips({ split: 'test', count: 60, seed: 42 });

test('determinism: same options and seed give identical bytes; another seed or split gives other clips', () => {
  const again = generateClips({ split: 'train', count: 12, seed: 42 });
  assert.ok(again.every((c, i) => sameClip(c, train[i]!)));
  const other = generateClips({ split: 'train', count: 12, seed: 43 });
  assert.ok(other.every((c, i) => !bytes(c.frames).equals(bytes(train[i]!.frames))));
  assert.ok(heldOut.slice(0, 12).every((c, i) => !bytes(c.frames).equals(bytes(train[i]!.frames))));
});

test('clip i does not depend on count or start', () => {
  const mid = generateClips({ split: 'train', count: 4, seed: 42, start: 37 });
  mid.forEach((c, k) => assert.ok(sameClip(c, train[37 + k]!), `clip ${37 + k}`));
  assert.ok(sameClip(generateClip({ split: 'train', seed: 42 }, 63), train[63]!));
});

test('labels are balanced: every block of 10 clips holds each class once', () => {
  for (let b = 0; b < 10; b++) {
    assert.equal(train.slice(b * 10, b * 10 + 10).map((c) => c.label).sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
});

test('visibility: one contiguous run of >= 3 frames, the target wholly out in some frame, distractors always in', () => {
  const lengths = new Set<number>();
  for (const c of [...train, ...heldOut]) {
    assert.is(c.visible.length, T);
    const on = c.visible.map((v, t) => (v ? t : -1)).filter((t) => t >= 0);
    assert.ok(on.length >= 3 && on.length < T, `clip ${c.index}: visible in ${on.length} frames`);
    assert.is(on.at(-1)! - on[0]! + 1, on.length, `clip ${c.index}: visible frames ${on} not contiguous`);
    lengths.add(on.length);
    const tg = c.targets[0]!;
    assert.ok(tg.fraction.some((f) => f === 0), `clip ${c.index}: the target never leaves the frame`);
    assert.equal(tg.visible, tg.fraction.map((f) => f >= 0.5));
    assert.equal(c.visible, tg.visible);
    for (const d of c.distractors) {
      assert.ok(d.source.label !== c.label);
      assert.ok(d.fraction.every((f) => f === 1), 'a distractor left the frame');
      assert.ok(d.positions.every((p) => p.x >= 0 && p.y >= 0 && p.x + d.w <= S && p.y + d.h <= S));
    }
    assert.ok(c.distractors.length >= 1 && c.distractors.length <= 2);
  }
  assert.ok(lengths.size >= 4, `visible-run lengths vary: ${[...lengths]}`);
  // the target moves at a constant velocity: steps differ by rounding only
  for (const c of train.slice(0, 30)) {
    const p = c.targets[0]!.positions;
    const dx = p.slice(1).map((q, t) => q.x - p[t]!.x), dy = p.slice(1).map((q, t) => q.y - p[t]!.y);
    assert.ok(Math.max(...dx) - Math.min(...dx) <= 1 && Math.max(...dy) - Math.min(...dy) <= 1, JSON.stringify(p));
  }
  // the rule itself
  assert.ok(visibilityOk([false, true, true, true, false], [0, 1, 1, 1, 0], 3));
  assert.not.ok(visibilityOk([true, true, false, true, false], [1, 1, 0, 1, 0], 2));
  assert.not.ok(visibilityOk([false, true, true, false], [0, 1, 1, 0], 3));
  assert.not.ok(visibilityOk([true, true, true, true], [1, 1, 1, 0.9], 3));
});

function tightBox(m: Uint8Array): Box | null {
  let x0 = S, y0 = S, x1 = 0, y1 = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const x = i % S, y = (i - x) / S;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

test('masks and boxes match the rendered target pixels (white ink on black, no noise)', () => {
  // alone: each frame IS the target's intensity, so its mask is exactly {value >= 0.3}
  const alone = generateClips({ split: 'train', count: 20, seed: 5, colour: false, noise: 0, distractors: 0 });
  for (const c of alone) {
    const tg = c.targets[0]!;
    let whole = 0;
    for (let t = 0; t < T; t++) {
      const m = tg.masks[t]!;
      let n = 0;
      for (let i = 0; i < S * S; i++) {
        assert.is(m[i], c.frames[(t * S * S + i) * 3]! >= 0.3 ? 1 : 0);
        n += m[i]!;
      }
      assert.equal(tg.boxes[t], tightBox(m));
      whole = Math.max(whole, n);
      if (n === 0) assert.is(tg.fraction[t], 0);
    }
    // fully inside in some frame (visible >= 3 frames at fraction >= 0.5 happens often at 1): fraction = n / whole
    if (tg.fraction.includes(1)) for (let t = 0; t < T; t++) assert.ok(Math.abs(tg.fraction[t]! - tg.masks[t]!.reduce((a, b) => a + b, 0) / whole) < 1e-12);
  }
  // with distractors under it, the target (drawn on top) still covers its mask with values >= 0.3
  const busy = generateClips({ split: 'train', count: 20, seed: 6, colour: false, noise: 0 });
  for (const c of busy) {
    for (const inst of [...c.targets, ...c.distractors]) {
      for (let t = 0; t < T; t++) {
        const m = inst.masks[t]!, p = inst.positions[t]!;
        for (let i = 0; i < S * S; i++) {
          if (!m[i]) continue;
          const x = i % S, y = (i - x) / S;
          assert.ok(x >= p.x && x < p.x + inst.w && y >= p.y && y < p.y + inst.h, 'mask pixel outside the drawn rectangle');
          if (inst === c.targets[0]) assert.ok(c.frames[(t * S * S + i) * 3]! >= 0.3 - 1e-6);
        }
        assert.equal(inst.boxes[t], tightBox(m));
      }
    }
  }
});

test('held-out writers: train clips draw from the first 80% of each class, test clips from the last 20%', () => {
  for (const c of train) for (const i of [...c.targets, ...c.distractors]) assert.is(poolOf(i.source), 'train');
  for (const c of heldOut) for (const i of [...c.targets, ...c.distractors]) assert.is(poolOf(i.source), 'test');
});

test('options: frames, size, two targets (their union obeys the rule), minVisible', () => {
  const c = generateClips({ split: 'test', count: 20, seed: 1, frames: 16, size: 48, targets: [2, 2], minVisible: 5, distractors: 3 });
  for (const x of c) {
    assert.is(x.frames.length, 16 * 48 * 48 * 3);
    assert.is(x.targets.length, 2);
    assert.is(x.distractors.length, 3);
    assert.ok(x.targets.every((t) => t.source.label === x.label));
    assert.ok(x.frames.every((v) => v >= 0 && v <= 1));
    const frac = x.visible.map((_, t) => Math.max(...x.targets.map((q) => q.fraction[t]!)));
    assert.ok(visibilityOk(x.visible, frac, 5));
  }
});

test('tensors: clipsToTensors and clipBatches give [N,T,S,S,3] and one-hot labels, and leak nothing', () => {
  const before = tf.memory().numTensors;
  const { xs, ys } = clipsToTensors(train.slice(0, 3));
  assert.equal(xs.shape, [3, T, S, S, 3]);
  assert.equal(tf.tidy(() => ys.argMax(-1).arraySync()), train.slice(0, 3).map((c) => c.label));
  assert.ok(bytes(xs.dataSync() as Float32Array).equals(bytes(Float32Array.from([...train[0]!.frames, ...train[1]!.frames, ...train[2]!.frames]))));
  tf.dispose([xs, ys]);
  const sizes: number[] = [];
  for (const b of clipBatches({ split: 'train', seed: 42, start: 2, count: 5 }, 2)) {
    sizes.push(b.xs.shape[0]);
    if (sizes.length === 1) assert.ok(bytes(b.xs.dataSync() as Float32Array).equals(bytes(Float32Array.from([...train[2]!.frames, ...train[3]!.frames]))));
    tf.dispose([b.xs, b.ys]);
  }
  assert.equal(sizes, [2, 2, 1]);
  assert.is(tf.memory().numTensors, before);
});

test("targetCells: 1 where a target's mask touches the cell (against the boxes), 0 in frames without the target; clipBatches stacks them", () => {
  for (const clip of train.slice(0, 20)) {
    const cells = targetCells(clip, 8);
    assert.is(cells.length, T * 64);
    for (let t = 0; t < T; t++) {
      const grid = cells.subarray(t * 64, (t + 1) * 64);
      // oracle: a cell is marked iff it holds a mask pixel; every mask pixel lies in its instance's box, so the
      // marked cells' bounding rectangle is the union of the boxes' cells, and nothing is marked without a box
      const boxes = clip.targets.map((i) => i.boxes[t]).filter((b): b is Box => b != null);
      if (!boxes.length) { assert.ok(grid.every((v) => v === 0), `frame ${t}: no target, no cell`); continue; }
      const marked = [...grid.keys()].filter((k) => grid[k] === 1);
      const rows = marked.map((k) => Math.floor(k / 8)), cols = marked.map((k) => k % 8);
      const cell = (v: number) => Math.floor(v / 8);
      assert.is(Math.min(...rows), cell(Math.min(...boxes.map((b) => b.y0))), `frame ${t} top`);
      assert.is(Math.max(...rows), cell(Math.max(...boxes.map((b) => b.y1)) - 1), `frame ${t} bottom`);
      assert.is(Math.min(...cols), cell(Math.min(...boxes.map((b) => b.x0))), `frame ${t} left`);
      assert.is(Math.max(...cols), cell(Math.max(...boxes.map((b) => b.x1)) - 1), `frame ${t} right`);
      // and each marked cell holds a pixel of some target's mask
      for (const k of marked) {
        const [cy, cx] = [Math.floor(k / 8) * 8, (k % 8) * 8];
        const hit = clip.targets.some((i) => { for (let y = cy; y < cy + 8; y++) for (let x = cx; x < cx + 8; x++) if (i.masks[t]![y * S + x]) return true; return false; });
        assert.ok(hit, `frame ${t} cell ${k}`);
      }
    }
  }
  const before = tf.memory().numTensors;
  const [first] = clipBatches({ split: 'train', seed: 42, start: 0, count: 2, cells: 4 }, 2);
  assert.equal(first!.cells!.shape, [2, T, 4, 4, 1]);
  assert.ok(bytes(first!.cells!.dataSync() as Float32Array).equals(bytes(Float32Array.from([...targetCells(train[0]!, 4), ...targetCells(train[1]!, 4)]))));
  tf.dispose([first!.xs, first!.ys, first!.cells!]);
  assert.is(tf.memory().numTensors, before);
  for (const bad of [0, 3, 1.5]) assert.throws(() => targetCells(train[0]!, bad), (e: Error) => e instanceof InvalidInputError && /divides the frame side 64/.test(e.message));
});

test('readable targets: each clear of distractors in >= clearFrames visible frames; overlap is the masks\' shared share', () => {
  // the oracle: per frame, shared pixels counted on the instance masks directly
  const share = (own: Uint8Array, others: Uint8Array[]) => {
    let n = 0, k = 0;
    own.forEach((v, i) => { if (v) { n++; if (others.some((o) => o[i])) k++; } });
    return n ? k / n : 0;
  };
  const clearCount = (c: Clip, maxOverlap: number) => c.targets[0]!.overlap.filter((o, t) => c.targets[0]!.visible[t] && o <= maxOverlap).length;
  const busy = { split: 'train', count: 40, seed: 7, distractors: [2, 2] } as const;
  const ruled = generateClips(busy);
  for (const c of ruled) {
    const all = [...c.targets, ...c.distractors];
    all.forEach((inst) => inst.overlap.forEach((o, t) => {
      assert.ok(Math.abs(o - share(inst.masks[t]!, all.filter((x) => x !== inst).map((x) => x.masks[t]!))) < 1e-12);
    }));
    assert.ok(clearCount(c, 0.05) >= 3, `clip ${c.index}: ${c.targets[0]!.overlap.map((o) => o.toFixed(2)).join(' ')}`);
  }
  // without the rule some targets are crossed in most frames; the rule only redraws distractor paths
  const free = generateClips({ ...busy, clearFrames: 0 });
  assert.ok(free.some((c) => clearCount(c, 0.05) < 3));
  free.forEach((c, i) => {
    assert.is(c.label, ruled[i]!.label);
    assert.equal(c.targets[0]!.positions, ruled[i]!.targets[0]!.positions);
    if (clearCount(c, 0.05) >= 3) assert.ok(sameClip(c, ruled[i]!), `clip ${i} met the rule but changed`);
  });
  const stricter = generateClips({ ...busy, count: 10, maxOverlap: 0 });
  assert.ok(stricter.every((c) => clearCount(c, 0) >= 3));
  assert.ok(ruled.slice(0, 10).some((c) => clearCount(c, 0) < 3));
  assert.equal(overlapShares([Uint8Array.of(1, 1, 0, 1), Uint8Array.of(0, 0)], [[Uint8Array.of(0, 1, 1, 1), Uint8Array.of(1, 1)]]), [2 / 3, 0]);
});

test('bad options throw InvalidInputError saying what to use', () => {
  const base: ClipOptions = { split: 'train', count: 1, seed: 1 };
  const bad: [Partial<ClipOptions> & Record<string, unknown>, RegExp][] = [
    [{ split: 'valid' as 'train' }, /split/], [{ seed: 1.5 }, /seed/], [{ count: -1 }, /count/], [{ start: 0.5 }, /start/],
    [{ frames: 3 }, /frames/], [{ size: 16 }, /size/], [{ targets: [0, 1] }, /targets/], [{ targets: [1, 3] }, /targets/],
    [{ distractors: [3, 1] }, /distractors/], [{ distractors: 9 }, /distractors/], [{ digitSize: [4, 40] }, /digitSize/],
    [{ targetSpeed: [0, 2] }, /targetSpeed/], [{ speed: [-1, 2] }, /speed/], [{ minVisible: 10 }, /minVisible/],
    [{ minVisible: 0 }, /minVisible/], [{ visibleFraction: 0 }, /visibleFraction/], [{ noise: 2 }, /noise/],
    [{ maskThreshold: 1 }, /maskThreshold/], [{ colour: 'yes' as unknown as boolean }, /colour/],
    // a target this slow cannot both leave the frame and stay visible for 3 of 4 frames
    [{ frames: 4, targetSpeed: [0.5, 0.5] }, /targetSpeed/],
    [{ clearFrames: -1 }, /clearFrames/], [{ clearFrames: 10 }, /clearFrames/], [{ clearFrames: 2.5 }, /clearFrames/],
    [{ maxOverlap: 1.5 }, /maxOverlap/], [{ maxOverlap: Number.NaN }, /maxOverlap/],
    // four large distractors cannot stay off a target in 9 of 10 frames
    [{ distractors: 4, digitSize: [30, 32], clearFrames: 9, maxOverlap: 0 }, /clear of 4 distractor\(s\).*fewer distractors/],
  ];
  for (const [o, re] of bad) {
    try {
      generateClips({ ...base, ...o } as ClipOptions);
      assert.unreachable(`accepted ${JSON.stringify(o)}`);
    } catch (e) {
      assert.instance(e, InvalidInputError, `${JSON.stringify(o)}: ${String(e)}`);
      assert.match((e as Error).message, re);
    }
  }
  assert.throws(() => generateClip({ split: 'train', seed: 1 }, -1), (e: unknown) => e instanceof InvalidInputError);
  assert.throws(() => clipsToTensors([]), (e: unknown) => e instanceof InvalidInputError);
  assert.throws(() => clipBatches({ split: 'train', seed: 1 }, 0).next(), (e: unknown) => e instanceof InvalidInputError);
  assert.throws(() => clipsToTensors([train[0]!, generateClip({ split: 'train', seed: 1, frames: 5 }, 0)]), (e: unknown) => e instanceof InvalidInputError);
});

test.run();
