// Heatmap agreement with pytorch-grad-cam on the same weights (a machine check, never part of CI).
// Needs Debian's python3-torch, python3-opencv, python3-tqdm and a checkout of pytorch-grad-cam (and ttach):
//   PGC_DIR=/path/pytorch-grad-cam TTACH_DIR=/path/ttach node --import tsx bench/peer/agreement.ts
// A small CNN whose targets have convolutions after them (so g varies over space and the methods differ);
// both heatmaps min-max normalised, then the max |difference| per method and layer. Results: bench/results/peer-agreement.md
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExplainer, useWasmBackend, METHOD_NAMES } from '../../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZE = 32, CLASSES = 5;
const LAYERS = [
  { type: 'conv', name: 'c1', filters: 8, relu: true }, { type: 'maxpool', name: 'p1' },
  { type: 'conv', name: 'c2', filters: 16, relu: true }, { type: 'conv', name: 'c3', filters: 16, relu: true },
  { type: 'maxpool', name: 'p2' }, { type: 'conv', name: 'c4', filters: 16, relu: true },
  { type: 'gap', name: 'gap' }, { type: 'dense', name: 'logits', units: CLASSES },
] as const;
const TARGETS = ['c2', 'c3', 'c4'];
const PEER_METHODS = ['gradcam', 'gradcam++', 'xgradcam', 'hirescam', 'layercam', 'gradcam-elementwise', 'eigencam', 'scorecam'];

function buildModel(): tf.Sequential {
  const m = tf.sequential();
  let seed = 7;
  for (const [i, l] of LAYERS.entries()) {
    const first = i === 0 ? { inputShape: [SIZE, SIZE, 3] } : {};
    if (l.type === 'conv') m.add(tf.layers.conv2d({ ...first, name: l.name, filters: l.filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) }));
    if (l.type === 'maxpool') m.add(tf.layers.maxPooling2d({ name: l.name, poolSize: 2 }));
    if (l.type === 'gap') m.add(tf.layers.globalAveragePooling2d({ name: l.name }));
    if (l.type === 'dense') m.add(tf.layers.dense({ name: l.name, units: l.units, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) }));
  }
  for (const layer of m.layers) {
    const w = layer.getWeights();
    if (w.length === 2) layer.setWeights([w[0]!, tf.randomUniform(w[1]!.shape, -0.1, 0.1, 'float32', seed++)]);
  }
  return m;
}

function minmax(a: ArrayLike<number>): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) { lo = Math.min(lo, a[i]!); hi = Math.max(hi, a[i]!); }
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = hi > lo ? (a[i]! - lo) / (hi - lo) : 0;
  return out;
}

await useWasmBackend();
const model = buildModel();
const input = tf.randomUniform([SIZE, SIZE, 3], 0, 1, 'float32', 11) as tf.Tensor3D;
const methods = PEER_METHODS.filter((m) => (METHOD_NAMES as readonly string[]).includes(m));
const ours: Record<string, Float32Array> = {};
let classIndex = -1, logits: Float32Array | null = null;
for (const layer of TARGETS) {
  const ex = await createExplainer(model, { layer });
  const [r] = await ex.explain(input, { methods: methods as never });
  classIndex = r!.explanations[0]!.classIndex; logits = r!.logits;
  for (const e of r!.explanations) ours[`${layer}|${e.method}`] = e.heatmap;
  ex.dispose();
}
const spec = {
  inputShape: [SIZE, SIZE, 3], input: Array.from(input.dataSync()), classIndex,
  methods: methods.includes('gradcam++') ? [...methods, 'gradcam++ (peer without its eps)'] : methods, targets: TARGETS.map((t) => `${t}/relu`),
  layers: LAYERS.map((l) => {
    const layer = model.getLayer(l.name);
    const w = layer.getWeights();
    return { ...l, ...(w.length ? { kernel: Array.from(w[0]!.dataSync()), kernelShape: w[0]!.shape, bias: Array.from(w[1]!.dataSync()) } : {}) };
  }),
};
const dir = mkdtempSync(path.join(tmpdir(), 'pgc-'));
writeFileSync(path.join(dir, 'in.json'), JSON.stringify(spec));
// Debian's python3 holds python3-torch; a pyenv python3 earlier on PATH does not: PYTHON overrides.
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
execFileSync(python, [path.join(here, 'pgc_maps.py'), path.join(dir, 'in.json'), path.join(dir, 'out.json')], { stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: '1' } });
const peer = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { logits: number[]; maps: Record<string, number[]> };
const logitDiff = Math.max(...peer.logits.map((v, i) => Math.abs(v - logits![i]!)));
const rows: string[] = [];
for (const layer of TARGETS) {
  for (const m of methods) {
    for (const peerName of m === 'gradcam++' ? [m, 'gradcam++ (peer without its eps)'] : [m]) {
    const a = ours[`${layer}|${m}`], b = peer.maps[`${layer}/relu|${peerName}`];
    if (!a || !b) continue;
    const x = minmax(a), y = minmax(b);
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
    rows.push(`| ${layer} | ${peerName === m ? m : `${m} vs ${peerName}`} | ${d.toExponential(2)} | ${d <= 2e-3 ? 'yes' : 'no'} |`);
    }
  }
}
const md = [
  '# Heatmap agreement with pytorch-grad-cam', '',
  `Command: \`PGC_DIR=... TTACH_DIR=... node --import tsx bench/peer/agreement.ts\` (${new Date().toISOString().slice(0, 10)}; torch from Debian, one thread).`,
  `Model: conv(8) → maxpool → conv(16) c2 → conv(16) c3 → maxpool → conv(16) c4 → GAP → dense(5), input ${SIZE}x${SIZE}x3 uniform [0,1], class ${classIndex}; max |logit difference| ${logitDiff.toExponential(2)}.`,
  'Both heatmaps min-max normalised; max |difference| over the 32x32 heatmap; goal ≤ 2e-3.', '',
  '| layer | method | max abs diff | ≤ 2e-3 |', '|---|---|---|---|', ...rows, '',
].join('\n');
mkdirSync(path.join(here, '..', 'results'), { recursive: true });
writeFileSync(path.join(here, '..', 'results', 'peer-agreement.md'), md);
console.log(md);
