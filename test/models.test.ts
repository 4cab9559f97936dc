import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import {
  BACKBONE_NAMES, BACKBONES, buildBackbone, makeDivisible, Normalization, scaleChannels,
  type BackboneName, type BackboneOptions,
} from '../src/models/index.js';

await useWasmBackend();

const sum = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

/** Keras model.summary() numbers (224x224x3, 1000 classes, original head) and layer counts. */
const KERAS: Record<BackboneName, { total: number; nonTrainable: number; layers: number; target: number[] }> = {
  vgg16: { total: 138_357_544, nonTrainable: 0, layers: 23, target: [14, 14, 512] },
  resnet50: { total: 25_636_712, nonTrainable: 53_120, layers: 177, target: [7, 7, 2048] },
  resnet101: { total: 44_707_176, nonTrainable: 105_344, layers: 347, target: [7, 7, 2048] },
  efficientnetb0: { total: 5_330_571, nonTrainable: 42_023, layers: 240, target: [7, 7, 1280] },
  mobilenetv2: { total: 3_538_984, nonTrainable: 34_112, layers: 156, target: [7, 7, 1280] },
};

/** Keras layer names each model must have (a sample across stem, blocks, top and head). */
const NAMES: Record<BackboneName, string[]> = {
  vgg16: ['block1_conv1', 'block1_conv2', 'block1_pool', 'block3_conv3', 'block4_pool', 'block5_conv3', 'block5_pool',
    'flatten', 'fc1', 'fc2', 'predictions'],
  resnet50: ['conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool', 'conv2_block1_0_conv',
    'conv2_block1_0_bn', 'conv2_block1_1_conv', 'conv2_block1_3_bn', 'conv2_block1_add', 'conv2_block1_out',
    'conv3_block4_out', 'conv4_block6_out', 'conv5_block1_0_conv', 'conv5_block3_add', 'conv5_block3_out',
    'avg_pool', 'predictions'],
  resnet101: ['conv1_conv', 'conv2_block1_0_conv', 'conv4_block23_out', 'conv5_block3_3_bn', 'conv5_block3_add',
    'conv5_block3_out', 'avg_pool', 'predictions'],
  efficientnetb0: ['rescaling', 'normalization', 'stem_conv_pad', 'stem_conv', 'stem_bn', 'stem_activation',
    'block1a_dwconv', 'block1a_se_squeeze', 'block1a_se_reshape', 'block1a_se_reduce', 'block1a_se_expand',
    'block1a_se_excite', 'block1a_project_conv', 'block1a_project_bn', 'block2a_expand_conv', 'block2a_dwconv_pad',
    'block2b_drop', 'block2b_add', 'block6a_expand_conv', 'block6d_add', 'block7a_project_bn', 'top_conv', 'top_bn',
    'top_activation', 'avg_pool', 'top_dropout', 'predictions'],
  mobilenetv2: ['Conv1', 'bn_Conv1', 'Conv1_relu', 'expanded_conv_depthwise', 'expanded_conv_depthwise_BN',
    'expanded_conv_depthwise_relu', 'expanded_conv_project', 'expanded_conv_project_BN', 'block_1_expand',
    'block_1_expand_BN', 'block_1_expand_relu', 'block_1_pad', 'block_1_depthwise', 'block_2_add', 'block_16_project_BN',
    'Conv_1', 'Conv_1_bn', 'out_relu', 'global_average_pooling2d', 'predictions'],
};

const REDUCED: BackboneOptions = { width: 0.25, inputShape: [64, 64, 3], classes: 10, head: 'gap', seed: 3 };

/** Name of the layer whose output feeds `layerName` (single-input layers). */
function inboundName(model: tf.LayersModel, layerName: string): string {
  const node = model.getLayer(layerName).inboundNodes[0];
  assert.is(node.inboundLayers.length, 1);
  return node.inboundLayers[0].name;
}

function assertSoftmax(y: tf.Tensor, rows: number, classes: number): void {
  assert.equal(y.shape, [rows, classes]);
  const v = y.dataSync();
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const p = v[r * classes + c];
      assert.ok(Number.isFinite(p) && p >= 0 && p <= 1, `probability ${p}`);
      s += p;
    }
    assert.ok(Math.abs(s - 1) < 1e-4, `row ${r} sums to ${s}`);
  }
}

test('registry lists the five backbones with their target layers', () => {
  assert.equal(BACKBONE_NAMES, ['vgg16', 'resnet50', 'resnet101', 'efficientnetb0', 'mobilenetv2']);
  assert.is(BACKBONES.vgg16.targetLayer, 'block5_conv3');
  assert.is(BACKBONES.resnet50.targetLayer, 'conv5_block3_out');
  assert.is(BACKBONES.resnet101.targetLayer, 'conv5_block3_out');
  assert.is(BACKBONES.efficientnetb0.targetLayer, 'top_activation');
  assert.is(BACKBONES.mobilenetv2.targetLayer, 'out_relu');
  for (const n of BACKBONE_NAMES) assert.is(BACKBONES[n].kerasParams, KERAS[n].total);
});

for (const n of BACKBONE_NAMES) {
  test(`${n}: Keras parameter counts, layer count and names at 224x224x3 / 1000 classes`, () => {
    const before = tf.memory().numTensors;
    // 'zeros' skips the random initialisation (VGG16 has 138M weights).
    const m = buildBackbone(n, { kernelInitializer: 'zeros' });
    try {
      assert.is(m.countParams(), KERAS[n].total);
      assert.is(sum(m.nonTrainableWeights), KERAS[n].nonTrainable);
      assert.is(m.layers.length, KERAS[n].layers);
      for (const name of NAMES[n]) assert.ok(m.getLayer(name), name);
      assert.equal(m.getLayer(BACKBONES[n].targetLayer).outputShape, [null, ...KERAS[n].target]);
      assert.equal(m.inputs[0].shape, [null, 224, 224, 3]);
      assert.equal(m.outputs[0].shape, [null, 1000]);
    } finally {
      m.dispose();
    }
    assert.is(tf.memory().numTensors, before);
  });
}

for (const n of BACKBONE_NAMES) {
  test(`${n}: width 0.25, 64x64x3, 10 classes, 'gap' head: structure and a finite softmax`, () => {
    const before = tf.memory().numTensors;
    const m = buildBackbone(n, REDUCED);
    try {
      const target = BACKBONES[n].targetLayer;
      assert.is(inboundName(m, 'avg_pool'), target);
      assert.is(inboundName(m, 'predictions'), 'avg_pool');
      assert.equal(m.inputs[0].shape, [null, 64, 64, 3]);
      assert.equal(m.outputs[0].shape, [null, 10]);
      // The same layer names as the full model, minus the original head.
      for (const name of NAMES[n]) {
        if (['flatten', 'fc1', 'fc2', 'block5_pool', 'top_dropout', 'global_average_pooling2d'].includes(name)) continue;
        assert.ok(m.getLayer(name), name);
      }
      assert.ok(m.countParams() < KERAS[n].total / 8, `${m.countParams()} params`);
      const y = tf.tidy(() => m.predict(tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 5)) as tf.Tensor);
      assertSoftmax(y, 2, 10);
      y.dispose();
    } finally {
      m.dispose();
    }
    assert.is(tf.memory().numTensors, before);
  });
}

test('width scales the channels (VGG/ResNet round, EfficientNet/MobileNetV2 as Keras)', () => {
  assert.is(scaleChannels(64, 1), 64);
  assert.is(scaleChannels(64, 0.25), 16);
  assert.is(scaleChannels(64, 0.1), 8);
  assert.is(scaleChannels(4096, 0.125), 512);
  assert.is(makeDivisible(32 * 0.35), 16); // Keras MobileNetV2 alpha 0.35 first conv
  assert.is(makeDivisible(16 * 0.25), 8);
  assert.is(makeDivisible(1280 * 0.25), 320);
  assert.is(makeDivisible(112 * 0.5), 56);
  const shapes: Record<BackboneName, number> = { vgg16: 128, resnet50: 512, resnet101: 512, efficientnetb0: 320, mobilenetv2: 1280 };
  for (const n of BACKBONE_NAMES) {
    const m = buildBackbone(n, { ...REDUCED, kernelInitializer: 'zeros' });
    const shape = m.getLayer(BACKBONES[n].targetLayer).outputShape as number[];
    assert.is(shape[3], shapes[n], n);
    m.dispose();
  }
});

test('original heads at reduced size: VGG16 flatten/fc, EfficientNetB0 dropout, MobileNetV2 GAP name', () => {
  const opts: BackboneOptions = { width: 0.125, inputShape: [64, 64, 3], classes: 7, kernelInitializer: 'glorotUniform', seed: 11 };
  const vgg = buildBackbone('vgg16', opts);
  assert.is(inboundName(vgg, 'flatten'), 'block5_pool');
  assert.equal(vgg.getLayer('fc1').outputShape, [null, 512]);
  assert.equal(vgg.getLayer('flatten').outputShape, [null, 2 * 2 * 64]);
  const eff = buildBackbone('efficientnetb0', opts);
  assert.is(inboundName(eff, 'predictions'), 'top_dropout');
  assert.is((eff.getLayer('top_dropout').getConfig() as { rate: number }).rate, 0.2);
  const mob = buildBackbone('mobilenetv2', opts);
  assert.is(inboundName(mob, 'global_average_pooling2d'), 'out_relu');
  const res = buildBackbone('resnet50', { ...opts, dropout: 0.3 });
  assert.is(inboundName(res, 'predictions'), 'top_dropout');
  for (const m of [vgg, eff, mob, res]) {
    const y = tf.tidy(() => m.predict(tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 2)) as tf.Tensor);
    assertSoftmax(y, 1, 7);
    y.dispose();
    m.dispose();
  }
});

test('EfficientNetB0 drop-connect runs in training mode; classifierActivation linear gives logits', () => {
  const m = buildBackbone('efficientnetb0', { ...REDUCED, width: 0.125, dropout: 0.5, classifierActivation: 'linear' });
  const cfg = m.getLayer('block2b_drop').getConfig() as { rate: number; noiseShape: unknown };
  assert.equal(cfg.noiseShape, [null, 1, 1, 1]);
  assert.ok(Math.abs(cfg.rate - 0.2 * 2 / 16) < 1e-9);
  const [a, b] = tf.tidy(() => {
    const x = tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 9);
    return [m.apply(x, { training: true }) as tf.Tensor, m.predict(x) as tf.Tensor];
  });
  assert.ok(Array.from(a.dataSync()).every(Number.isFinite));
  const s = Array.from(b.dataSync()).slice(0, 10).reduce((p, q) => p + q, 0);
  assert.ok(Math.abs(s - 1) > 1e-3, 'logits, not probabilities');
  tf.dispose([a, b]);
  m.dispose();
});

test('a seed makes builds reproducible; different seeds differ', () => {
  // (Outputs of an untrained MobileNetV2 are a near-uniform softmax in inference mode, as in Keras:
  // glorot-initialised depthwise kernels shrink the signal. So compare the weights.)
  const run = (seed: number) => {
    const m = buildBackbone('mobilenetv2', { ...REDUCED, width: 0.125, seed });
    const v = m.getWeights().flatMap((w) => Array.from(w.dataSync().slice(0, 4)));
    m.dispose();
    return v;
  };
  const a = run(42), b = run(42), c = run(43);
  assert.equal(a, b);
  assert.not.equal(a, c);
});

test('the Normalization layer saves and reloads (registered custom class)', async () => {
  const m = buildBackbone('efficientnetb0', { ...REDUCED, width: 0.125 });
  const norm = m.getLayer('normalization');
  assert.ok(norm instanceof Normalization);
  assert.equal(norm.getWeights().map((w) => w.shape), [[3], [3], []]);
  assert.equal(norm.weights.map((w) => w.originalName), ['normalization/mean', 'normalization/variance', 'normalization/count']);
  // ImageNet statistics (as Keras's pretrained EfficientNet sets them) so the layer is not the identity.
  norm.setWeights([tf.tensor1d([0.485, 0.456, 0.406]), tf.tensor1d([0.229 ** 2, 0.224 ** 2, 0.225 ** 2]), tf.scalar(0, 'int32')]);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  assert.is(loaded.countParams(), m.countParams());
  const x = tf.randomUniform([1, 64, 64, 3], 0, 255, 'float32', 4);
  const y1 = m.predict(x) as tf.Tensor, y2 = loaded.predict(x) as tf.Tensor;
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]);
  assert.ok(d < 1e-6, `max diff ${d}`);
  // Direct check of the formula on a tiny input.
  const z = tf.tidy(() => norm.apply(tf.tensor4d([0.485, 0.456, 0.406 + 0.225], [1, 1, 1, 3])) as tf.Tensor);
  const zv = Array.from(z.dataSync());
  assert.ok(Math.abs(zv[0]) < 1e-5 && Math.abs(zv[1]) < 1e-5 && Math.abs(zv[2] - 1) < 1e-4, JSON.stringify(zv));
  tf.dispose([x, y1, y2, z]);
  m.dispose();
  loaded.dispose();
});

test('bad options and names are rejected', () => {
  assert.throws(() => buildBackbone('resnet50', { width: 0 }), /width/);
  assert.throws(() => buildBackbone('resnet50', { classes: 0 }), /classes/);
  assert.throws(() => buildBackbone('resnet50', { inputShape: [16, 16, 3] }), /at least 32/);
  assert.throws(() => buildBackbone('resnet50', { head: 'max' as 'gap' }), /head/);
  assert.throws(() => buildBackbone('resnet50', { dropout: 1 }), /dropout/);
  assert.throws(() => buildBackbone('resnet50', { kernelInitializer: 'nope' }), /kernelInitializer/);
  assert.throws(() => buildBackbone('resnet18' as BackboneName), /Unknown backbone/);
});

test.run();
