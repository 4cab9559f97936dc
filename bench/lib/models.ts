// The models and inputs the benches time:
//   resnet50     Keras topology and names (src/models), width 1, original head, random weights
//   vgg16        original FC head (fc1 25088x4096 at 224), built with zero kernels and then filled with
//                He-uniform random values in place (a seeded generator; building with tfjs's random initializers
//                takes ~9 s), so activations and gradients are those of a random net, not zeros
//   mobilenetv2  nsfwjs@4.4.0's shipped MobileNetV2 (real pretrained weights, 224x224, 5 classes), from memory
// Images are RGBA bytes (what a canvas or a decoded PNG gives), from a seeded generator.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ImageDataLike, Preprocess } from '../../src/index.js';
import { buildBackbone } from '../../src/models/index.js';
import { ROOT } from './output.js';
import { Rng } from '../../src/rng.js';

export const BENCH_MODELS = ['resnet50', 'vgg16', 'mobilenetv2'] as const;
export type BenchModelName = (typeof BENCH_MODELS)[number];

export interface BenchModel {
  name: BenchModelName;
  title: string;
  model: tf.LayersModel;
  size: number;
  preprocess: Preprocess;
}

export function rng(seed: number): () => number { // the project's one RNG (mulberry32)
  const r = new Rng(seed);
  return () => r.next();
}

/** Random RGBA byte images (opaque). */
export function byteImages(n: number, size: number, seed = 1): ImageDataLike[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const data = new Uint8ClampedArray(size * size * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : (r() * 256) | 0;
    return { data, width: size, height: size };
  });
}

const div255: Preprocess = (x) => tf.div(x, 255) as tf.Tensor4D;

/** Fills every conv / dense kernel with He-uniform values (U(-b, b), b = sqrt(6 / fan_in)); biases stay zero. */
function randomizeKernels(model: tf.LayersModel, seed: number): void {
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    const next = ws.map((w, i) => {
      if (i > 0 || w.rank < 2) return w;
      const fanIn = w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const b = Math.sqrt(6 / fanIn);
      const v = new Float32Array(w.size);
      for (let j = 0; j < v.length; j++) v[j] = (r() * 2 - 1) * b;
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(next);
    next.forEach((t, i) => { if (t !== ws[i]) t.dispose(); });
  }
}

export async function loadNsfwMobileNetV2(): Promise<tf.LayersModel> {
  const require = createRequire(import.meta.url);
  const dir = path.join(ROOT, 'node_modules', 'nsfwjs', 'dist', 'models', 'mobilenet_v2');
  const json = require(`${dir}/model.min.js`) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const chunks = json.weightsManifest.flatMap((g) => g.paths.map((p) => Buffer.from(require(`${dir}/${p}.min.js`) as string, 'base64')));
  const data = Buffer.concat(chunks);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

/** Builds (or loads) one bench model; `size` applies to the built ones (nsfwjs's MobileNetV2 is 224). */
export async function benchModel(name: BenchModelName, size: number): Promise<BenchModel> {
  if (name === 'mobilenetv2') {
    return { name, title: 'MobileNetV2 224 (nsfwjs weights)', model: await loadNsfwMobileNetV2(), size: 224, preprocess: div255 };
  }
  if (name === 'resnet50') {
    const model = buildBackbone('resnet50', { inputShape: [size, size, 3], classes: 1000, head: 'original', seed: 1 });
    return { name, title: `ResNet-50 ${size} (random weights)`, model, size, preprocess: div255 };
  }
  const model = buildBackbone('vgg16', { inputShape: [size, size, 3], classes: 1000, head: 'original', kernelInitializer: 'zeros' });
  randomizeKernels(model, 2);
  return { name, title: `VGG16 ${size}, FC head (random weights)`, model, size, preprocess: div255 };
}
