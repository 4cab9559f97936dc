/**
 * A small CNN twice: as a tf.LayersModel and as a tf.GraphModel built from a hand-written graph-model JSON
 * (the format tfjs-converter writes), with the same weights. Nodes: Placeholder, Const, Conv2D, BiasAdd,
 * Relu, MaxPool, Mean, MatMul, Softmax (and Identity, as the converter ends graphs).
 *
 *   input [-1, 12, 12, 3] -> c1 (conv 3x3 same, 4, relu) -> pool (max 2x2) -> c2 (conv 3x3 same, 6, relu)
 *   -> gap (Mean over 1, 2) -> fc (MatMul + BiasAdd, 5 classes) -> Softmax
 */
import * as tf from '@tensorflow/tfjs';

export const CLASSES = 5;
export const SIZE = 12;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const T = { type: 'DT_FLOAT' };

function constNode(name: string, shape: number[], dtype = 'DT_FLOAT') {
  return { name, op: 'Const', attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } } } };
}

function conv(name: string, input: string) {
  return [
    { name: `${name}/Conv2D`, op: 'Conv2D', input: [input, `${name}/kernel`], attr: { T, strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]), use_cudnn_on_gpu: { b: true } } },
    { name: `${name}/BiasAdd`, op: 'BiasAdd', input: [`${name}/Conv2D`, `${name}/bias`], attr: { T, data_format: { s: b64('NHWC') } } },
    { name: `${name}/Relu`, op: 'Relu', input: [`${name}/BiasAdd`], attr: { T } },
  ];
}

export interface Twin {
  layers: tf.LayersModel;
  graph: tf.GraphModel;
  /** The graph-model files: model.json (object) and its weight bytes. */
  json: { format: string; modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  weightData: Uint8Array;
}

export async function makeTwin(seed = 1, options: { transposeB?: boolean } = {}): Promise<Twin> {
  const init = (s: number) => tf.initializers.glorotNormal({ seed: seed * 10 + s });
  const bias = (s: number) => tf.initializers.randomNormal({ stddev: 0.1, seed: seed * 10 + 5 + s });
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(1), biasInitializer: bias(1) });
  const pool = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' });
  const c2 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2', kernelInitializer: init(2), biasInitializer: bias(2) });
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' });
  const fc = tf.layers.dense({ units: CLASSES, activation: 'softmax', name: 'fc', kernelInitializer: init(3), biasInitializer: bias(3) });
  const out = fc.apply(gap.apply(c2.apply(pool.apply(c1.apply(input))))) as tf.SymbolicTensor;
  const layers = tf.model({ inputs: input, outputs: out });

  const transposeB = !!options.transposeB;
  const [k1, b1] = c1.getWeights(), [k2, b2] = c2.getWeights(), [kf, bf] = fc.getWeights();
  const kfStored = transposeB ? tf.transpose(kf) : kf;
  const axes = tf.tensor1d([1, 2], 'int32');
  const weights: [string, tf.Tensor][] = [
    ['c1/kernel', k1], ['c1/bias', b1], ['c2/kernel', k2], ['c2/bias', b2], ['gap/axes', axes], ['fc/kernel', kfStored], ['fc/bias', bf],
  ];
  const node = [
    { name: 'input', op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim: [-1, SIZE, SIZE, 3].map((s) => ({ size: String(s) })) } } } },
    ...weights.map(([n, t]) => constNode(n, t.shape, t.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT')),
    ...conv('c1', 'input'),
    { name: 'pool/MaxPool', op: 'MaxPool', input: ['c1/Relu'], attr: { T, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } } },
    ...conv('c2', 'pool/MaxPool'),
    { name: 'gap/Mean', op: 'Mean', input: ['c2/Relu', 'gap/axes'], attr: { T, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    { name: 'fc/MatMul', op: 'MatMul', input: ['gap/Mean', 'fc/kernel'], attr: { T, transpose_a: { b: false }, transpose_b: { b: transposeB } } },
    { name: 'fc/BiasAdd', op: 'BiasAdd', input: ['fc/MatMul', 'fc/bias'], attr: { T, data_format: { s: b64('NHWC') } } },
    { name: 'fc/Softmax', op: 'Softmax', input: ['fc/BiasAdd'], attr: { T } },
    { name: 'Identity', op: 'Identity', input: ['fc/Softmax'], attr: { T } },
  ];
  const specs: tf.io.WeightsManifestEntry[] = weights.map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype as 'float32' | 'int32' }));
  const parts = weights.map(([, t]) => new Uint8Array((t.dataSync() as Float32Array | Int32Array).slice().buffer));
  const weightData = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) { weightData.set(p, off); off += p.byteLength; }
  if (transposeB) kfStored.dispose();
  axes.dispose();
  const modelTopology = { node, library: {}, versions: { producer: 1 } };
  const graph = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology, weightSpecs: specs, weightData: weightData.slice().buffer, format: 'graph-model',
  }));
  return {
    layers, graph, weightData,
    json: { format: 'graph-model', modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }] },
  };
}
