/**
 * Clips in and animations out: readClip (a folder of frames, an animated GIF with frame disposal), the
 * sequence figures (GIF that decodes back, still sheet), the bundled sample clips, and
 * `gradcam-wasm explain --clip` end to end with a tiny random-weights ConvLSTM (no training needed), with
 * its typed, one-line errors (empty folder, mixed sizes, not a GIF, a clip of the wrong length, an image model).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { GifWriter } from 'omggif';
import { useWasmBackend, InvalidInputError } from '../src/index.js';
import { buildConvLstm } from '../src/models/convlstm.js';
import { saveModel, encodePng, type RgbaImage } from '../src/node/index.js';
import { readClip, decodeGif } from '../src/node/clip-io.js';
import { encodeGif, sequencePanels, sequenceSheet, sequenceFigure } from '../src/node/animation.js';
import { clipSamples, clipSample, clipFrameImages } from '../src/node/clip-samples.js';
import { generateClip } from '../src/data/clips.js';
import { main } from '../src/cli/index.js';
import { CLIP_MODEL } from '../src/cli/explain-clip.js';
import { builtinModels } from '../src/node/zoo.js';
import { ensureStandin } from '../scripts/make-standin.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradcam-clip-'));
const TSX = import.meta.resolve('tsx');
const T = 10, S = 64;

// a tiny random-weights ConvLSTM (8 channels) for the command line, and a clip for it
await useWasmBackend();
const modelDir = path.join(tmp, 'convlstm-tiny');
{
  const m = buildConvLstm({ width: 0.25, seed: 3, inputShape: [T, S, S, 3] });
  await saveModel(m, modelDir);
  m.dispose();
}
const gif = path.join(tmp, 'clip.gif');
copyFileSync(clipSamples()[0]!.path, gif);

/** A frame of one colour per 8x8 block (few colours: a GIF keeps them exactly). */
function frame(t: number, w = S, h = S): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4, b = ((x >> 3) + (y >> 3) + t) % 4;
    data[i] = b * 80; data[i + 1] = 255 - b * 60; data[i + 2] = t * 20; data[i + 3] = 255;
  }
  return { data, width: w, height: h };
}

function writeFolder(dir: string, frames: RgbaImage[], name = (t: number) => `f${t}.png`): string {
  mkdirSync(dir, { recursive: true });
  frames.forEach((f, t) => writeFileSync(path.join(dir, name(t)), encodePng(f)));
  return dir;
}

const unit = suite('clip files and sequence figures');

unit('a folder of frames: sorted by name with numbers as numbers (f2 before f10), RGBA of one size', () => {
  const dir = writeFolder(path.join(tmp, 'folder'), Array.from({ length: 12 }, (_, t) => frame(t)));
  const c = readClip(dir);
  assert.is(c.kind, 'folder');
  assert.is(c.frames.length, 12);
  assert.equal(c.files.slice(0, 3), ['f0.png', 'f1.png', 'f2.png']);
  assert.is(c.files[11], 'f11.png');
  assert.equal(Array.from(c.frames[10]!.data.slice(0, 8)), Array.from(frame(10).data.slice(0, 8)));
});

unit('encodeGif -> decodeGif: T frames of the size, few-colour pixels exact, delays kept', () => {
  const frames = Array.from({ length: T }, (_, t) => frame(t));
  const c = decodeGif(encodeGif(frames, { delayMs: 200 }));
  assert.is(c.frames.length, T);
  assert.equal([c.width, c.height], [S, S]);
  assert.equal(c.delaysMs, Array(T).fill(200));
  for (let t = 0; t < T; t++) assert.equal(Array.from(c.frames[t]!.data), Array.from(frames[t]!.data), `frame ${t}`);
});

unit('GIF frame disposal: partial frames composited (keep, clear to background, restore previous)', () => {
  const buf = new Uint8Array(4096);
  const w = new GifWriter(buf, 4, 4, { palette: [0x000000, 0xff0000, 0x00ff00, 0x0000ff], loop: 0 });
  w.addFrame(0, 0, 4, 4, Array(16).fill(1), { delay: 5 });                 // red everywhere, kept
  w.addFrame(0, 0, 2, 2, [2, 2, 2, 2], { delay: 5, disposal: 3 });          // green top-left, then restored
  w.addFrame(2, 2, 2, 2, [3, 3, 3, 3], { delay: 5, disposal: 2 });          // blue bottom-right, then cleared
  w.addFrame(0, 0, 1, 1, [2], { delay: 5 });
  const c = decodeGif(buf.subarray(0, w.end()));
  const px = (t: number, x: number, y: number) => Array.from(c.frames[t]!.data.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
  assert.equal(px(1, 0, 0), [0, 255, 0]);
  assert.equal(px(2, 0, 0), [255, 0, 0], 'frame 2 sees frame 1 restored (disposal 3)');
  assert.equal(px(2, 3, 3), [0, 0, 255]);
  assert.equal(px(3, 3, 3), [0, 0, 0], 'frame 3 sees the blue rectangle cleared (disposal 2)');
  assert.equal(px(3, 0, 0), [0, 255, 0]);
  assert.equal(px(3, 1, 1), [255, 0, 0]);
  assert.is(c.delaysMs[0], 50);
});

unit('bad clips: typed errors that say what to give', () => {
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  writeFileSync(path.join(empty, 'notes.txt'), 'no frames here');
  const mixed = writeFolder(path.join(tmp, 'mixed'), [frame(0), frame(1, 32, 32)]);
  const notGif = path.join(tmp, 'not.gif');
  writeFileSync(notGif, encodePng(frame(0)));
  const broken = path.join(tmp, 'broken.gif');
  const whole = encodeGif([frame(0), frame(1)]);
  writeFileSync(broken, whole.subarray(0, whole.length - 100));
  const headerOnly = path.join(tmp, 'header.gif');
  writeFileSync(headerOnly, Buffer.from('GIF89a\x01'));
  const cases: [() => unknown, RegExp][] = [
    [() => readClip(path.join(tmp, 'nope')), /No clip at .*nope; give a folder of PNG\/JPEG frames or an animated \.gif/],
    [() => readClip(empty), /holds no frames \(\.png, \.jpg or \.jpeg files\)/],
    [() => readClip(mixed), /must have one size: f1\.png is 32x32, f0\.png is 64x64/],
    [() => readClip(notGif), /is not a GIF; give an animated \.gif or a folder/],
    [() => readClip(broken), /is not a readable GIF/],
    [() => readClip(headerOnly), /holds no frames/],
    [() => decodeGif(encodeGif([frame(0), frame(1), frame(2)]), 'x.gif', { frames: 2, what: 'the model m' }),
      /x\.gif has 3 frames, but the model m takes clips of exactly T = 2 frames .*first 2/],
  ];
  for (const [f, re] of cases) {
    try {
      f();
      assert.unreachable(`no error for ${re}`);
    } catch (e) {
      assert.instance(e, InvalidInputError, String(e));
      assert.match((e as Error).message, re);
    }
  }
});

unit('figures: panels and sheet sizes, profile bars drawn, the highlighted bar moves; mismatches are typed errors', async () => {
  const frames = Array.from({ length: 4 }, (_, t) => frame(t, 16, 16));
  const heatmaps = frames.map((_, t) => Float32Array.from({ length: 256 }, (_, i) => ((i + t * 16) % 256) / 255));
  const maps = { heatmaps, profile: Float32Array.of(0.1, 0.2, 0.3, 0.4), width: 16, height: 16 };
  const panels = await sequencePanels(frames, maps, { scale: 2, visible: [false, true, true, false] });
  assert.is(panels.length, 4);
  assert.equal([panels[0]!.width, panels[0]!.height], [2 * 32 + 4, 32 + 8 + 16 + 2 + 2 + 4]);
  const blue = (img: RgbaImage) => { let n = 0; for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === 10 && img.data[i + 1] === 102 && img.data[i + 2] === 194) n++; return n; };
  assert.ok(blue(panels[3]!) > blue(panels[0]!), 'the highlighted bar is the current frame\'s (frame 4 has the tallest)');
  const sheet = await sequenceSheet(frames, maps, { scale: 2 });
  assert.is(sheet.width, 4 * 32 + 3 * 4);
  const gif = await sequenceFigure('gif', frames, maps, { delayMs: 100 });
  assert.is(decodeGif(gif.bytes).frames.length, 4);
  const bad: [unknown, RegExp][] = [
    [{ ...maps, profile: Float32Array.of(1, 2) }, /4 frames but the explanation has 4 heatmaps and 2 profile values/],
    [{ ...maps, width: 8 }, /Frame 1 is 16x16 but the heatmaps are 8x16/],
    [{ ...maps, profile: Float32Array.of(0, NaN, 0, 0) }, /profile\[1\] is NaN/],
  ];
  for (const [m, re] of bad) {
    try {
      await sequencePanels(frames, m as typeof maps);
      assert.unreachable(String(re));
    } catch (e) {
      assert.instance(e, InvalidInputError);
      assert.match((e as Error).message, re);
    }
  }
});

unit('the bundled sample clips: GIFs of the manifest\'s frames, size and ground truth; they match the generator', () => {
  const samples = clipSamples();
  assert.ok(samples.length >= 1 && samples.length <= 3, `${samples.length} sample clips`);
  for (const s of samples) {
    const c = readClip(s.path);
    assert.equal([c.frames.length, c.width, c.height], [s.frames, s.size, s.size], s.file);
    assert.is(s.visible.length, s.frames);
    assert.ok(s.visible.some(Boolean) && !s.visible.every(Boolean), `${s.file}: the target is visible in part of the clip`);
    assert.ok(s.targets.every((b) => b.length === s.frames) && s.distractors.every((b) => b.length === s.frames));
    // the GIF holds the generated clip at 256 colours: close to the floats, not equal
    const g = clipFrameImages(generateClip({ split: s.split as 'test', seed: s.seed, frames: s.frames, size: s.size }, s.index));
    let err = 0;
    for (let t = 0; t < s.frames; t++) for (let i = 0; i < g[t]!.data.length; i++) err += Math.abs(g[t]!.data[i]! - c.frames[t]!.data[i]!);
    assert.ok(err / (s.frames * S * S * 4) < 6, `${s.file}: mean |GIF - generated| = ${(err / (s.frames * S * S * 4)).toFixed(2)} levels`);
    assert.is(generateClip({ split: 'test', seed: s.seed }, s.index).label, s.label);
  }
  assert.is(clipSample(samples[0]!.file).file, samples[0]!.file);
  assert.throws(() => clipSample('clip-99'), /No sample clip named "clip-99"; the sample clips are: clip-/);
});


// ---- the command line ---------------------------------------------------------------------------------

const cli = suite('gradcam-wasm explain --clip');


function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'src', 'cli', 'index.ts'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function inProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const [o, e, log] = [process.stdout.write, process.stderr.write, console.log];
  process.stdout.write = ((c: string | Uint8Array) => { out += String(c); return true; }) as typeof o;
  process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof e;
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try {
    return { code: await main(args), out, err };
  } finally {
    [process.stdout.write, process.stderr.write, console.log] = [o, e, log];
  }
}

function oneLineError(r: { code: number; err: string }, code: number, re: RegExp, what: string): void {
  assert.is(r.code, code, `${what}: exit code ${r.code}; stderr ${r.err}`);
  const lines = r.err.trimEnd().split('\n');
  assert.is(lines.length, 1, `${what}: one line on stderr, got:\n${r.err}`);
  assert.match(lines[0]!, re, `${what}: ${lines[0]}`);
}

cli('a GIF clip -> an animated GIF of T frames (frame | overlay over the profile) that decodes back; class and profile printed', () => {
  const out = path.join(tmp, 'out', 'clip-out.gif');
  const r = run('explain', '--clip', gif, '--model', modelDir, '--method', 'gradcam++', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.is(r.err, '');
  assert.match(r.out, /^explained: class \d+ \(p = [\d.]+, logit -?[\d.]+\) at layer convlstm \(10 x 16x16\) with Grad-CAM\+\+$/m);
  const profile = [...r.out.matchAll(/^ {2}frame +(\d+) +([\d.]+) #*$/gm)];
  assert.is(profile.length, T, r.out);
  const sum = profile.reduce((s, m) => s + Number(m[2]), 0);
  assert.ok(Math.abs(sum - 1) < 0.01, `the printed profile sums to 1 (${sum})`);
  const c = readClip(out);
  assert.is(c.frames.length, T);
  assert.equal([c.width, c.height], [2 * S * 4 + 8, S * 4 + 16 + 64 + 5 + 2 + 8]);
  assert.match(r.out, new RegExp(`^wrote .*clip-out\\.gif \\(animated GIF: ${T} frames of ${c.width}x${c.height}, 300 ms each`, 'm'));
});

cli('a folder of frames and --out .png (still sheet); --class and --method gradcam are used', async () => {
  const dir = writeFolder(path.join(tmp, 'frames'), readClip(gif).frames, (t) => `frame-${t + 1}.png`);
  const out = path.join(tmp, 'sheet.png');
  const before = tf.memory().numTensors;
  const r = await inProcess('explain', '--clip', dir, '--model', modelDir, '--method', 'gradcam', '--class', '4', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^explained: class 4 .* with Grad-CAM$/m);
  assert.match(r.out, /\(folder\)$/m);
  const sheet = readFileSync(out);
  assert.is(sheet.readUInt32BE(16), T * S * 2 + (T - 1) * 4, 'sheet width: T frames of 128 px, 4 px apart');
  assert.is(tf.memory().numTensors, before, 'no tensor left behind');
});

cli('--sample clip-...: the bundled clip, with its ground truth line and the visible frames marked', async () => {
  const s = clipSamples()[0]!;
  const r = await inProcess('explain', '--sample', s.file.replace('.gif', ''), '--model', modelDir);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^ground truth: class ${s.label} \\(predicted (right|WRONG)\\); target visible in frames [\\d, -]+; share of the map there: [\\d.]+$`, 'm'));
  const marked = [...r.out.matchAll(/^ {2}frame +(\d+)\* /gm)].map((m) => Number(m[1]) - 1);
  assert.equal(marked, s.visible.flatMap((v, t) => (v ? [t] : [])));
});

cli('user errors: one line on stderr, exit 1 (bad input) or 2 (command line), no tensor left behind', async () => {
  const long = path.join(tmp, 'long.gif');
  writeFileSync(long, encodeGif(Array.from({ length: 12 }, (_, t) => frame(t))));
  const empty = path.join(tmp, 'empty-frames');
  mkdirSync(empty);
  const mixed = writeFolder(path.join(tmp, 'mixed-frames'), Array.from({ length: T }, (_, t) => frame(t, t === 5 ? 32 : S, t === 5 ? 32 : S)));
  const notGif = path.join(tmp, 'text.gif');
  writeFileSync(notGif, 'hello');
  const image = await ensureStandin();
  const before = tf.memory().numTensors;
  const cases: [string, string[], number, RegExp][] = [
    ['too many frames', ['--clip', long, '--model', modelDir], 1, /has 12 frames, but the model convlstm-tiny takes clips of exactly T = 10 frames/],
    ['empty folder', ['--clip', empty, '--model', modelDir], 1, /holds no frames/],
    ['mixed sizes', ['--clip', mixed, '--model', modelDir], 1, /must have one size: f5\.png is 32x32, f0\.png is 64x64/],
    ['not a gif', ['--clip', notGif, '--model', modelDir], 1, /text\.gif is not a GIF/],
    ['an image model', ['--clip', gif, '--model', image], 1, /takes inputs \[\d+, \d+, 3\], not clips \[T, H, W, C\]: explain its images with --image/],
    ['a clip model given an image', ['--model', modelDir, '--sample', 'test-single-0-digit4'], 1, /convlstm-tiny is a clip model \(input \[T, H, W, C\] = \[10, 64, 64, 3\]\): explain a clip with --clip/],
    ['unknown sample', ['--sample', 'clip-99'], 1, /No sample named "clip-99"; the samples are: test-.*; the sample clips are: clip-0-/],
    ['two methods', ['--clip', gif, '--model', modelDir, '--method', 'gradcam,gradcam++'], 2, /give one --method/],
    ['a multi-pass method', ['--clip', gif, '--model', modelDir, '--method', 'scorecam'], 1, /not available for sequences/],
    ['--out .jpg', ['--clip', gif, '--model', modelDir, '--out', 'x.jpg'], 2, /--out must name a \.gif .* or a \.png/],
    ['--clip and --image', ['--clip', gif, '--image', 'x.png'], 2, /give --image or --clip, not both/],
    ['class out of range', ['--clip', gif, '--model', modelDir, '--class', '10'], 1, /out of range/],
    ['unknown layer', ['--clip', gif, '--model', modelDir, '--layer', 'nope'], 1, /No usable target layer named "nope"/],
  ];
  for (const [what, args, code, re] of cases) oneLineError(await inProcess('explain', ...args), code, re, what);
  assert.is(tf.memory().numTensors, before, 'no tensor left behind on the error paths');
});

cli(`no --model: the bundled ${CLIP_MODEL} when it is installed, else a usage error that says so`, async () => {
  const r = await inProcess('explain', '--clip', gif);
  if (builtinModels().some((m) => m.name === CLIP_MODEL)) {
    assert.is(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^model: ${CLIP_MODEL} `, 'm'));
  } else {
    oneLineError(r, 2, /--model is required: the bundled clip model convlstm-clips is not installed/, 'no clip model');
  }
});

cli('the clip example of explain --help runs as written (with --model added when convlstm-clips is not installed)', async () => {
  const help = (await inProcess('explain', '--help')).out;
  for (const s of clipSamples()) assert.ok(help.includes(s.file.replace('.gif', '')), `--help lists the sample clip ${s.file}`);
  const example = /^Clip example.*:\n\s+gradcam-wasm (explain .*)$/m.exec(help);
  assert.ok(example, 'a clip example in explain --help');
  const args = example![1]!.split(/\s+/);
  if (!builtinModels().some((m) => m.name === CLIP_MODEL)) args.push('--model', modelDir);
  const r = run(...args); // cwd: the temp folder
  assert.is(r.code, 0, r.err);
  assert.is(readClip(path.join(tmp, 'clip.gif')).frames.length, T, 'the example wrote clip.gif');
});

cli.after(() => rmSync(tmp, { recursive: true, force: true }));
unit.run();
cli.run();
