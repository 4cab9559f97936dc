// Digit scenes at the paper's scale (224x224, issue 12): deterministic by seed, and digits large enough to span
// several cells of a 7x7 map (ResNet / EfficientNet at 224) and of VGG16's 14x14 block5_conv3 map.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { generateScenes, type Split } from '../src/data/index.js';

const test = suite('scenes at 224');
const S = 224, CELL7 = S / 7;
const digest = (split: Split, seed: number, start = 0) => {
  const h = createHash('sha256');
  for (const s of generateScenes({ split, count: 6, seed, size: S, start })) {
    h.update(new Uint8Array(s.image.buffer)); h.update(s.mask); h.update(JSON.stringify(s.instances.map((i) => i.box)));
  }
  return h.digest('hex');
};

test('byte-identical for a seed, whatever the batch; other seeds and splits differ', () => {
  for (const split of ['train', 'test-single', 'test-multi'] as const) {
    assert.is(digest(split, 20261201), digest(split, 20261201));
    assert.is.not(digest(split, 20261201), digest(split, 20261202));
  }
  const [a] = generateScenes({ split: 'test-multi', count: 1, seed: 5, size: S, start: 3 });
  const b = generateScenes({ split: 'test-multi', count: 4, seed: 5, size: S })[3]!;
  assert.equal(Buffer.from(a!.image.buffer), Buffer.from(b.image.buffer));
});

test('every instance spans about two cells or more of a 7x7 map (longer side >= 1.5 cells), inside the image', () => {
  for (const split of ['test-single', 'test-multi'] as const) {
    for (const s of generateScenes({ split, count: 40, seed: 7, size: S })) {
      assert.is(s.size, S);
      assert.is(s.image.length, S * S * 3);
      for (const { box } of s.instances) {
        const side = Math.max(box.x1 - box.x0, box.y1 - box.y0);
        assert.ok(side >= 1.5 * CELL7, `${split} #${s.index}: an instance of ${side} px`);
        assert.ok(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= S && box.y1 <= S);
      }
      const inst = split === 'test-single' ? [1, 1] : [2, 3];
      assert.ok(s.instances.length >= inst[0]! && s.instances.length <= inst[1]!);
    }
  }
});

test.run();
