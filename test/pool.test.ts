/**
 * createExplainerPool (src/node/pool.ts): worker_threads, each with its own tfjs and model. The results equal a
 * single Explainer's byte for byte; errors arrive typed with the worker's message; a crashed worker rejects its
 * pending call; close() ends every worker, and a pool left open does not keep the process alive.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import {
  ClassIndexError, createExplainer, DisposedError, InvalidInputError, UnknownLayerError, UnknownMethodError,
  useWasmBackend, WorkerError, type ImageExplanations,
} from '../src/index.js';
import { createExplainerPool, loadModel, preprocessFor, readImage } from '../src/node/index.js';
import { POOL_WORKERS } from '../src/node/pool.js';
import { rejects } from './helpers/rejects.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const MODEL = 'vgg16-digits'; // bundled, 64x64, card: RGB in [0,1]
const FILES = ['test-multi-0-digit3.png', 'test-multi-1-digit4.png', 'test-single-1-digit8.png', 'test-single-2-digit2.png'];
const images = FILES.map((f) => readImage(path.join(ROOT, 'demo', 'samples', f)));
const METHODS = ['cam', 'gradcam', 'gradcam++'] as const;

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function assertSame(got: ImageExplanations, want: ImageExplanations, label: string): void {
  assert.is(got.layer, want.layer);
  assert.ok(bytes(got.logits).equals(bytes(want.logits)), `${label}: logits identical`);
  assert.equal(got.top, want.top);
  assert.is(got.explanations.length, want.explanations.length);
  for (const [i, e] of want.explanations.entries()) {
    const g = got.explanations[i]!;
    assert.is(g.method, e.method);
    assert.is(g.classIndex, e.classIndex);
    assert.ok(bytes(g.heatmap).equals(bytes(e.heatmap)), `${label} ${e.method}: heatmap byte-identical`);
    assert.ok(bytes(g.cam).equals(bytes(e.cam)), `${label} ${e.method}: cam byte-identical`);
    assert.ok(bytes(g.weights).equals(bytes(e.weights)), `${label} ${e.method}: weights byte-identical`);
  }
  assert.is(got.get('gradcam++')?.heatmap, got.explanations.find((e) => e.method === 'gradcam++')?.heatmap);
}

await useWasmBackend();
const pool = await createExplainerPool({ workers: 2, model: MODEL });

test('two workers give the single explainer\'s results, byte for byte, in the order given', async () => {
  const model = await loadModel(path.join(ROOT, 'models', MODEL, 'model.json'));
  const single = await createExplainer(model, { preprocess: preprocessFor('0,1') });
  const want = await single.explain(images, { methods: [...METHODS], topK: 2 });
  const got = await pool.explain(images, { methods: [...METHODS], topK: 2 });
  assert.is(got.length, images.length);
  got.forEach((g, i) => assertSame(g, want[i]!, FILES[i]!));
  // concurrent calls, each of one image, also come back right
  const each = await Promise.all(images.map((im) => pool.explain(im, { methods: [...METHODS], topK: 2 })));
  each.forEach(([g], i) => assertSame(g!, want[i]!, `concurrent ${FILES[i]}`));
  assert.is(pool.layer, single.layer);
  model.dispose();
});

test('a tensor image gives the same maps as its RGBA bytes; the caller\'s pixels are copied unless transfer is set', async () => {
  const im = images[0]!;
  const rgb = tf.tidy(() => tf.slice(tf.tensor3d(Float32Array.from(im.data), [im.height, im.width, 4]), [0, 0, 0], [-1, -1, 3]) as tf.Tensor3D);
  const [a] = await pool.explain(rgb);
  const [b] = await pool.explain(im);
  assertSame(a!, b!, 'tensor vs rgba');
  assert.ok(!rgb.isDisposed, 'the caller\'s tensor is left alone');
  rgb.dispose();
  assert.is(im.data.length, im.width * im.height * 4, 'pixels copied, not moved');
  const moved = { ...im, data: im.data.slice() };
  const mover = await createExplainerPool({ workers: 1, model: MODEL, transfer: true });
  try {
    const [c] = await mover.explain(moved);
    assertSame(c!, b!, 'transferred');
    assert.is(moved.data.length, 0, 'with transfer: true the buffer moved to the worker');
  } finally {
    await mover.close();
  }
});

test('errors thrown in a worker arrive typed, with the worker\'s message', async () => {
  await rejects(() => pool.explain(images[0]!, { classIndex: 10 }),
    (e) => e instanceof ClassIndexError && e.code === 'CLASS_INDEX_OUT_OF_RANGE' && /model has 10 classes/.test(e.message));
  await rejects(() => pool.explain(images[0]!, { methods: ['nope' as never] }), (e) => e instanceof UnknownMethodError && /nope/.test((e as Error).message));
  await rejects(() => pool.explain({ data: new Uint8Array(5), width: 2, height: 2 }),
    (e) => e instanceof InvalidInputError && /data.length = width \* height \* 4/.test((e as Error).message));
  await rejects(() => pool.explain(images[0]!, { preprocess: (x: tf.Tensor4D) => x } as never), (e) => e instanceof InvalidInputError && /inputRange/.test((e as Error).message));
  // the pool still works after errors
  const [r] = await pool.explain(images[1]!);
  assert.is(r!.explanations.length, 1);
});

test('bad pool options fail typed: a model object, a missing model, a preprocess function, an unknown layer', async () => {
  await rejects(() => createExplainerPool({ model: {} as never }), (e) => e instanceof InvalidInputError && /cannot cross threads/.test((e as Error).message));
  await rejects(() => createExplainerPool({ model: '/nowhere/model.json' }), (e) => e instanceof InvalidInputError && /neither a built-in model/.test((e as Error).message));
  await rejects(() => createExplainerPool({ model: MODEL, workers: 0 }), (e) => e instanceof InvalidInputError && /workers/.test((e as Error).message));
  await rejects(() => createExplainerPool({ model: MODEL, preprocess: (x: tf.Tensor4D) => x } as never), (e) => e instanceof InvalidInputError);
  await rejects(() => createExplainerPool({ model: MODEL, workers: 1, layer: 'no_such_layer' }),
    (e) => e instanceof UnknownLayerError && (e as UnknownLayerError).candidates.includes('block5_conv3') && /no_such_layer/.test((e as Error).message));
});

test('a crashed worker rejects its pending call with a WorkerError; the pool then says no worker is left', async () => {
  const p1 = await createExplainerPool({ workers: 1, model: MODEL });
  const [worker] = (p1 as unknown as Record<symbol, () => Worker[]>)[POOL_WORKERS]!();
  const pending = p1.explain(images[0]!);
  await worker!.terminate();
  await rejects(() => pending, (e) => e instanceof WorkerError && e.code === 'WORKER' && /worker 0 exited/.test((e as Error).message));
  await rejects(() => p1.explain(images[0]!), (e) => e instanceof WorkerError && /Every worker/.test((e as Error).message));
  await p1.close();
  await rejects(() => p1.explain(images[0]!), (e) => e instanceof DisposedError);
});

test('close() waits for calls in flight, then every worker exits; a pool left open does not keep Node alive', async () => {
  const inFlight = pool.explain(images);
  await pool.close();
  assert.is((await inFlight).length, images.length);
  for (const w of (pool as unknown as Record<symbol, () => Worker[]>)[POOL_WORKERS]!()) assert.is(w.threadId, -1, 'worker exited');
  await rejects(() => pool.explain(images[0]!), (e) => e instanceof DisposedError);
  const script = `import { createExplainerPool } from './src/node/index.js';
    const p = await createExplainerPool({ workers: 2, model: '${MODEL}' });
    const r = await p.explain({ data: new Uint8Array(64 * 64 * 4), width: 64, height: 64 });
    console.log('explained', r.length);`;
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.is(run.status, 0, `child exited ${run.status} after ${Date.now() - t0} ms: ${run.stderr}`);
  assert.match(run.stdout, /explained 1/);
});

test.run();
