/**
 * Real pretrained models no one here wrote: nsfwjs@4.4.0 (MIT) ships MobileNetV2 (224x224, uint8
 * quantised weights) and InceptionV3 (299x299) as tfjs layers models inside the npm package. Loaded from
 * memory, no network. Their head (pooling -> dense relu -> dropout -> dense relu -> dropout -> dense
 * softmax) is not CAM's pattern; InceptionV3's BatchNormalization layers have scale: false, whose tfjs
 * gradient fails without the work-around.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createExplainer, explainWasm, useWasmBackend, MethodNotApplicableError } from '../src/index.js';
import { readImage } from '../src/node/image-io.js';
import { rejects } from './helpers/rejects.js';

const require = createRequire(import.meta.url);
await useWasmBackend();

async function loadNsfw(name: 'mobilenet_v2' | 'inception_v3'): Promise<tf.LayersModel> {
  // the files are not in nsfwjs's "exports": require them by path
  const dir = fileURLToPath(new URL(`../node_modules/nsfwjs/dist/models/${name}`, import.meta.url));
  const json = require(`${dir}/model.min.js`) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const chunks = json.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64')));
  const data = Buffer.concat(chunks);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

const image = readImage('demo/samples/test-multi-0-digit3.png');
const pre = (x: tf.Tensor4D) => tf.div(x, 255) as tf.Tensor4D;

test('nsfwjs MobileNetV2: Grad-CAM and Grad-CAM++ at out_relu; CAM is refused with the reason', async () => {
  const model = await loadNsfw('mobilenet_v2');
  const ex = await createExplainer(model, { preprocess: pre });
  assert.is(ex.layer, 'out_relu');
  const before = tf.memory().numTensors;
  const [r] = await ex.explain(image, { methods: ['gradcam', 'gradcam++'] });
  assert.is(tf.memory().numTensors, before);
  assert.is(r.probabilities.length, 5);
  assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  for (const e of r.explanations) {
    assert.is(e.camWidth, 7);
    assert.is(e.heatmap.length, image.width * image.height);
    assert.ok(e.cam.every(Number.isFinite));
    assert.ok(Math.max(...e.cam) === 1, `${e.method}: a non-trivial map for the top class`);
  }
  await rejects(() => ex.explain(image, { methods: ['cam'] }), (e) =>
    e instanceof MethodNotApplicableError && /AveragePooling2D.*not global average pooling/.test((e as Error).message) && /gradcam/.test((e as Error).message));
  model.dispose();
});

test('nsfwjs InceptionV3: a target before mixed10 (convolutions and scale-free BatchNorm in the head)', async () => {
  const model = await loadNsfw('inception_v3');
  const bnNoScale = model.layers.filter((l) => l.getClassName() === 'BatchNormalization' && !(l.getConfig() as { scale?: boolean }).scale);
  assert.ok(bnNoScale.length > 50, 'InceptionV3 has BatchNorm layers with scale: false');
  const e = await explainWasm(model, image, { layer: 'mixed9', method: 'gradcam++', preprocess: pre });
  assert.is(e.layer, 'mixed9');
  assert.is(e.camWidth, 8);
  assert.ok(e.cam.every(Number.isFinite) && Math.max(...e.cam) === 1);
  model.dispose();
});

test.run();
