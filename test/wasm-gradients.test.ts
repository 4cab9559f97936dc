// The kernels of src/backend/kernels/ for the tfjs wasm backend (the missing gradient kernels, which
// useWasmBackend() registers, and the training-only Conv2DBackpropInput / Tile / Sum / Mean of
// useFastTrainingKernels()): each against tfjs' cpu backend (and, where the cpu kernel ignores dilation,
// a plain loop); gradients through tfjs-layers' fused conv2d; a training step of a small conv net, with
// and without the training kernels; leaks. WASM_GRAD_BENCH: see the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { useWasmBackend } from '../src/backend/index.js';
import { Rng } from '../src/rng.js';
import {
  registerMissingWasmKernels, useFastTrainingKernels, fastTrainingKernelsActive, MISSING_WASM_KERNEL_NAMES, FAST_TRAINING_KERNEL_NAMES,
} from '../src/backend/kernels/index.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type Arr = { values: Float32Array; shape: number[] };

/** Deterministic values in [-1, 1) (the project's seeded RNG), so both backends get the same inputs. */
function values(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
}
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const zeros4 = (shape: number[]) => tf.zeros(shape as [number, number, number, number]) as tf.Tensor4D;

/** Runs f on a backend ('cpu' or 'wasm') and returns its result as plain data. */
async function on(backend: string, f: () => tf.Tensor): Promise<Arr> {
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const t = f();
      return { values: Float32Array.from(t.dataSync() as Float32Array), shape: t.shape.slice() };
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

function relErr(a: Arr, b: Arr): number {
  assert.equal(a.shape, b.shape, 'shapes differ');
  let diff = 0, scale = 0;
  for (let i = 0; i < a.values.length; i++) {
    diff = Math.max(diff, Math.abs(a.values[i] - b.values[i]));
    scale = Math.max(scale, Math.abs(b.values[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function sameOnBothBackends(label: string, f: () => tf.Tensor, tol = 1e-4): Promise<void> {
  const w = await on('wasm', f), c = await on('cpu', f);
  const e = relErr(w, c);
  assert.ok(e <= tol, `${label}: wasm vs cpu relative error ${e}`);
  assert.ok(c.values.some((v) => v !== 0), `${label}: trivial (all-zero) case`);
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
  tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;

// Plain-loop references with dilation (tfjs' cpu backprop kernels ignore it).
interface Geo { b: number; h: number; w: number; oh: number; ow: number; fh: number; fw: number; s: [number, number]; d: [number, number]; pt: number; pl: number }
function geo(xShape: number[], fShape: number[], s: number, d: number, pad: Pad, depthwise: boolean): Geo {
  const i = tf.backend_util.computeConv2DInfo(xShape as never, fShape as never, s, d, pad as 'same', undefined, depthwise);
  return { b: i.batchSize, h: i.inHeight, w: i.inWidth, oh: i.outHeight, ow: i.outWidth, fh: i.filterHeight, fw: i.filterWidth,
    s: [i.strideHeight, i.strideWidth], d: [i.dilationHeight, i.dilationWidth], pt: i.padInfo.top, pl: i.padInfo.left };
}
/** Calls f(b, oh, ow, fh, fw, ih, iw) for every tap that reads a real input pixel. */
function eachTap(g: Geo, f: (b: number, oh: number, ow: number, fh: number, fw: number, ih: number, iw: number) => void): void {
  for (let b = 0; b < g.b; b++) for (let oh = 0; oh < g.oh; oh++) for (let ow = 0; ow < g.ow; ow++)
    for (let fh = 0; fh < g.fh; fh++) for (let fw = 0; fw < g.fw; fw++) {
      const ih = oh * g.s[0] + fh * g.d[0] - g.pt, iw = ow * g.s[1] + fw * g.d[1] - g.pl;
      if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) f(b, oh, ow, fh, fw, ih, iw);
    }
}
function refConvFilterGrad(x: Float32Array, dy: Float32Array, xShape: number[], fShape: number[], s: number, d: number, pad: Pad): Arr {
  const g = geo(xShape, fShape, s, d, pad, false), [, , ci, co] = fShape, out = new Float32Array(size(fShape));
  eachTap(g, (b, oh, ow, fh, fw, ih, iw) => {
    for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++)
      out[((fh * g.fw + fw) * ci + i) * co + o] += x[((b * g.h + ih) * g.w + iw) * ci + i] * dy[((b * g.oh + oh) * g.ow + ow) * co + o];
  });
  return { values: out, shape: fShape };
}
function refDepthwise(x: Float32Array | null, f: Float32Array | null, dy: Float32Array, xShape: number[], fShape: number[], s: number, d: number, pad: Pad): Arr {
  const g = geo(xShape, fShape, s, d, pad, true), [, , c, m] = fShape;
  const out = new Float32Array(x ? size(fShape) : size(xShape));
  eachTap(g, (b, oh, ow, fh, fw, ih, iw) => {
    for (let i = 0; i < c; i++) for (let k = 0; k < m; k++) {
      const dyv = dy[((b * g.oh + oh) * g.ow + ow) * c * m + i * m + k], fi = ((fh * g.fw + fw) * c + i) * m + k, xi = ((b * g.h + ih) * g.w + iw) * c + i;
      if (x) out[fi] += x[xi] * dyv; else out[xi] += f![fi] * dyv;
    }
  });
  return { values: out, shape: x ? fShape : xShape };
}

test.before(async () => {
  await tf.setBackend('cpu');
  await useWasmBackend();
  assert.equal(registerMissingWasmKernels(), [], 'idempotent: useWasmBackend() already registered them');
});

/** Runs f with the training kernels on (useFastTrainingKernels), then puts tfjs's own back. */
async function withTrainingKernels<T>(f: () => Promise<T>): Promise<T> {
  const own = FAST_TRAINING_KERNEL_NAMES.map((k) => tf.getKernel(k, 'wasm'));
  const restore = useFastTrainingKernels();
  try {
    assert.ok(fastTrainingKernelsActive());
    FAST_TRAINING_KERNEL_NAMES.forEach((k, i) => assert.ok(tf.getKernel(k, 'wasm') !== own[i], `${k} replaced`));
    return await f();
  } finally {
    restore();
    FAST_TRAINING_KERNEL_NAMES.forEach((k, i) => assert.ok(tf.getKernel(k, 'wasm') === own[i], `${k} restored`));
  }
}

test('the missing kernels are registered for wasm; the training kernels are not (opt-in)', () => {
  assert.is(tf.getBackend(), 'wasm');
  for (const k of MISSING_WASM_KERNEL_NAMES) assert.ok(tf.getKernel(k, 'wasm'), k);
  assert.is(fastTrainingKernelsActive(), false);
});

// [x shape, filter shape, strides, pad]
const CONV_CASES: Array<[number[], number[], number | [number, number], Pad]> = [
  [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 8, 8, 3], [3, 3, 3, 4], 1, 'valid'],
  [[2, 8, 8, 3], [3, 3, 3, 4], 2, 'same'],        // even input, stride 2
  [[2, 7, 9, 3], [3, 3, 3, 4], 2, 'same'],        // odd sizes
  [[2, 8, 8, 3], [3, 3, 3, 4], 2, 'valid'],       // last row/column unread
  [[2, 9, 9, 3], [3, 3, 3, 4], 2, 'valid'],
  [[2, 8, 8, 5], [1, 1, 5, 2], 1, 'same'],        // pointwise, Ci > Co
  [[2, 8, 8, 3], [1, 1, 3, 6], 2, 'valid'],       // pointwise stride 2, Ci < Co
  [[2, 9, 9, 3], [1, 1, 3, 4], 2, 'same'],
  [[2, 8, 8, 3], [2, 2, 3, 4], 2, 'same'],        // even filter
  [[2, 10, 8, 3], [5, 3, 3, 4], [2, 1], 'same'],  // unequal strides and filter sides
  [[2, 11, 10, 3], [3, 4, 3, 2], 3, 'same'],
  [[2, 11, 10, 3], [3, 2, 3, 2], [3, 4], 'valid'],
  [[2, 8, 8, 3], [3, 3, 3, 4], 1, [[0, 0], [2, 1], [0, 3], [0, 0]]],  // explicit pads
  [[2, 8, 8, 3], [3, 3, 3, 4], 2, [[0, 0], [4, 1], [0, 5], [0, 0]]],  // pads past the filter
  [[1, 12, 12, 5], [7, 7, 5, 2], 2, 'same'],
  [[2, 4, 4, 3], [5, 5, 3, 2], 2, 'same'],        // filter larger than the input
  [[3, 6, 6, 16], [3, 3, 16, 8], 1, 'same'],
  [[2, 9, 8, 16], [3, 3, 16, 4], 2, 'same'],      // >= 16 input channels, stride 2
];

test('Conv2DBackpropFilter: wasm = cpu (strides, same/valid/explicit pads, odd/even sizes, 1x1)', async () => {
  for (const [xShape, fShape, s, pad] of CONV_CASES) {
    const x = values(size(xShape), 1);
    const yShape = tf.tidy(() => tf.conv2d(zeros4(xShape), zeros4(fShape), s, pad).shape);
    const dy = values(size(yShape), 3);
    await sameOnBothBackends(`dW x=${xShape} f=${fShape} s=${s} pad=${JSON.stringify(pad)}`, () =>
      run('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, yShape) },
        { strides: s, pad, dataFormat: 'NHWC', filterShape: fShape }));
  }
});

test('Conv2DBackpropFilter: NCHW and dilation (against a plain loop)', async () => {
  // NCHW against cpu.
  const xShape = [2, 3, 7, 6], fShape = [3, 3, 3, 4];
  const x = values(size(xShape), 4), dyShape = [2, 4, 4, 3], dy = values(size(dyShape), 5);
  await sameOnBothBackends('dW NCHW', () => run('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) },
    { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: fShape }));
  // Dilation: tfjs' conv2d gradient refuses it, but the kernel honours a `dilations` attr.
  for (const [xs, fs, d, pad] of [[[2, 9, 9, 3], [3, 3, 3, 2], 2, 'same'], [[1, 10, 8, 2], [2, 3, 2, 3], 3, 'valid']] as const) {
    const xv = values(size([...xs]), 6), yShape = tf.tidy(() => tf.conv2d(tf.zeros([...xs]) as tf.Tensor4D, tf.zeros([...fs]) as tf.Tensor4D, 1, pad, 'NHWC', d).shape);
    const dyv = values(size(yShape), 7);
    const got = await on('wasm', () => run('Conv2DBackpropFilter', { x: tf.tensor(xv, [...xs]), dy: tf.tensor(dyv, yShape) },
      { strides: 1, pad, dataFormat: 'NHWC', filterShape: [...fs], dilations: d }));
    const e = relErr(got, refConvFilterGrad(xv, dyv, [...xs], [...fs], 1, d, pad));
    assert.ok(e <= 1e-5, `dW dilation ${d}: ${e}`);
  }
});

test('Conv2DBackpropInput (training kernel: XNNPACK convs): wasm = cpu', () => withTrainingKernels(async () => {
  for (const [xShape, fShape, s, pad] of CONV_CASES) {
    const f = values(size(fShape), 2);
    const yShape = tf.tidy(() => tf.conv2d(zeros4(xShape), zeros4(fShape), s, pad).shape);
    const dy = values(size(yShape), 3);
    await sameOnBothBackends(`dx x=${xShape} f=${fShape} s=${s} pad=${JSON.stringify(pad)}`, () =>
      run('Conv2DBackpropInput', { dy: tf.tensor(dy, yShape), filter: tf.tensor(f, fShape) },
        { strides: s, pad, dataFormat: 'NHWC', inputShape: xShape }));
  }
  const dy = values(2 * 4 * 4 * 3, 8), f = values(3 * 3 * 5 * 4, 9);
  await sameOnBothBackends('dx NCHW', () => run('Conv2DBackpropInput', { dy: tf.tensor(dy, [2, 4, 4, 3]), filter: tf.tensor(f, [3, 3, 5, 4]) },
    { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 5, 7, 6] }));
}));

// [x shape, filter shape (C, M), strides, pad, dilation]
const DW_CASES: Array<[number[], number[], number | [number, number], Pad, number]> = [
  [[2, 7, 7, 3], [3, 3, 3, 1], 1, 'same', 1],
  [[2, 8, 8, 3], [3, 3, 3, 2], 2, 'same', 1],      // channel multiplier 2
  [[2, 9, 7, 3], [5, 5, 3, 1], 2, 'same', 1],
  [[2, 8, 8, 3], [3, 3, 3, 3], 2, 'valid', 1],
  [[2, 9, 9, 4], [3, 3, 4, 1], 1, 'valid', 1],
  [[2, 10, 11, 2], [3, 3, 2, 2], 3, 'same', 1],
  [[2, 10, 9, 2], [3, 2, 2, 1], [2, 1], 'same', 1],
  [[1, 8, 8, 3], [3, 3, 3, 2], 2, [[0, 0], [2, 1], [0, 3], [0, 0]], 1],
  [[3, 6, 6, 16], [3, 3, 16, 1], 1, 'same', 1],   // 3x3 tiles of dy (the filter gradient)
  [[4, 16, 16, 8], [5, 5, 8, 1], 2, 'same', 1],   // 5x5 tiles, partial at the edge
  [[2, 8, 9, 16], [3, 3, 16, 1], 2, 'same', 1],
  [[2, 13, 12, 5], [3, 3, 5, 1], 1, 'valid', 1],
];
const DILATED_DW: Array<[number[], number[], number, Pad, number]> = [
  [[2, 9, 9, 3], [3, 3, 3, 1], 1, 'same', 2],
  [[1, 11, 10, 2], [3, 2, 2, 2], 1, 'valid', 3],
];

test('DepthwiseConv2dNativeBackpropInput / BackpropFilter: wasm = cpu', async () => {
  for (const [xShape, fShape, s, pad, d] of DW_CASES) {
    const x = values(size(xShape), 1), f = values(size(fShape), 2);
    const yShape = tf.tidy(() => tf.depthwiseConv2d(zeros4(xShape), zeros4(fShape), s, pad, 'NHWC', d).shape);
    const dy = values(size(yShape), 3);
    const label = `x=${xShape} f=${fShape} s=${s} pad=${JSON.stringify(pad)}`;
    await sameOnBothBackends(`depthwise dx ${label}`, () => run('DepthwiseConv2dNativeBackpropInput',
      { dy: tf.tensor(dy, yShape), filter: tf.tensor(f, fShape) }, { strides: s, pad, dilations: d, inputShape: xShape }));
    await sameOnBothBackends(`depthwise dW ${label}`, () => run('DepthwiseConv2dNativeBackpropFilter',
      { x: tf.tensor(x, xShape), dy: tf.tensor(dy, yShape) }, { strides: s, pad, dilations: d, filterShape: fShape }));
  }
});

test('Depthwise backprop with dilation (against a plain loop: the cpu kernels ignore dilation)', async () => {
  for (const [xShape, fShape, s, pad, d] of DILATED_DW) {
    const x = values(size(xShape), 11), f = values(size(fShape), 12);
    const yShape = tf.tidy(() => tf.depthwiseConv2d(zeros4(xShape), zeros4(fShape), s, pad, 'NHWC', d).shape);
    const dy = values(size(yShape), 13);
    const dx = await on('wasm', () => run('DepthwiseConv2dNativeBackpropInput',
      { dy: tf.tensor(dy, yShape), filter: tf.tensor(f, fShape) }, { strides: s, pad, dilations: d, inputShape: xShape }));
    const dW = await on('wasm', () => run('DepthwiseConv2dNativeBackpropFilter',
      { x: tf.tensor(x, xShape), dy: tf.tensor(dy, yShape) }, { strides: s, pad, dilations: d, filterShape: fShape }));
    assert.ok(relErr(dx, refDepthwise(null, f, dy, xShape, fShape, s, d, pad)) <= 1e-5, `dx dilation ${d}`);
    assert.ok(relErr(dW, refDepthwise(x, null, dy, xShape, fShape, s, d, pad)) <= 1e-5, `dW dilation ${d}`);
  }
});

test('UnsortedSegmentSum and the gather gradient: wasm = cpu', async () => {
  const x = values(6 * 4, 21);
  await sameOnBothBackends('segment sum', () => tf.unsortedSegmentSum(tf.tensor2d(x, [6, 4]), tf.tensor1d([0, 2, 0, 4, 1, 2], 'int32'), 5));
  // Ids outside [0, numSegments) are dropped.
  await sameOnBothBackends('segment sum, ids out of range', () =>
    tf.unsortedSegmentSum(tf.tensor2d(x, [6, 4]), tf.tensor1d([0, 7, 0, -1, 1, 2], 'int32'), 3));
  await sameOnBothBackends('segment sum, 1-D', () => tf.unsortedSegmentSum(tf.tensor1d(x.slice(0, 6)), tf.tensor1d([1, 1, 0, 2, 2, 2], 'int32'), 3));
  await sameOnBothBackends('gather gradient', () =>
    tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor1d([1, 1, 3, 0], 'int32'), 0).square().sum())(tf.tensor2d(x.slice(0, 8), [4, 2])));
  await sameOnBothBackends('gather gradient, axis 1', () =>
    tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor1d([2, 0, 2], 'int32'), 1).mul(2).sum())(tf.tensor2d(x.slice(0, 12), [4, 3])));
});

test('Tile and Sum/Mean fast paths (training kernels): wasm = cpu', () => withTrainingKernels(async () => {
  const v = values(4 * 5 * 6 * 3, 31);
  await sameOnBothBackends('tile [1,1,1,C]', () => tf.tile(tf.tensor4d(v.slice(0, 5), [1, 1, 1, 5]), [3, 4, 2, 1]));
  await sameOnBothBackends('tile 3-D', () => tf.tile(tf.tensor3d(v.slice(0, 12), [2, 3, 2]), [2, 1, 3]));
  await sameOnBothBackends('tile int32', () => tf.tile(tf.tensor2d([1, -2, 3, 4], [2, 2], 'int32'), [3, 2]));
  await sameOnBothBackends('tile bool', () => tf.tile(tf.tensor2d([true, false, false, true], [2, 2], 'bool'), [2, 3]).cast('float32'));
  const x = () => tf.tensor4d(v, [4, 5, 6, 3]);
  for (const [axis, keep] of [[[0, 1, 2], false], [[0, 1, 2], true], [[1, 0], false], [0, false], [[1, 2], false], [[1, 2], true], [[0, 2], false], [-1, true], [null, false]] as const) {
    await sameOnBothBackends(`sum ${axis} ${keep}`, () => tf.sum(x(), axis as never, keep));
    await sameOnBothBackends(`mean ${axis} ${keep}`, () => tf.mean(x(), axis as never, keep));
  }
}));

test('tf.grad through tfjs-layers fused conv2d / depthwise layers (a Grad-CAM target with convs after it)', async () => {
  const head = () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 4], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'ones', biasInitializer: 'ones' }));
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu', depthwiseInitializer: 'ones' }));
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', kernelInitializer: 'ones' }));
    m.add(tf.layers.globalAveragePooling2d({}));
    m.add(tf.layers.dense({ units: 3, kernelInitializer: 'ones' }));
    return m;
  };
  const a = values(2 * 8 * 8 * 4, 41).map((t) => t * 0.1);
  const f = () => {
    const m = head();
    const g = tf.grad((t: tf.Tensor) => (m.apply(t) as tf.Tensor).slice([0, 1], [2, 1]).sum())(tf.tensor4d(a, [2, 8, 8, 4]));
    m.dispose();
    return g;
  };
  await sameOnBothBackends('grad of a logit w.r.t. a feature map', f);
});

/** The weights of a small conv net after one SGD step, computed on `backend`. */
async function oneTrainingStep(backend: string, init: Float32Array[] | null): Promise<{ before: Float32Array[]; after: Float32Array[]; loss: number }> {
  await tf.setBackend(backend);
  try {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
    m.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    if (init) m.setWeights(init.map((v, i) => tf.tensor(v, m.getWeights()[i].shape)));
    const before = m.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
    const xs = tf.tensor4d(values(6 * 12 * 12 * 3, 51), [6, 12, 12, 3]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4).toFloat();
    const loss = (await m.trainOnBatch(xs, ys)) as number;
    const after = m.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
    tf.dispose([xs, ys]);
    m.dispose();
    return { before, after, loss };
  } finally {
    await tf.setBackend('wasm');
  }
}

async function trainingStepAgrees(): Promise<void> {
  const w = await oneTrainingStep('wasm', null);
  const c = await oneTrainingStep('cpu', w.before);
  assert.ok(Math.abs(w.loss - c.loss) <= 1e-4 * Math.abs(c.loss), `loss ${w.loss} vs ${c.loss}`);
  assert.is(w.after.length, c.after.length);
  let changed = 0;
  w.after.forEach((v, i) => {
    const e = relErr({ values: v, shape: [v.length] }, { values: c.after[i], shape: [v.length] });
    assert.ok(e <= 1e-4, `weight ${i}: wasm vs cpu ${e}`);
    // The update itself (not only the weights) agrees.
    const dw = v.map((t, j) => t - w.before[i][j]), dc = c.after[i].map((t, j) => t - w.before[i][j]);
    if (dc.some((t) => t !== 0)) {
      changed++;
      const eu = relErr({ values: dw, shape: [v.length] }, { values: dc, shape: [v.length] });
      assert.ok(eu <= 1e-3, `update of weight ${i}: wasm vs cpu ${eu}`);
    }
  });
  assert.ok(changed >= 10, `only ${changed} weights changed`);
}

test('one training step of a conv/batchNorm/depthwise/separable/dense net: wasm = cpu (tfjs\'s own kernels + the missing ones)', trainingStepAgrees);
test('the same training step with the training kernels: wasm = cpu', () => withTrainingKernels(trainingStepAgrees));

test('no leaks: tensors, bytes and wasm data buffers stay flat across repeated gradients (training kernels on)', () => withTrainingKernels(async () => {
  const x = tf.tensor4d(values(4 * 10 * 10 * 6, 61), [4, 10, 10, 6]);
  const w = tf.tensor4d(values(3 * 3 * 6 * 8, 62), [3, 3, 6, 8]);
  const dw = tf.tensor4d(values(3 * 3 * 8 * 2, 63), [3, 3, 8, 2]);
  const ids = tf.tensor1d([0, 3, 3, 9], 'int32');
  const step = () => tf.tidy(() => {
    const [gx, gw, gd] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.depthwiseConv2d(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 1, 'valid').square().sum())([x, w, dw]);
    const gp = tf.grad((p: tf.Tensor) => tf.gather(p, ids).sum())(tf.reshape(x, [40, 60]));
    const gt = tf.grad((p: tf.Tensor) => tf.tile(p, [2, 1, 1, 3]).mean([0, 1, 2]).sum())(x);
    return tf.addN([gx.sum(), gw.sum(), gd.sum(), gp.sum(), gt.sum()]).dataSync()[0];
  });
  step();
  const before = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  let first = NaN;
  for (let i = 0; i < 5; i++) {
    const v = step();
    if (i === 0) first = v; else assert.is(v, first, 'repeated gradients differ');
  }
  const after = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  assert.is(after.numTensors, before.numTensors, 'numTensors');
  assert.is(after.numBytes, before.numBytes, 'numBytes');
  assert.is(after.numDataBuffers, before.numDataBuffers, 'numDataBuffers (the wasm backend\'s own data ids)');
  tf.dispose([x, w, dw, ids]);
}));

// Measurement, off by default: WASM_GRAD_BENCH=1 (wasm, ~10 s) or WASM_GRAD_BENCH=cpu (also the cpu
// backend, 5-10 min) node --import tsx test/wasm-gradients.test.ts
// One SGD step, batch 32 of 64x64x3, of a small ResNet-ish stack (3x3/2 stem, 3 basic residual
// blocks of 32/64/128 channels with batch norm, GAP, dense).
const BENCH = process.env.WASM_GRAD_BENCH;
if (BENCH) {
  test('measurement: one training step, wasm vs cpu', async () => {
    type S = tf.SymbolicTensor;
    const conv = (x: S, filters: number, kernelSize: number, strides: number) =>
      tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as S;
    const bn = (x: S) => tf.layers.batchNormalization().apply(x) as S;
    const relu = (x: S) => tf.layers.reLU().apply(x) as S;
    const build = () => {
      const inp = tf.input({ shape: [64, 64, 3] });
      let x = relu(bn(conv(inp, 32, 3, 2)));
      for (const [f, s] of [[32, 1], [64, 2], [128, 2]]) {
        const y = bn(conv(relu(bn(conv(x, f, 3, s))), f, 3, 1));
        const sc = s === 1 && x.shape[3] === f ? x : bn(conv(x, f, 1, s));
        x = relu(tf.layers.add().apply([y, sc]) as S);
      }
      const out = tf.layers.dense({ units: 10 }).apply(tf.layers.globalAveragePooling2d({}).apply(x)) as S;
      return tf.model({ inputs: inp, outputs: out });
    };
    const timeStep = async (backend: string, reps: number, setup?: () => void): Promise<number> => {
      await tf.setBackend(backend);
      setup?.();
      const model = build(), opt = tf.train.sgd(0.01);
      const xs = tf.randomNormal([32, 64, 64, 3], 0, 1, 'float32', 7);
      const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10).toFloat();
      const step = () => {
        const t0 = performance.now();
        const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
        l.dataSync();
        l.dispose();
        return performance.now() - t0;
      };
      let best = Infinity;
      if (backend === 'wasm') step();  // warm-up; the cpu backend gets none (one step is minutes)
      for (let i = 0; i < reps; i++) best = Math.min(best, step());
      tf.dispose([xs, ys]);
      model.dispose();
      opt.dispose();
      await tf.setBackend('wasm');
      return best;
    };
    const restore = useFastTrainingKernels();
    const wasm = await timeStep('wasm', 3);
    restore();
    const own = await timeStep('wasm', 3);
    console.log(`\n  wasm: ${wasm.toFixed(0)} ms a step with the training kernels (useFastTrainingKernels), ` +
      `${own.toFixed(0)} ms with tfjs's own (${(own / wasm).toFixed(1)}x)`);
    if (BENCH === 'cpu') {
      const cpu = await timeStep('cpu', 1);
      console.log(`  cpu: ${cpu.toFixed(0)} ms a step; cpu / wasm = ${(cpu / wasm).toFixed(0)}x`);
    }
  });
}

test.run();
