/**
 * BatchNorm folding (src/plan/fold.ts): the folded plan computes the model's function. On the five backbones
 * (with random, non-trivial BatchNorm statistics: the freshly built ones are the identity) and on nsfwjs's
 * pretrained MobileNetV2: target activations, logits, head gradients and maps equal the unfolded layers' within
 * 1e-4 (relative to the largest magnitude), the logits equal model.predict's, no tensor leaks, and the model's
 * weights are untouched. A weight changed after the split is picked up. Chains that must not fold do not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createExplainer, explainWasm, InvalidInputError, useWasmBackend } from '../src/index.js';
import { BACKBONE_NAMES, buildBackbone } from '../src/models/index.js';
import { candidateLayers, makePlan, type Plan } from '../src/plan/plan.js';
import { runHeadWithGrad } from '../src/plan/pass.js';
import { Rng } from '../src/rng.js';
import { rejects } from './helpers/rejects.js';

await useWasmBackend();
const TOL = 1e-4;

/** max |a - b| / max(1, max |b|): absolute for values of order 1, relative where they are large. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let d = 0, m = 1;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
}

/** Random moving mean / variance, gamma, beta in every BatchNormalization layer. */
function randomizeBatchNorm(model: tf.LayersModel, seed: number): number {
  const r = new Rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r.next();
  let n = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    n++;
    const next = layer.weights.map((w) => {
      const size = (w.shape as number[]).reduce((a, b) => a * b, 1);
      const [lo, hi] = /gamma/.test(w.name) ? [0.5, 1.5] : /beta/.test(w.name) ? [-0.3, 0.3]
        : /moving_mean/.test(w.name) ? [-0.3, 0.3] : [0.5, 2];
      return tf.tensor(Float32Array.from({ length: size }, () => u(lo, hi)), w.shape as number[]);
    });
    layer.setWeights(next);
    tf.dispose(next);
  }
  return n;
}

const snapshot = (model: tf.LayersModel) => model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());

function compare(model: tf.LayersModel, layer: string | undefined, x: tf.Tensor4D, what: string, grads = true): number {
  const folded = makePlan(model, layer);
  const plain = makePlan(model, layer, { foldBatchNorm: false });
  try {
    const bf = folded.body(x), bp = plain.body(x);
    try {
      assert.ok(relErr(bf.a.dataSync(), bp.a.dataSync()) < TOL, `${what}: target activations`);
      const lf = tf.tidy(() => folded.head(bf, bf.a).dataSync()), lp = tf.tidy(() => plain.head(bp, bp.a).dataSync());
      assert.ok(relErr(lf, lp) < TOL, `${what}: logits ${relErr(lf, lp)}`);
      if (grads) {
        const gf = runHeadWithGrad(folded, bf, 0), gp = runHeadWithGrad(plain, bp, 0);
        const e = relErr(gf.grad!.dataSync(), gp.grad!.dataSync());
        tf.dispose([gf.grad!, gp.grad!]);
        assert.ok(e < TOL, `${what}: head gradient ${e}`);
      }
      return relErr(lf, lp);
    } finally {
      bf.dispose();
      bp.dispose();
    }
  } finally {
    folded.dispose?.();
    plain.dispose?.();
  }
}

function headFolds(p: Plan): number {
  return p.foldedBatchNorms ?? 0;
}

for (const name of BACKBONE_NAMES) {
  test(`${name}: folded body, head and maps equal the layers' within ${TOL} (random BatchNorm statistics)`, async () => {
    const model = buildBackbone(name, { width: 0.25, inputShape: [64, 64, 3], classes: 10, head: 'gap', seed: 3 });
    const bns = randomizeBatchNorm(model, 7);
    const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const weights = snapshot(model);
    const before = tf.memory().numTensors;
    const plan = makePlan(model);
    assert.is(headFolds(plan), name === 'vgg16' ? 0 : bns, `${name}: every BatchNormalization folds`);
    plan.dispose?.();
    assert.is(tf.memory().numTensors, before, 'the folded weights are freed with the plan');
    compare(model, undefined, x, `${name} (default target)`);
    // a target earlier in the network: the head has conv -> BN -> activation chains too
    const layers = candidateLayers(model);
    compare(model, layers[Math.floor(layers.length * 0.8)], x, `${name} at ${layers[Math.floor(layers.length * 0.8)]}`);
    // the logits are the model's (its softmax undone: compare probabilities)
    const p = makePlan(model);
    const b = p.body(x);
    const probs = tf.tidy(() => tf.softmax(p.head(b, b.a)).dataSync());
    const pred = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    b.dispose();
    p.dispose?.();
    assert.ok(relErr(probs, pred) < TOL, `${name}: softmax(logits) = model.predict`);
    // the maps of the explainers, folded and not
    const [ef, ep] = [await createExplainer(model), await createExplainer(model, { foldBatchNorm: false })];
    const [rf] = await ef.explain(x, { methods: ['gradcam', 'gradcam++'], classIndex: 3 });
    const [rp] = await ep.explain(x, { methods: ['gradcam', 'gradcam++'], classIndex: 3 });
    for (const e of rf.explanations) assert.ok(relErr(e.cam, rp.get(e.method)!.cam) < TOL, `${name} ${e.method}: maps`);
    ef.dispose();
    ep.dispose();
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    const after = snapshot(model);
    assert.ok(after.every((w, i) => w.length === weights[i].length && w.every((v, j) => Object.is(v, weights[i][j]))), 'model weights untouched');
    x.dispose();
    model.dispose();
  });
}

function loadNsfwMobileNetV2(): Promise<tf.LayersModel> {
  const require = createRequire(import.meta.url);
  const dir = fileURLToPath(new URL('../node_modules/nsfwjs/dist/models/mobilenet_v2', import.meta.url));
  const json = require(`${dir}/model.min.js`) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64'))));
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

test('nsfwjs MobileNetV2 (pretrained): folded logits, maps and probabilities equal the unfolded ones within 1e-4', async () => {
  const model = await loadNsfwMobileNetV2();
  const pre = (b: tf.Tensor4D) => tf.div(b, 255) as tf.Tensor4D;
  const x = tf.randomUniform([1, 224, 224, 3], 0, 255, 'float32', 4) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const folded = await createExplainer(model, { preprocess: pre });
  const plain = await createExplainer(model, { preprocess: pre, foldBatchNorm: false });
  assert.ok(folded.plan.foldedBatchNorms! >= 50, `${folded.plan.foldedBatchNorms} BatchNorms folded`);
  assert.is(plain.plan.foldedBatchNorms, 0);
  const [f] = await folded.explain(x, { methods: ['gradcam', 'gradcam++'] });
  const [p] = await plain.explain(x, { methods: ['gradcam', 'gradcam++'] });
  assert.ok(relErr(f.logits, p.logits) < TOL, `logits ${relErr(f.logits, p.logits)}`);
  const pred = tf.tidy(() => (model.predict(tf.div(x, 255)) as tf.Tensor).dataSync());
  assert.ok(relErr(f.probabilities, pred) < TOL, 'probabilities = model.predict');
  for (const e of f.explanations) {
    const q = p.get(e.method)!;
    assert.is(e.classIndex, q.classIndex);
    assert.ok(relErr(e.cam, q.cam) < TOL, `${e.method} cam ${relErr(e.cam, q.cam)}`);
    assert.ok(relErr(e.heatmap, q.heatmap) < TOL, `${e.method} heatmap`);
  }
  // at an earlier target, the head holds folded chains and the gradient through them is the same
  compare(model, 'block_13_expand_relu', tf.div(x, 255) as tf.Tensor4D, 'nsfwjs at block_13_expand_relu');
  folded.dispose();
  plain.dispose();
  assert.is(tf.memory().numTensors, before + 1, 'no tensor leaks (one: the divided input above)');
  x.dispose();
  model.dispose();
});

/** input -> conv -> BN -> relu -> [conv2 -> BN2] -> GAP -> Dense; `branch`: conv's output is also read by an Add. */
function small(branch: boolean): tf.LayersModel {
  const input = tf.input({ shape: [10, 10, 3] });
  const init = (s: number) => tf.initializers.glorotNormal({ seed: s });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: 'c' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization({ name: 'bn' }).apply(c) as tf.SymbolicTensor;
  let r = tf.layers.reLU({ name: 'relu' }).apply(b) as tf.SymbolicTensor;
  if (branch) r = tf.layers.add({ name: 'add' }).apply([r, c]) as tf.SymbolicTensor;
  const c2 = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', depthwiseInitializer: init(2), name: 'dw' }).apply(r) as tf.SymbolicTensor;
  const b2 = tf.layers.batchNormalization({ name: 'bn2', scale: false }).apply(c2) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(b2) as tf.SymbolicTensor;
  const y = tf.layers.dense({ units: 3, kernelInitializer: init(3), activation: 'softmax' }).apply(g) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: y });
  randomizeBatchNorm(m, 5);
  return m;
}

test('what folds: a conv read twice does not; the target keeps its own value; depthwise and scale: false do', () => {
  // large inputs: ReLU outputs beyond 6 (a ReLU folded as ReLU6 would show)
  const x = tf.randomUniform([1, 10, 10, 3], -30, 30, 'float32', 2) as tf.Tensor4D;
  const plain = small(false), branched = small(true);
  const count = (m: tf.LayersModel, layer?: string) => { const p = makePlan(m, layer); const n = p.foldedBatchNorms; p.dispose?.(); return n; };
  assert.is(count(plain, 'bn2'), 2, 'target bn2: both fold (the folded dw gives bn2\'s value itself)');
  assert.is(count(plain, 'relu'), 2, 'target relu: both fold, the ReLU stays apart (it is the target)');
  assert.is(count(plain, 'c'), 1, 'target c: its BN reads the target, only dw -> bn2 folds');
  assert.is(count(branched, 'bn2'), 1, 'c is also read by the Add: not folded');
  for (const [m, layer] of [[plain, 'bn2'], [plain, 'relu'], [plain, 'c'], [branched, 'add'], [plain, 'dw']] as const) {
    compare(m, layer, x, `small model at ${layer}`);
  }
  tf.dispose([x]);
  plain.dispose();
  branched.dispose();
});

test('a weight changed after the split (training, setWeights) is picked up; the option is checked', async () => {
  const m = small(false);
  const x = tf.randomUniform([1, 10, 10, 3], -1, 1, 'float32', 3) as tf.Tensor3D;
  const ex = await createExplainer(m, { layer: 'dw' });
  const [r1] = await ex.explain(x, { classIndex: 1 });
  randomizeBatchNorm(m, 99);
  const [r2] = await ex.explain(x, { classIndex: 1 });
  const ref = await createExplainer(m, { layer: 'dw', foldBatchNorm: false });
  const [r3] = await ref.explain(x, { classIndex: 1 });
  assert.ok(relErr(r1.logits, r3.logits) > 1e-3, 'the new statistics change the logits');
  assert.ok(relErr(r2.logits, r3.logits) < TOL, 'the folded weights follow the model\'s');
  assert.ok(relErr(r2.explanations[0].cam, r3.explanations[0].cam) < TOL);
  ex.dispose();
  ref.dispose();
  await rejects(() => createExplainer(m, { foldBatchNorm: 'yes' as unknown as boolean }),
    (e) => e instanceof InvalidInputError && /foldBatchNorm must be true or false/.test((e as Error).message));
  const before = tf.memory().numTensors;
  await rejects(() => createExplainer(m, { layer: ['dw', 'nope'] }), (e) => /nope/.test((e as Error).message));
  assert.is(tf.memory().numTensors, before, 'a failed createExplainer frees the plans it made');
  await rejects(() => createExplainer(m, { labels: ['one'] }), (e) => e instanceof InvalidInputError);
  assert.is(tf.memory().numTensors, before, 'labels refused: the plan freed');
  x.dispose();
  m.dispose();
});

test('explainWasm: the folded weights of a model disposed since are freed at the next call', async () => {
  const x = tf.randomUniform([10, 10, 3], -1, 1, 'float32', 4) as tf.Tensor3D;
  const before = tf.memory().numTensors;
  const m1 = small(false), m2 = small(false);
  const weights = tf.memory().numTensors - before;
  await explainWasm(m1, x);
  assert.is(tf.memory().numTensors - before, weights + 4, 'two folded convolutions of m1: filter and bias each');
  m1.dispose();
  await explainWasm(m2, x);
  assert.is(tf.memory().numTensors - before, weights / 2 + 4, 'm1\'s folded weights freed; m2\'s made');
  m2.dispose();
  await explainWasm(small(false).dispose() ?? m2, x).catch(() => {});
  assert.is(tf.memory().numTensors, before, 'none left');
  x.dispose();
});

test.run();
