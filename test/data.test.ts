import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  generateScenes, generateScene, scenesToTensors, sceneBatches, loadMnist, poolOf, poolRange, trainCount,
  Rng, hashSeed, MARGIN, type Scene, type Split, type Box,
} from '../src/data/index.js';
import { InvalidInputError } from '../src/errors.js';

const N = 120;
const cache = new Map<Split, Scene[]>();
function scenes(split: Split): Scene[] {
  let s = cache.get(split);
  if (!s) cache.set(split, (s = generateScenes({ split, count: N, seed: 42 })));
  return s;
}
const SPLITS: Split[] = ['train', 'test-single', 'test-multi'];

function bytes(a: Float32Array | Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
function sameScene(a: Scene, b: Scene): boolean {
  return a.label === b.label && a.index === b.index && a.size === b.size &&
    bytes(a.image).equals(bytes(b.image)) && bytes(a.mask).equals(bytes(b.mask)) &&
    JSON.stringify(a.instances.map((i) => [i.box, i.rect, i.source, i.tint])) ===
      JSON.stringify(b.instances.map((i) => [i.box, i.rect, i.source, i.tint])) &&
    a.instances.every((inst, k) => bytes(inst.mask).equals(bytes(b.instances[k]!.mask))) &&
    JSON.stringify(a.clutter) === JSON.stringify(b.clutter);
}
const isInvalid = (e: unknown): boolean => e instanceof InvalidInputError;
function apart(a: Box, b: Box, m: number): boolean {
  return a.x1 + m <= b.x0 || b.x1 + m <= a.x0 || a.y1 + m <= b.y0 || b.y1 + m <= a.y0;
}

test('rng: seeded, reproducible, in range', () => {
  const a = new Rng(123), b = new Rng(123), c = new Rng(124);
  const xa = Array.from({ length: 100 }, () => a.next());
  const xb = Array.from({ length: 100 }, () => b.next());
  const xc = Array.from({ length: 100 }, () => c.next());
  assert.equal(xa, xb);
  assert.not.equal(xa, xc);
  assert.ok(xa.every((v) => v >= 0 && v < 1));
  const r = new Rng(5);
  for (let i = 0; i < 1000; i++) { const k = r.int(2, 4); assert.ok(k >= 2 && k <= 4 && Number.isInteger(k)); }
  assert.is.not(hashSeed(1, 2), hashSeed(2, 1));
  assert.is.not(hashSeed(1), hashSeed(1 + 2 ** 32));
});

test('mnist source: ten classes, deterministic 80/20 split per class', () => {
  const m = loadMnist();
  assert.is(m.length, 10);
  for (let d = 0; d < 10; d++) {
    assert.ok(m[d]!.count > 800, `class ${d} has ${m[d]!.count} samples`);
    assert.is(m[d]!.pixels.length, m[d]!.count * 784);
    const [a, b] = poolRange('train', d), [c, e] = poolRange('test', d);
    assert.equal([a, b, c, e], [0, trainCount(d), trainCount(d), m[d]!.count]);
    assert.is(trainCount(d), Math.floor(0.8 * m[d]!.count));
    assert.is(poolOf({ label: d, index: b - 1 }), 'train');
    assert.is(poolOf({ label: d, index: b }), 'test');
  }
});

test('determinism: same options + seed -> identical bytes; other seed -> different', () => {
  for (const split of SPLITS) {
    const a = generateScenes({ split, count: 15, seed: 9 });
    const b = generateScenes({ split, count: 15, seed: 9 });
    const c = generateScenes({ split, count: 15, seed: 10 });
    assert.ok(a.every((s, i) => sameScene(s, b[i]!)), `${split}: same seed differs`);
    assert.ok(a.every((s, i) => !bytes(s.image).equals(bytes(c[i]!.image))), `${split}: other seed gives a same image`);
  }
  // Splits with the same seed are different scenes too.
  const t = generateScenes({ split: 'train', count: 5, seed: 9 });
  const u = generateScenes({ split: 'test-single', count: 5, seed: 9 });
  assert.ok(t.every((s, i) => !bytes(s.image).equals(bytes(u[i]!.image))));
});

test('scene i is independent of count and start', () => {
  const all = scenes('train');
  const few = generateScenes({ split: 'train', count: 7, seed: 42 });
  const mid = generateScenes({ split: 'train', count: 5, seed: 42, start: 50 });
  assert.ok(few.every((s, i) => sameScene(s, all[i]!)));
  assert.ok(mid.every((s, i) => sameScene(s, all[50 + i]!)));
  assert.ok(sameScene(generateScene({ split: 'train', seed: 42 }, 33), all[33]!));
});

test('instances per split: train 1..3, test-single 1, test-multi 2..3', () => {
  const seen = (split: Split) => new Set(scenes(split).map((s) => s.instances.length));
  assert.equal([...seen('train')].sort(), [1, 2, 3]);
  assert.equal([...seen('test-single')], [1]);
  assert.equal([...seen('test-multi')].sort(), [2, 3]);
  const custom = generateScenes({ split: 'train', count: 20, seed: 1, instances: [2, 2] });
  assert.ok(custom.every((s) => s.instances.length === 2));
});

test('labels: integers 0..9, balanced in every block of 10', () => {
  for (const split of SPLITS) {
    const ss = scenes(split);
    assert.ok(ss.every((s) => Number.isInteger(s.label) && s.label >= 0 && s.label <= 9));
    for (let b = 0; b < N; b += 10) {
      assert.equal(ss.slice(b, b + 10).map((s) => s.label).sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  }
});

test('boxes: in bounds, tight, separated by MARGIN; clutter away from instances', () => {
  for (const split of SPLITS) {
    for (const s of scenes(split)) {
      const S = s.size;
      for (const inst of s.instances) {
        const { box, rect } = inst;
        assert.ok(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= S && box.y1 <= S && box.x0 < box.x1 && box.y0 < box.y1);
        assert.ok(rect.x0 <= box.x0 && rect.y0 <= box.y0 && rect.x1 >= box.x1 && rect.y1 >= box.y1, 'box inside rect');
        assert.ok(rect.x0 >= 0 && rect.y0 >= 0 && rect.x1 <= S && rect.y1 <= S);
      }
      for (let i = 0; i < s.instances.length; i++) {
        for (let j = i + 1; j < s.instances.length; j++) {
          assert.ok(apart(s.instances[i]!.box, s.instances[j]!.box, MARGIN), `scene ${s.index}: boxes ${i},${j} too close`);
          assert.ok(apart(s.instances[i]!.rect, s.instances[j]!.rect, MARGIN));
        }
      }
      for (const c of s.clutter) {
        assert.ok(c.rect.x0 >= 0 && c.rect.y0 >= 0 && c.rect.x1 <= S && c.rect.y1 <= S);
        for (const inst of s.instances) assert.ok(apart(c.rect, inst.rect, MARGIN), `scene ${s.index}: clutter on an instance`);
      }
    }
  }
});

test('masks: inside their box, box tight around them, union = OR of instance masks', () => {
  for (const split of SPLITS) {
    for (const s of scenes(split)) {
      const S = s.size;
      assert.is(s.mask.length, S * S);
      const union = new Uint8Array(S * S);
      for (const inst of s.instances) {
        const m = inst.mask, b = inst.box;
        assert.is(m.length, S * S);
        let x0 = S, y0 = S, x1 = 0, y1 = 0, n = 0;
        for (let p = 0; p < S * S; p++) {
          if (m[p] === 0) continue;
          assert.is(m[p], 1);
          assert.is(union[p], 0, 'instance masks overlap');
          union[p] = 1;
          n++;
          const x = p % S, y = Math.floor(p / S);
          assert.ok(x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1, 'mask pixel outside its box');
          x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
        }
        assert.ok(n > 0, 'instance without mask pixels');
        assert.equal({ x0, y0, x1, y1 }, b, 'box is the tight box of the mask');
      }
      assert.ok(bytes(union).equals(bytes(s.mask)), 'union mask');
    }
  }
});

test('images: S*S*3 values in [0,1]; ink brighter than background', () => {
  for (const split of SPLITS) {
    for (const s of scenes(split)) {
      assert.is(s.size, 64);
      assert.is(s.image.length, 64 * 64 * 3);
      const bg = [0, 0, 0];
      let nBg = 0;
      for (let p = 0; p < 64 * 64; p++) {
        if (!s.mask[p]) nBg++;
        for (let c = 0; c < 3; c++) {
          const v = s.image[p * 3 + c]!;
          assert.ok(v >= 0 && v <= 1, `value ${v}`);
          if (!s.mask[p]) bg[c] += v;
        }
      }
      // Each instance: its mean ink colour differs clearly from the mean background in some channel.
      for (const inst of s.instances) {
        const ink = [0, 0, 0];
        let n = 0;
        inst.mask.forEach((m, p) => { if (m) { n++; for (let c = 0; c < 3; c++) ink[c] += s.image[p * 3 + c]!; } });
        const contrast = Math.max(...[0, 1, 2].map((c) => ink[c]! / n - bg[c]! / nBg));
        assert.ok(contrast > 0.25, `scene ${s.index}: low contrast ${contrast}`);
      }
    }
  }
});

test('sources: train and test digits disjoint; instances of the label, clutter of other classes', () => {
  const used = { train: new Set<string>(), test: new Set<string>() };
  for (const split of SPLITS) {
    const pool = split === 'train' ? 'train' : 'test';
    for (const s of scenes(split)) {
      const ids = s.instances.map((i) => i.source.index);
      assert.is(new Set(ids).size, ids.length, 'an instance source repeats in a scene');
      for (const inst of s.instances) {
        assert.is(inst.source.label, s.label);
        assert.is(poolOf(inst.source), pool);
        used[pool].add(`${inst.source.label}:${inst.source.index}`);
      }
      for (const c of s.clutter) {
        assert.is.not(c.source.label, s.label);
        assert.is(poolOf(c.source), pool);
        used[pool].add(`${c.source.label}:${c.source.index}`);
      }
    }
  }
  assert.ok(used.train.size > 100 && used.test.size > 100);
  for (const k of used.test) assert.not.ok(used.train.has(k), `${k} used by train and test`);
});

test('options: size, no colour, no clutter, no noise; invalid options throw', () => {
  const s48 = generateScenes({ split: 'test-multi', count: 10, seed: 3, size: 48 });
  assert.ok(s48.every((s) => s.size === 48 && s.image.length === 48 * 48 * 3 && s.mask.length === 48 * 48));
  assert.ok(s48.every((s) => s.instances.every((i) => i.box.x1 <= 48 && i.box.y1 <= 48)));
  const plain = generateScenes({ split: 'train', count: 10, seed: 3, colour: false, clutter: 0, noise: 0 });
  for (const s of plain) {
    assert.is(s.clutter.length, 0);
    for (let p = 0; p < s.size * s.size; p++) {
      const r = s.image[p * 3]!, g = s.image[p * 3 + 1]!, b = s.image[p * 3 + 2]!;
      assert.ok(r === g && g === b, 'grey');
      if (!s.instances.some((i) => p % s.size >= i.rect.x0 && p % s.size < i.rect.x1 &&
          Math.floor(p / s.size) >= i.rect.y0 && Math.floor(p / s.size) < i.rect.y1)) assert.is(r, 0);
    }
  }
  const lots = generateScenes({ split: 'train', count: 10, seed: 3, clutter: [5, 5] });
  assert.ok(lots.reduce((a, s) => a + s.clutter.length, 0) >= 30);
  assert.throws(() => generateScenes({ split: 'val' as Split, count: 1, seed: 1 }), isInvalid);
  assert.throws(() => generateScenes({ split: 'train', count: 1, seed: 1.5 }), isInvalid);
  assert.throws(() => generateScenes({ split: 'train', count: -1, seed: 1 }), isInvalid);
  assert.throws(() => generateScenes({ split: 'train', count: 1, seed: 1, instances: [0, 2] }), isInvalid);
  assert.throws(() => generateScenes({ split: 'train', count: 1, seed: 1, size: 10 }), isInvalid);
  assert.throws(() => generateScenes({ split: 'train', count: 1, seed: 1, digitSize: [20, 10] }), isInvalid);
});

test('scenesToTensors: shapes, values, one-hot; no leaks', () => {
  const ss = scenes('test-multi').slice(0, 12);
  const before = tf.memory().numTensors;
  const { xs, ys } = scenesToTensors(ss);
  assert.equal(xs.shape, [12, 64, 64, 3]);
  assert.equal(ys.shape, [12, 10]);
  assert.is(xs.dtype, 'float32');
  const xd = xs.dataSync(), yd = ys.dataSync();
  ss.forEach((s, i) => {
    assert.ok(bytes(xd.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3) as Float32Array).equals(bytes(s.image)));
    for (let c = 0; c < 10; c++) assert.is(yd[i * 10 + c], c === s.label ? 1 : 0);
  });
  tf.dispose([xs, ys]);
  assert.is(tf.memory().numTensors, before);
  assert.throws(() => scenesToTensors([]), isInvalid);
});

test('sceneBatches: batch sizes, same scenes as generateScenes, tensors disposable', () => {
  const before = tf.memory().numTensors;
  const sizes: number[] = [];
  let k = 0;
  const ref = generateScenes({ split: 'train', count: 23, seed: 11 });
  for (const { xs, ys } of sceneBatches({ split: 'train', count: 23, seed: 11 }, 8)) {
    sizes.push(xs.shape[0]);
    const am = ys.argMax(-1);
    const labels = Array.from(am.dataSync());
    am.dispose();
    assert.equal(labels, ref.slice(k, k + xs.shape[0]).map((s) => s.label));
    assert.ok(bytes(xs.dataSync() as Float32Array).subarray(0, 64 * 64 * 3 * 4).equals(bytes(ref[k]!.image)));
    k += xs.shape[0];
    tf.dispose([xs, ys]);
  }
  assert.equal(sizes, [8, 8, 7]);
  // Endless when count is omitted.
  const it = sceneBatches({ split: 'train', seed: 1 }, 4);
  for (let i = 0; i < 3; i++) {
    const r = it.next();
    assert.not.ok(r.done);
    if (!r.done) tf.dispose([r.value.xs, r.value.ys]);
  }
  it.return();
  assert.is(tf.memory().numTensors, before);
});

test.run();
