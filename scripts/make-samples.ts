// Renders a few digit scenes (src/data, test splits: held-out MNIST digits) to PNG for the demo and the
// CLI examples, with a manifest (samples.json: label, instance boxes, how to regenerate each one).
//
//   node --import tsx scripts/make-samples.ts [--size 64] [--count 3] [--seed 5] [--out demo/samples]
//
// --count scenes of each of test-single (one digit) and test-multi (2..3 digits of one class).
// Regenerate at the final model's input size (card.json inputShape) before committing.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateScenes, type Split } from '../src/data/index.js';
import { writeImage } from '../src/node/image-io.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const USAGE = 'usage: node --import tsx scripts/make-samples.ts [--size 64] [--count 3] [--seed 5] [--out demo/samples]';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    count: { type: 'string', default: '3' },
    seed: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(ROOT, 'demo', 'samples') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) { console.log(USAGE); process.exit(0); }
const size = Number(values.size), count = Number(values.count), seed = Number(values.seed);
if (!Number.isInteger(size) || size < 24 || !Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error(`make-samples: --size must be an integer >= 24, --count >= 1, --seed an integer.\n${USAGE}`);
  process.exit(2);
}
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.png') || f === 'samples.json') rmSync(path.join(out, f));

const manifest: object[] = [];
for (const split of ['test-single', 'test-multi'] as Split[]) {
  for (const scene of generateScenes({ split, count, seed, size })) {
    const n = size * size;
    const rgba = new Uint8ClampedArray(n * 4);
    for (let p = 0; p < n; p++) {
      for (let k = 0; k < 3; k++) rgba[p * 4 + k] = Math.round(scene.image[p * 3 + k] * 255);
      rgba[p * 4 + 3] = 255;
    }
    const file = `${split}-${scene.index}-digit${scene.label}.png`;
    writeImage(path.join(out, file), { data: rgba, width: size, height: size });
    manifest.push({
      file, label: scene.label, split, index: scene.index, seed, size,
      instances: scene.instances.map((i) => i.box),
    });
  }
}
writeFileSync(path.join(out, 'samples.json'), '{\n' +
  '  "generator": "scripts/make-samples.ts: generateScenes({split, seed, size}) of src/data (held-out MNIST digits)",\n' +
  '  "samples": [\n' + manifest.map((m) => '    ' + JSON.stringify(m)).join(',\n') + '\n  ]\n}\n');
console.log(`wrote ${manifest.length} samples (${size}x${size}) and samples.json to ${path.relative(process.cwd(), out) || '.'}`);
