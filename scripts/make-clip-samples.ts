// Renders a few moving-digit clips (src/data/clips.ts, test split: held-out MNIST writers) to animated GIFs
// for the demo and `gradcam-wasm explain --sample clip-...`, with their ground truth in clips.json: the
// label, per frame whether the target is visible, and per frame the boxes of the targets and distractors.
//
//   node --import tsx scripts/make-clip-samples.ts [--count 3] [--seed 5] [--out demo/samples/clips]
//
// The GIFs hold the clips' frames at 256 colours (one palette per clip); clips.json says how to regenerate
// the exact float frames (generateClip({ split, seed, frames, size }, index)).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateClips } from '../src/data/clips.js';
import { encodeGif } from '../src/node/animation.js';
import { clipFrameImages } from '../src/node/clip-samples.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const USAGE = 'usage: node --import tsx scripts/make-clip-samples.ts [--count 3] [--seed 5] [--out demo/samples/clips]';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '3' },
    seed: { type: 'string', default: '5' },
    out: { type: 'string', default: path.join(ROOT, 'demo', 'samples', 'clips') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) { console.log(USAGE); process.exit(0); }
const count = Number(values.count), seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || count > 10 || !Number.isInteger(seed)) {
  console.error(`make-clip-samples: --count must be an integer 1..10, --seed an integer.\n${USAGE}`);
  process.exit(2);
}
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.gif') || f === 'clips.json') rmSync(path.join(out, f));

const manifest: object[] = [];
for (const clip of generateClips({ split: 'test', count, seed })) {
  const file = `clip-${clip.index}-digit${clip.label}.gif`;
  writeFileSync(path.join(out, file), encodeGif(clipFrameImages(clip)));
  manifest.push({
    file, label: clip.label, split: clip.split, index: clip.index, seed, frames: clip.frameCount, size: clip.size,
    visible: clip.visible,
    targets: clip.targets.map((i) => i.boxes),
    distractors: clip.distractors.map((i) => i.boxes),
  });
}
writeFileSync(path.join(out, 'clips.json'), '{\n' +
  '  "generator": "scripts/make-clip-samples.ts: generateClip({split, seed, frames, size}, index) of src/data/clips.ts (held-out MNIST writers)",\n' +
  '  "boxes": "per instance, per frame: the box of its mask pixels inside the frame {x0, y0, x1, y1} (exclusive ends), null when none",\n' +
  '  "clips": [\n' + manifest.map((m) => '    ' + JSON.stringify(m)).join(',\n') + '\n  ]\n}\n');
console.log(`wrote ${manifest.length} clips and clips.json to ${path.relative(process.cwd(), out) || '.'}`);
