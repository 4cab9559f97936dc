/**
 * Targets and labels: `target` = a class index, several, or a function of the logits returning the score S
 * whose gradient is taken (pytorch-grad-cam's targets); `labels` name the classes in the results.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import {
  createExplainer, explainWasm, useWasmBackend, attachLabels,
  InvalidInputError, MethodNotApplicableError, NumericalError, ClassIndexError,
} from '../src/index.js';
import { rejects } from './helpers/rejects.js';
import { maxAbsDiff } from './helpers/reference.js';

await useWasmBackend();

/** conv -> conv (target) -> conv -> GAP -> Dense: a head that is not linear, so targets differ in g. */
function model(seed = 1) {
  const init = (s: number) => tf.initializers.glorotNormal({ seed: seed * 10 + s });
  const input = tf.input({ shape: [10, 10, 3] });
  let y = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'target', kernelInitializer: init(2) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c3', kernelInitializer: init(3) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 4, activation: 'softmax', name: 'fc', kernelInitializer: init(4) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}
const image = (seed: number) => tf.randomUniform([10, 10, 3], 0, 1, 'float32', seed) as tf.Tensor3D;

const t = suite('targets');

t('a numeric target is a class index; several give one explanation per class and method', async () => {
  const m = model();
  const x = image(1);
  const ex = await createExplainer(m, { layer: 'target' });
  const [a] = await ex.explain(x, { methods: ['gradcam'], target: 2 });
  const [b] = await ex.explain(x, { methods: ['gradcam'], classIndex: 2 });
  assert.equal(a.explanations[0].cam, b.explanations[0].cam);
  const [r] = await ex.explain(x, { methods: ['gradcam', 'gradcam++'], target: [3, 0] });
  assert.equal(r.explanations.map((e) => [e.method, e.classIndex]), [['gradcam', 3], ['gradcam++', 3], ['gradcam', 0], ['gradcam++', 0]]);
  const [top] = await ex.explain(x, { methods: ['gradcam'], topK: 2 });
  assert.equal(top.explanations.map((e) => e.classIndex), top.top.slice(0, 2).map((p) => p.classIndex));
  assert.is(top.explanations[0].logit, top.logits[top.top[0].classIndex]);
});

t('a function target: logits.gather(c) equals class c; a difference of logits has the difference of gradients', async () => {
  const m = model(2);
  const x = image(2);
  const ex = await createExplainer(m, { layer: 'target' });
  const [c1] = await ex.explain(x, { methods: ['gradcam', 'gradcam++'], target: 1 });
  const [f1] = await ex.explain(x, { methods: ['gradcam', 'gradcam++'], target: (l) => l.gather(1) as unknown as tf.Scalar });
  for (let i = 0; i < 2; i++) {
    assert.ok(maxAbsDiff(c1.explanations[i].cam, f1.explanations[i].cam) <= 1e-6);
    assert.is(f1.explanations[i].classIndex, -1);
    assert.ok(Number.isNaN(f1.explanations[i].probability));
    assert.ok(Math.abs(f1.explanations[i].logit - c1.explanations[i].logit) < 1e-6);
  }
  // Grad-CAM weights are linear in the gradient: w(S1 - S2) = w(S1) - w(S2)
  const [c0] = await ex.explain(x, { methods: ['gradcam'], target: 0 });
  const [c3] = await ex.explain(x, { methods: ['gradcam'], target: 3 });
  const [d] = await ex.explain(x, { methods: ['gradcam'], target: (l) => tf.sub(l.gather(0), l.gather(3)) as tf.Scalar });
  const expected = c0.explanations[0].weights.map((w, k) => w - c3.explanations[0].weights[k]);
  const scale = Math.max(...expected.map(Math.abs));
  assert.ok(scale > 0);
  assert.ok(maxAbsDiff(d.explanations[0].weights, expected) <= 1e-5 * scale, `${maxAbsDiff(d.explanations[0].weights, expected)}`);
  assert.ok(Math.abs(d.explanations[0].logit - (c0.logits[0] - c0.logits[3])) < 1e-4);
});

t('bad targets: typed errors, no tensor left behind', async () => {
  const m = model(3);
  const x = image(3);
  const ex = await createExplainer(m, { layer: 'target' });
  await ex.explain(x);
  const before = tf.memory().numTensors;
  const is = (cls: Function, re: RegExp) => (e: unknown) => e instanceof cls && re.test((e as Error).message);
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: (l) => l as unknown as tf.Scalar }), is(InvalidInputError, /scalar.*shape \[4\]/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: () => 3 as unknown as tf.Scalar }), is(InvalidInputError, /a number/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: () => { throw new RangeError('mine'); } }), is(RangeError, /mine/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: (l) => tf.div(l.gather(0), 0) as tf.Scalar }), is(NumericalError, /finite/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: 1, classIndex: 1 }), is(InvalidInputError, /either target or classIndex/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: [] }), is(InvalidInputError, /empty/));
  await rejects(() => ex.explain(x, { methods: ['gradcam'], target: [1, 9] }), is(ClassIndexError, /0\.\.3/));
  await rejects(() => explainWasm(m, x, { target: [1, 2] as unknown as number }), is(InvalidInputError, /one target/));
  assert.is(tf.memory().numTensors, before);
});

t('CAM explains classes, not functions', async () => {
  const input = tf.input({ shape: [10, 10, 3] });
  let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor });
  await rejects(() => explainWasm(m, image(4), { method: 'cam', target: (l) => l.gather(0) as unknown as tf.Scalar }),
    (e) => e instanceof MethodNotApplicableError && /target function/.test((e as Error).message));
  const ok = await explainWasm(m, image(4), { method: 'cam', target: 2 });
  assert.is(ok.classIndex, 2);
});

t.run();

const l = suite('labels');

l('labels name the explained class and the top predictions; attached labels are the default; wrong counts refused', async () => {
  const m = model(5);
  const x = image(5);
  const names = ['zero', 'one', 'two', 'three'];
  const ex = await createExplainer(m, { labels: names });
  const [r] = await ex.explain(x, { methods: ['gradcam'], topK: 2 });
  assert.is(r.explanations[0].label, names[r.explanations[0].classIndex]);
  assert.equal(r.top.map((p) => p.label), r.top.map((p) => names[p.classIndex]));
  const e = await explainWasm(m, x, { target: 3, labels: names });
  assert.is(e.label, 'three');
  const plain = await explainWasm(m, x, { target: 3 });
  assert.is(plain.label, undefined, 'labels of one call do not leak into the next');
  attachLabels(m, ['a', 'b', 'c', 'd']);
  const [r2] = await (await createExplainer(m)).explain(x, { target: 1 });
  assert.is(r2.explanations[0].label, 'b');
  await rejects(() => createExplainer(m, { labels: ['x'] }), (err) => err instanceof InvalidInputError && /1 names but the model has 4/.test((err as Error).message));
  await rejects(() => createExplainer(m, { labels: 'abcd' as unknown as string[] }), (err) => err instanceof InvalidInputError && /array of class names/.test((err as Error).message));
});

l.run();
