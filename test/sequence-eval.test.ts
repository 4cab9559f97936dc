// The clip evaluation (src/eval/sequences.ts, sequences-report.ts) on a tiny random ConvLSTM: every record holds the
// metrics in range, the temporal share is the profile over the visible frames, the run is deterministic (timings
// aside), and the Markdown section carries both tables and the command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { useWasmBackend } from '../src/backend/index.js';
import { generateClip } from '../src/data/clips.js';
import { evaluateClips, frameMetrics, type ClipRecord } from '../src/eval/sequences.js';
import { CLIP_METRICS, clipsMarkdown, summarizeClips } from '../src/eval/sequences-report.js';
import { buildConvLstm } from '../src/models/index.js';
import { explainSequence } from '../src/sequence/index.js';
import * as tf from '@tensorflow/tfjs';

const TIMING = new Set(['ms', 'forwardMs', 'gradientsMs', 'mapsMs']);
const strip = (r: ClipRecord[]) => r.map((x) => ({ ...x, methods: Object.fromEntries(Object.entries(x.methods).map(([m, v]) =>
  [m, Object.fromEntries(Object.entries(v!).filter(([k]) => !TIMING.has(k)))])) }));

test('evaluateClips: records, the temporal share, determinism, summary and Markdown', async () => {
  await useWasmBackend();
  const model = buildConvLstm({ inputShape: [4, 32, 32, 3], width: 0.5, classes: 10, seed: 3 });
  const opts = { split: 'test' as const, n: 3, seed: 77, methods: ['gradcam', 'gradcam++'] as const };
  const before = tf.memory().numTensors;
  const records = await evaluateClips(model, { ...opts, methods: [...opts.methods] });
  assert.is(tf.memory().numTensors, before);
  assert.is(records.length, 3);
  for (const r of records) {
    assert.is(r.layer, 'convlstm');
    assert.ok(r.y > 0 && r.y <= 1);
    const clip = generateClip({ split: 'test', seed: 77, frames: 4, size: 32 }, r.index);
    assert.is(r.label, clip.label);
    assert.is(r.visibleFrames, clip.visible.filter(Boolean).length);
    const e = await explainSequence(model, tf.tensor4d(clip.frames, [4, 32, 32, 3]), { method: 'gradcam', target: r.predicted });
    const share = clip.visible.reduce((s, v, t) => s + (v ? e.profile[t] : 0), 0);
    for (const m of opts.methods) {
      const v = r.methods[m]!;
      assert.ok(v.drop >= 0 && v.drop <= 100 && (v.increase === 0 || v.increase === 100) && v.win >= 0 && v.win <= 100, m);
      assert.ok(v.temporal >= 0 && v.temporal <= 1 + 1e-6, m);
      assert.is(v.chance, r.visibleFrames / 4);
      if (r.correct) for (const k of ['ebpg', 'loc@0', 'iou@2']) assert.ok(v[k] >= 0 && v[k] <= 1, `${m} ${k}`);
      else assert.is(v.ebpg, undefined);
    }
    assert.ok(Math.abs(r.methods.gradcam!.temporal - share) < 1e-6);
    assert.is(r.methods.gradcam!.win + r.methods['gradcam++']!.win, 100);
  }
  const again = await evaluateClips(model, { ...opts, methods: [...opts.methods] });
  assert.equal(strip(again), strip(records));
  const s = summarizeClips(records, opts.methods, [['gradcam++', 'gradcam']]);
  assert.is(s.n, 3);
  assert.ok(Math.abs(s.methods.gradcam!.drop.mean - records.reduce((x, r) => x + r.methods.gradcam!.drop, 0) / 3) < 1e-9);
  assert.ok(Math.abs(s.pairs[0].diffs.drop.mean - (s.methods['gradcam++']!.drop.mean - s.methods.gradcam!.drop.mean)) < 1e-9);
  const md = clipsMarkdown(s, { model: 'tiny', split: 'test', seed: 77, command: 'node --import tsx scripts/eval-clips.ts', titles: { gradcam: 'Grad-CAM', 'gradcam++': 'Grad-CAM++' } });
  assert.match(md, /^## Sequences \(ConvLSTM\)/);
  assert.match(md, /target layer `convlstm`; 3 clips/);
  assert.match(md, /\| metric \| Grad-CAM \| Grad-CAM\+\+ \|/);
  assert.match(md, /Paired differences Grad-CAM\+\+ − Grad-CAM/);
  assert.match(md, /`node --import tsx scripts\/eval-clips.ts`/);
  for (const k of CLIP_METRICS.filter((m) => m.scope === 'all')) assert.ok(md.includes(k.title), k.title);
  model.dispose();
});

test('frameMetrics: a heatmap equal to the target mask scores EBPG 1 and IoU 1; its negation scores 0; normalised per frame', () => {
  const clip = generateClip({ split: 'test', seed: 77, frames: 10, size: 64 }, 0);
  const t = clip.visible.indexOf(true);
  const mask = clip.targets[0].masks[t];
  const scaled = Float32Array.from(mask, (v) => 0.2 * v);   // per-frame normalisation makes the peak 1
  const v = frameMetrics(clip, t, scaled);
  assert.is(v.ebpg, 1);
  assert.is(v['iou@0'], 1);
  assert.is(v['iou@2'], 1);
  const box = clip.targets[0].boxes[t]!;
  const boxArea = (box.x1 - box.x0) * (box.y1 - box.y0), ink = mask.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(v['loc@0'] - ink / boxArea) < 1e-9);
  const off = frameMetrics(clip, t, Float32Array.from(mask, (x) => 1 - x));
  assert.ok(off.ebpg < 0.5 && off['iou@2'] === 0);
});

test.run();
