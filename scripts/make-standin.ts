// A stand-in model for developing the demo and the CLI before the trained digit-scene models land in
// models/: MobileNetV2 (width 0.35, 64x64x3, 10 classes, GAP head) with seeded random weights,
// UNTRAINED, saved with a card.json to .tmp/models/standin/ (git-ignored; never to models/).
// With BatchNorm at its identity initialisation the random network's activations vanish (~1e-11 at
// out_relu), so every logit is 0 and every map is flat; each BatchNorm's moving statistics are therefore
// set, in order, to the batch statistics of its input on 32 digit scenes (a data-dependent init; no
// training), which gives class scores and maps that vary with the image.
//
//   node --import tsx scripts/make-standin.ts [--out dir] [--force]
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { generateScenes, scenesToTensors } from '../src/data/index.js';
import { BACKBONES, buildBackbone } from '../src/models/index.js';
import { saveModel } from '../src/node/model-io.js';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const STANDIN_DIR = path.join(ROOT, '.tmp', 'models', 'standin');

/** Builds and saves the stand-in unless `dir` already holds one; returns its folder. */
export async function ensureStandin(dir = STANDIN_DIR, force = false): Promise<string> {
  if (!force && existsSync(path.join(dir, 'model.json')) && existsSync(path.join(dir, 'card.json'))) return dir;
  const size = 64;
  await useWasmBackend();
  const model = buildBackbone('mobilenetv2', { inputShape: [size, size, 3], classes: 10, width: 0.35, head: 'gap', seed: 7 });
  calibrateBatchNorm(model, size);
  const { bytes } = await saveModel(model, dir);
  const card = {
    name: 'standin', topology: BACKBONES.mobilenetv2.kerasName, width: 0.35, inputShape: [size, size, 3], classes: 10,
    head: 'gap', targetLayer: BACKBONES.mobilenetv2.targetLayer, params: model.countParams(), weightBytes: bytes,
    preprocessing: 'RGB in [0,1], nothing else',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    note: 'UNTRAINED stand-in (seeded random weights, BatchNorm statistics from 32 scenes) for developing the demo and CLI; not a real model.',
    createdAt: new Date().toISOString(), tfjs: tf.version.tfjs,
  };
  writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
  model.dispose();
  return dir;
}

/** Sets each BatchNormalization's moving mean/variance to its input's statistics on a batch of scenes. */
function calibrateBatchNorm(model: tf.LayersModel, size: number): void {
  const { xs, ys } = scenesToTensors(generateScenes({ split: 'train', count: 32, seed: 99, size }));
  ys.dispose();
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const sub = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const weights = layer.getWeights();
    const [mean, variance] = tf.tidy(() => {
      const m = tf.moments(sub.predict(xs) as tf.Tensor, [0, 1, 2]);
      return [m.mean, m.variance];
    });
    // weights: [gamma, beta, moving_mean, moving_variance] (gamma/beta present with scale/center)
    layer.setWeights([...weights.slice(0, weights.length - 2), mean!, variance!]);
    tf.dispose([mean!, variance!]);
  }
  xs.dispose();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean' } } });
  const dir = await ensureStandin(path.resolve(values.out ?? STANDIN_DIR), values.force ?? false);
  console.log(`stand-in model: ${path.relative(process.cwd(), dir) || '.'}/model.json`);
}
