/**
 * Gradient kernels that the tfjs 'wasm' backend (4.22) lacks, composed from kernels it has, and
 * faster versions of a few it has that make training a conv net on wasm slow.
 *
 * Missing (registered):
 * - Conv2DBackpropFilter: needed by every conv2d gradient (tfjs-layers' fused conv2d asks for it
 *   even when only the input gradient is wanted, e.g. a Grad-CAM target with convs after it).
 * - DepthwiseConv2dNativeBackpropInput / DepthwiseConv2dNativeBackpropFilter: depthwise and
 *   separable convolutions (MobileNet, EfficientNet).
 * - UnsortedSegmentSum: the gradient of gather.
 * Replaced or given fast paths (see WASM_REPLACED_KERNELS):
 * - Conv2DBackpropInput: the wasm kernel is a scalar C++ loop, 5-15x slower than the forward conv.
 * - Tile, and Sum / Mean over a run of axes that is not the last (batchNorm's gradient).
 *
 * Each kernel calls the wasm backend's own kernel functions directly (as the backend's kernels call
 * each other) and frees its intermediates with backend.disposeData; the arithmetic runs in XNNPACK
 * (the wasm Conv2D, DepthwiseConv2dNative and BatchMatMul kernels), and only layout work (crops,
 * interleaving, tiles, sums of a few partial results) is done in loops over the wasm heap.
 * The identity behind each kernel is written above it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registers the wasm kernels that these compose and replace
import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type Pair = [number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type PadAttr = 'valid' | 'same' | number | ExplicitPad;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** The part of the wasm backend (BackendWasm) these kernels use. */
interface WasmBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const BACKEND = 'wasm';

/** Kernel names registered by this module. */
export const WASM_GRADIENT_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
] as const;

const kernelCache = new Map<string, KernelFunc>();
function wasmKernel(name: string): KernelFunc {
  let f = kernelCache.get(name);
  if (!f) {
    const cfg = tf.getKernel(name, BACKEND);
    if (!cfg) throw new Error(`wasm-gradients: the wasm backend has no '${name}' kernel`);
    f = cfg.kernelFunc;
    kernelCache.set(name, f);
  }
  return f;
}

/**
 * Runs wasm kernels and remembers every TensorInfo they return; `done(result)` frees all of them
 * except `result`. A Reshape result shares its input's data (with its own reference), so freeing
 * each returned info once is always balanced.
 */
class Ops {
  private temps: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackend) {}

  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = wasmKernel(name)({ inputs, backend: this.backend as never, attrs }) as TensorInfo;
    this.temps.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }
  /**
   * A 4-D slice (with strides on the first three axes) copied straight out of the wasm heap: the
   * wasm Slice kernel first copies its whole input out of the heap, and its StridedSlice is a slow
   * per-element loop (~100 ns an element). Returns x itself when nothing is cut.
   */
  crop4d(x: TensorInfo, begin: number[], size: number[], strides: number[] = [1, 1, 1]): TensorInfo {
    const unit = strides.every((v) => v === 1);
    if (unit && begin.every((v) => v === 0) && size.every((v, i) => v === x.shape[i])) return x;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      if (!unit) throw new Error('wasm-gradients: strided crop of ' + x.dtype);
      return this.slice(x, begin, size);
    }
    const out = this.backend.makeOutput(size, x.dtype);
    this.temps.push(out);
    // Views after makeOutput: an allocation may grow (and so detach) the heap.
    const src = this.backend.typedArrayFromHeap(x), dst = this.backend.typedArrayFromHeap(out);
    const [, h, w, c] = x.shape;
    const [n0, n1, n2, n3] = size;
    const [s0, s1, s2] = strides;
    const contiguousRow = n3 === c && s2 === 1;
    let o = 0;
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        const rowStart = (((begin[0] + i * s0) * h + begin[1] + j * s1) * w + begin[2]) * c + begin[3];
        if (contiguousRow) {
          dst.set(src.subarray(rowStart, rowStart + n2 * c), o);
          o += n2 * c;
        } else {
          for (let k = 0; k < n2; k++) {
            const p = rowStart + k * s2 * c;
            dst.set(src.subarray(p, p + n3), o);
            o += n3;
          }
        }
      }
    }
    return out;
  }

  /** A new float32 tensor with uninitialised data. */
  output(shape: number[]): TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.temps.push(out);
    return out;
  }

  /** A view of t's data on the wasm heap (valid until the next allocation). */
  view(t: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** Frees t now (an intermediate of this Ops). */
  free(t: TensorInfo): void {
    const i = this.temps.indexOf(t);
    if (i >= 0) {
      this.temps.splice(i, 1);
      this.backend.disposeData(t.dataId);
    }
  }

  zeros(shape: number[], dtype: DataType = 'float32'): TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype });
  }

  owns(t: TensorInfo): boolean {
    return this.temps.includes(t);
  }

  /** Frees every intermediate except `keep`, and returns `keep`. */
  done(keep?: TensorInfo): TensorInfo {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps = [];
    return keep as TensorInfo;
  }
}

function withOps(backend: unknown, f: (ops: Ops) => TensorInfo): TensorInfo {
  const ops = new Ops(backend as WasmBackend);
  try {
    let out = f(ops);
    // A kernel must return data of its own (never one of its inputs as it is).
    if (!ops.owns(out)) out = ops.run('Identity', { x: out });
    return ops.done(out);
  } catch (e) {
    ops.done();
    throw e;
  }
}

/** Window geometry of a forward conv, from tfjs' own padding rules (conv_util.computeConv2DInfo). */
interface Geometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number;
  fh: number; fw: number;
  sh: number; sw: number;
  dh: number; dw: number;
  padTop: number; padLeft: number;
}

function geometry(
  xShape: number[], filterShape: number[], strides: number | number[], dilations: number | number[],
  pad: PadAttr, dimRoundingMode: RoundingMode, depthwise: boolean,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides as number, dilations as number, pad as 'same', dimRoundingMode, depthwise, 'channelsLast');
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth,
    fh: info.filterHeight, fw: info.filterWidth,
    sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
}

/**
 * Makes x the exact input of the "correlation" conv of a filter gradient: the last row it reads is
 * (outH-1)*sh + (fh-1)*dh - padTop; rows past it are cropped (they would only add output rows), and
 * rows missing below are left to the conv's bottom padding. Returns x (cropped) and the bottom/right
 * pads, or null when every tap reads padding (the gradient is zero).
 */
function fitForCorrelation(ops: Ops, x: TensorInfo, g: Geometry):
  { x: TensorInfo; padBottom: number; padRight: number } | null {
  const lastRow = (g.outH - 1) * g.sh + (g.fh - 1) * g.dh - g.padTop;
  const lastCol = (g.outW - 1) * g.sw + (g.fw - 1) * g.dw - g.padLeft;
  if (lastRow < 0 || lastCol < 0 || g.outH <= 0 || g.outW <= 0) return null;
  const rows = Math.min(g.inH, lastRow + 1), cols = Math.min(g.inW, lastCol + 1);
  const xc = ops.crop4d(x, [0, 0, 0, 0], [g.batch, rows, cols, g.inC]);
  return { x: xc, padBottom: lastRow + 1 - rows, padRight: lastCol + 1 - cols };
}

function checkDy(name: string, dy: TensorInfo, g: Geometry, outC: number): void {
  const want = [g.batch, g.outH, g.outW, outC];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${name}: dy has shape [${dy.shape}], expected [${want}]`);
  }
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
//
// dW[fh,fw,ci,co] = sum_{b,oh,ow} x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, ci] * dy[b,oh,ow,co]
//
// Read with ci as the batch, (fh,fw) as the output pixel, (oh,ow) as the kernel tap and b as the
// contracted channel, this is a plain conv2d:
//   input  X' = transpose(x,  [3,1,2,0])  [Ci, H, W, B]
//   filter F' = transpose(dy, [1,2,0,3])  [OH, OW, B, Co]
//   conv2d(X', F', strides = dilation, dilations = stride, pads = (padTop, padLeft) + what is
//   needed to reach the last read row/column) -> [Ci, FH, FW, Co] -> transpose [1,2,0,3].
// One XNNPACK IGEMM does all the arithmetic. A 1x1 unpadded conv is a single matmul instead:
//   dW = transpose(x_strided)[Ci, N] . dy[N, Co], N = B*OH*OW (XNNPACK fully-connected).
// ---------------------------------------------------------------------------------------------
function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const filterShape = attrs.filterShape as number[];
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  return withOps(backend, (ops) => {
    let x = inputs.x, dy = inputs.dy;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
      x = x.dtype === 'float32' ? x : ops.run('Cast', { x }, { dtype: 'float32' });
      dy = dy.dtype === 'float32' ? dy : ops.run('Cast', { x: dy }, { dtype: 'float32' });
    }
    if (dataFormat === 'NCHW') {
      x = ops.transpose(x, [0, 2, 3, 1]);
      dy = ops.transpose(dy, [0, 2, 3, 1]);
    }
    const g = geometry(x.shape, filterShape, attrs.strides as number[], (attrs.dilations as number[]) ?? 1,
      attrs.pad as PadAttr, attrs.dimRoundingMode as RoundingMode, false);
    const [fh, fw, ci, co] = filterShape;
    if (ci !== g.inC) throw new Error(`Conv2DBackpropFilter: filterShape [${filterShape}] does not fit x [${x.shape}]`);
    checkDy('Conv2DBackpropFilter', dy, g, co);

    if (fh === 1 && fw === 1 && g.padTop === 0 && g.padLeft === 0) {
      // Pointwise: rows/columns read are 0, s, 2s, ... (outH-1)*s.
      let xs = x;
      if (g.sh !== 1 || g.sw !== 1 || g.outH !== g.inH || g.outW !== g.inW) {
        xs = ops.crop4d(x, [0, 0, 0, 0], [g.batch, g.outH, g.outW, ci], [1, g.sh, g.sw]);
      }
      const n = g.batch * g.outH * g.outW;
      // XNNPACK's fully-connected op (BatchMatMul without transposes) re-reads its weights for
      // every few rows of its input, so the operand with more channels goes transposed as the
      // input (rows) and the other as the weights. The weights operand is cached by tensor id (not
      // by shape) and tensors of other shapes may share x's or dy's data, so it is a private copy.
      const copyOf = (t: TensorInfo, cols: number) =>
        ops.owns(t) ? ops.reshape(t, [1, n, cols]) : ops.run('Identity', { x: ops.reshape(t, [1, n, cols]) });
      if (ci >= co) {
        const a = ops.reshape(ops.transpose(ops.reshape(xs, [n, ci]), [1, 0]), [1, ci, n]);
        const prod = ops.run('BatchMatMul', { a, b: copyOf(dy, co) }, { transposeA: false, transposeB: false });
        return ops.reshape(prod, [1, 1, ci, co]);
      }
      const a = ops.reshape(ops.transpose(ops.reshape(dy, [n, co]), [1, 0]), [1, co, n]);
      const prod = ops.run('BatchMatMul', { a, b: copyOf(xs, ci) }, { transposeA: false, transposeB: false });
      return ops.reshape(ops.transpose(ops.reshape(prod, [co, ci]), [1, 0]), [1, 1, ci, co]);
    }

    const fit = fitForCorrelation(ops, x, g);
    if (!fit) return ops.zeros(filterShape);
    const xT = ops.transpose(fit.x, [3, 1, 2, 0]);        // [Ci, H', W', B]
    const dyT = ops.transpose(dy, [1, 2, 0, 3]);          // [OH, OW, B, Co]
    const out = ops.run('Conv2D', { x: xT, filter: dyT }, {
      strides: [g.dh, g.dw], dilations: [g.sh, g.sw], dataFormat: 'NHWC',
      pad: [[0, 0], [g.padTop, fit.padBottom], [g.padLeft, fit.padRight], [0, 0]],
    });                                                    // [Ci, FH, FW, Co]
    return ops.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * Depthwise filter gradient (channel multiplier 1) with small kernels. dy is cut into tiles of
 * t x t pixels; every (tile, batch, channel) becomes one channel of a single depthwise conv whose
 * kernel is that tile of dy and whose input is the window of x the tile reads (zeros outside x):
 *   X[0, u, v, (k, c)] = x[b, p*t*sh - padTop + u, q*t*sw - padLeft + v, c]   (k = (p, q, b))
 *   F[i, j, (k, c), 0] = dy[b, p*t + i, q*t + j, c]
 *   depthwiseConv2d(X, F, strides = dilation, dilations = stride, 'valid') -> [1, FH, FW, (k, c)]
 * and the sum over k is done on the heap. XNNPACK runs this with its depthwise microkernels,
 * whereas one conv with the whole of dy as its kernel (OH*OW taps) takes a slow generic path.
 */
function depthwiseFilterGradTiled(ops: Ops, x: TensorInfo, dy: TensorInfo, g: Geometry, c: number): TensorInfo {
  // XNNPACK (tfjs 4.22) has depthwise microkernels for 9 and 25 taps (other sizes measured 2-3x
  // slower), so tiles are 3x3 or 5x5 (partial tiles padded with zeros), whichever makes less work
  // (kernel taps + the input window copied, per tile).
  const span = (t: number, s: number, f: number, d: number) => (t - 1) * s + (f - 1) * d + 1;
  const cost = (t: number) => Math.ceil(g.outH / t) * Math.ceil(g.outW / t) *
    (t * t + span(t, g.sh, g.fh, g.dh) * span(t, g.sw, g.fw, g.dw));
  const th = cost(3) < cost(5) ? 3 : 5, tw = th;
  const P = Math.ceil(g.outH / th), Q = Math.ceil(g.outW / tw);
  const U = span(th, g.sh, g.fh, g.dh), V = span(tw, g.sw, g.fw, g.dw);
  const blocks = P * Q * g.batch, ch = blocks * c;
  const X = ops.zeros([1, U, V, ch]);
  const F = ops.zeros([th, tw, ch, 1]);
  {
    const xs = ops.view(x), dys = ops.view(dy), Xv = ops.view(X), Fv = ops.view(F);
    const { inH: H, inW: W, outH: OH, outW: OW } = g;
    for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) for (let b = 0; b < g.batch; b++) {
      const k = (p * Q + q) * g.batch + b;
      for (let i = 0; i < th && p * th + i < OH; i++) {
        for (let j = 0; j < tw && q * tw + j < OW; j++) {
          const src = ((b * OH + p * th + i) * OW + q * tw + j) * c;
          Fv.set(dys.subarray(src, src + c), (i * tw + j) * ch + k * c);
        }
      }
      for (let u = 0; u < U; u++) {
        const row = p * th * g.sh - g.padTop + u;
        if (row < 0 || row >= H) continue;
        for (let v = 0; v < V; v++) {
          const col = q * tw * g.sw - g.padLeft + v;
          if (col < 0 || col >= W) continue;
          const src = ((b * H + row) * W + col) * c;
          Xv.set(xs.subarray(src, src + c), (u * V + v) * ch + k * c);
        }
      }
    }
  }
  const out = ops.run('DepthwiseConv2dNative', { x: X, filter: F }, {
    strides: [g.dh, g.dw], dilations: [g.sh, g.sw], pad: 'valid',
  });                                                      // [1, FH, FW, blocks*C]
  ops.free(X);
  ops.free(F);
  const taps = g.fh * g.fw;
  const result = ops.output([g.fh, g.fw, c, 1]);
  const o = ops.view(out), r = ops.view(result);
  const acc = new Float64Array(c);
  for (let t = 0; t < taps; t++) {
    acc.fill(0);
    for (let k = 0; k < blocks; k++) {
      const base = (t * blocks + k) * c;
      for (let j = 0; j < c; j++) acc[j] += o[base + j];
    }
    for (let j = 0; j < c; j++) r[t * c + j] = acc[j];
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropFilter
//
// dW[fh,fw,c,m] = sum_{b,oh,ow} x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, c] * dy[b,oh,ow,c*M+m]
//
// With batch 1 and one channel per (b, c) it is a depthwise conv whose filter is dy:
//   input  transpose(x,  [1,2,0,3]) as [1, H, W, B*C]
//   filter transpose(dy, [1,2,0,3]) as [OH, OW, B*C, M]
//   depthwiseConv2d(strides = dilation, dilations = stride, pads as for conv2d)
//   -> [1, FH, FW, B*C*M] as [FH, FW, B, C*M] -> sum over B -> [FH, FW, C, M].
// That kernel has OH*OW taps, which XNNPACK runs on a slow generic path (~0.3 GFLOP/s), so for the
// usual multiplier M = 1 dy is first cut into 3x3 or 5x5 tiles (depthwiseFilterGradTiled, 2-4x
// faster); M > 1 uses the single conv.
// ---------------------------------------------------------------------------------------------
function depthwiseConv2dNativeBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const filterShape = attrs.filterShape as number[];
  return withOps(backend, (ops) => {
    let x = inputs.x, dy = inputs.dy;
    if (x.dtype !== 'float32') x = ops.run('Cast', { x }, { dtype: 'float32' });
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    const g = geometry(x.shape, filterShape, attrs.strides as number[], (attrs.dilations as number[]) ?? 1,
      attrs.pad as PadAttr, attrs.dimRoundingMode as RoundingMode, true);
    const [fh, fw, c, m] = filterShape;
    if (c !== g.inC) throw new Error(`DepthwiseConv2dNativeBackpropFilter: filterShape [${filterShape}] does not fit x [${x.shape}]`);
    checkDy('DepthwiseConv2dNativeBackpropFilter', dy, g, c * m);

    if (m === 1) return depthwiseFilterGradTiled(ops, x, dy, g, c);
    const fit = fitForCorrelation(ops, x, g);
    if (!fit) return ops.zeros(filterShape);
    const [, h2, w2] = fit.x.shape;
    const b = g.batch;
    const xT = ops.reshape(ops.transpose(fit.x, [1, 2, 0, 3]), [1, h2, w2, b * c]);
    const dyT = ops.reshape(ops.transpose(dy, [1, 2, 0, 3]), [g.outH, g.outW, b * c, m]);
    const out = ops.run('DepthwiseConv2dNative', { x: xT, filter: dyT }, {
      strides: [g.dh, g.dw], dilations: [g.sh, g.sw],
      pad: [[0, 0], [g.padTop, fit.padBottom], [g.padLeft, fit.padRight], [0, 0]],
    });                                                    // [1, FH, FW, B*C*M]
    if (b === 1) return ops.reshape(out, filterShape);
    const summed = ops.run('Sum', { x: ops.reshape(out, [fh, fw, b, c * m]) }, { axis: [2], keepDims: false });
    return ops.reshape(summed, filterShape);
  });
}

// ---------------------------------------------------------------------------------------------
// Input gradients (transposed convolutions), split by output phase.
//
// dx[i] = sum_{fh : (i + padTop - fh*d) = oh*s, 0 <= oh < OH} dy[oh] * w[fh]      (per axis)
//
// Output rows i = q*s + r of one phase r are reached only by the taps fh with
// fh*d = r + padTop (mod s): an arithmetic progression fh0, fh0 + st, ... (st = s/gcd(s,d)), whose
// dy rows are q + c0 - k*(d/gcd). So each phase is an ordinary stride-1 correlation of dy with the
// reversed sub-filter of those taps (dilation d/gcd, pads from c0), i.e. one XNNPACK conv, and the
// s*s phase outputs are interleaved into dx by copies on the heap. Unlike spreading dy with zeros
// (s*s times the work), no zeros are multiplied; for stride 1 this is the single conv of dy with the
// rotated filter.
// ---------------------------------------------------------------------------------------------
interface AxisPhase {
  count: number;        // output rows of this phase: ceil((in - r) / s)
  taps: number;         // K (0: the phase gets no contribution)
  begin: number;        // first row of the sub-filter in the reversed filter
  step: number;         // tap step in the filter
  dilation: number;     // tap step in dy
  padBefore: number;    // may be negative (crop dy)
  padAfter: number;
}

function axisPhases(inSize: number, outSize: number, f: number, s: number, d: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const count = Math.max(0, Math.ceil((inSize - r) / s));
    const taps: number[] = [];
    for (let fh = 0; fh < f; fh++) if ((((fh * d - r - pad) % s) + s) % s === 0) taps.push(fh);
    if (taps.length === 0 || count === 0) {
      phases.push({ count, taps: 0, begin: 0, step: 1, dilation: 1, padBefore: 0, padAfter: 0 });
      continue;
    }
    const k = taps.length, first = taps[0];
    const step = k > 1 ? taps[1] - taps[0] : 1;
    const dilation = k > 1 ? (step * d) / s : 1;
    const c0 = (r + pad - first * d) / s;
    const padBefore = (k - 1) * dilation - c0;
    const padAfter = count - outSize - padBefore + (k - 1) * dilation;
    phases.push({ count, taps: k, begin: f - 1 - first - (k - 1) * step, step, dilation, padBefore, padAfter });
  }
  return phases;
}

/**
 * dx of a conv whose geometry is g, from dy [B, OH, OW, *] and the filter reversed along its two
 * spatial axes (wRev, [FH, FW, *, *]). `conv` runs a stride-1 conv of a (cropped) dy with a
 * sub-filter and returns [B, rows, cols, outC].
 */
function transposedConv(
  ops: Ops, dy: TensorInfo, g: Geometry, wRev: TensorInfo, outC: number,
  conv: (x: TensorInfo, filter: TensorInfo, pad: ExplicitPad, dilations: Pair) => TensorInfo,
  kernelSize?: (kh: number, kw: number) => Pair,
): TensorInfo {
  const ph = axisPhases(g.inH, g.outH, g.fh, g.sh, g.dh, g.padTop);
  const pw = axisPhases(g.inW, g.outW, g.fw, g.sw, g.dw, g.padLeft);
  const b = g.batch;
  // One phase: [B, count_h, count_w, outC], or null when no tap reaches it (its rows are zero).
  const phase = (a: AxisPhase, c: AxisPhase): TensorInfo | null => {
    if (a.taps === 0 || c.taps === 0 || a.count === 0 || c.count === 0) return null;
    // A kernel grown with zero taps at its end (kernelSize) reads that much further into dy.
    const [kh, kw] = kernelSize ? kernelSize(a.taps, c.taps) : [a.taps, c.taps];
    const padAfterH = a.padAfter + (kh - a.taps) * a.dilation, padAfterW = c.padAfter + (kw - c.taps) * c.dilation;
    const rows = g.outH + Math.min(0, a.padBefore) + Math.min(0, padAfterH);
    const cols = g.outW + Math.min(0, c.padBefore) + Math.min(0, padAfterW);
    if (rows <= 0 || cols <= 0) return null;
    const x = ops.crop4d(dy, [0, Math.max(0, -a.padBefore), Math.max(0, -c.padBefore), 0], [b, rows, cols, dy.shape[3]]);
    const [, , ci, co] = wRev.shape;
    let sub = ops.crop4d(wRev, [a.begin, c.begin, 0, 0], [a.taps, c.taps, ci, co], [a.step, c.step, 1]);
    if (kh !== a.taps || kw !== c.taps) {
      const grown = ops.zeros([kh, kw, ci, co]);
      const src = ops.view(sub), dst = ops.view(grown);
      for (let i = 0; i < a.taps; i++) dst.set(src.subarray(i * c.taps * ci * co, (i + 1) * c.taps * ci * co), i * kw * ci * co);
      if (sub !== wRev) ops.free(sub);
      sub = grown;
    }
    const out = conv(x, sub, [[0, 0], [Math.max(0, a.padBefore), Math.max(0, padAfterH)],
      [Math.max(0, c.padBefore), Math.max(0, padAfterW)], [0, 0]], [a.dilation, c.dilation]);
    if (x !== dy) ops.free(x);
    if (sub !== wRev) ops.free(sub);
    return out;
  };
  if (g.sh === 1 && g.sw === 1) return phase(ph[0], pw[0]) ?? ops.zeros([b, g.inH, g.inW, outC]);

  // Interleave the phases: row q of phase (rh, rw) is row q*sh + rh of dx (columns likewise).
  const parts = ph.map((a) => pw.map((c) => phase(a, c)));
  const dx = parts.some((r) => r.some((p) => p === null)) ? ops.zeros([b, g.inH, g.inW, outC])
    : ops.output([b, g.inH, g.inW, outC]);
  const dst = ops.view(dx);
  for (let rh = 0; rh < g.sh; rh++) {
    for (let rw = 0; rw < g.sw; rw++) {
      const p = parts[rh][rw];
      if (!p) continue;
      const src = ops.view(p);
      const [, nh, nw] = p.shape;
      let o = 0;
      for (let i = 0; i < b; i++) {
        for (let q = 0; q < nh; q++) {
          let d = ((i * g.inH + q * g.sh + rh) * g.inW + rw) * outC;
          if (outC >= 16) {
            for (let k = 0; k < nw; k++, o += outC, d += g.sw * outC) dst.set(src.subarray(o, o + outC), d);
          } else {  // a few channels: element copies beat subarray().set() calls
            for (let k = 0; k < nw; k++, d += (g.sw - 1) * outC) for (let j = 0; j < outC; j++) dst[d++] = src[o++];
          }
        }
      }
    }
  }
  for (const r of parts) for (const p of r) if (p) ops.free(p);
  return dx;
}

// Conv2DBackpropInput: the wasm backend has it, as a scalar C++ loop 5-15x slower than the forward
// conv; this replaces it with the phase-split XNNPACK convs above (filter [FH, FW, Co, Ci]).
function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const dataFormat = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  let inputShape = attrs.inputShape as number[];
  return withOps(backend, (ops) => {
    let dy = inputs.dy, filter = inputs.filter;
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    if (filter.dtype !== 'float32') filter = ops.run('Cast', { x: filter }, { dtype: 'float32' });
    if (dataFormat === 'NCHW') {
      dy = ops.transpose(dy, [0, 2, 3, 1]);
      inputShape = [inputShape[0], inputShape[2], inputShape[3], inputShape[1]];
    }
    const g = geometry(inputShape, filter.shape, attrs.strides as number[], (attrs.dilations as number[]) ?? 1,
      attrs.pad as PadAttr, attrs.dimRoundingMode as RoundingMode, false);
    const [, , ci, co] = filter.shape;
    checkDy('Conv2DBackpropInput', dy, g, co);
    const wRev = ops.run('Reverse', { x: ops.transpose(filter, [0, 1, 3, 2]) }, { dims: [0, 1] });
    const dx = transposedConv(ops, dy, g, wRev, ci, (x, f, pad, dilations) =>
      ops.run('Conv2D', { x, filter: f }, { strides: [1, 1], dilations, pad, dataFormat: 'NHWC' }));
    return dataFormat === 'NCHW' ? ops.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

/**
 * XNNPACK (tfjs 4.22) runs depthwise convs of 1, 4, 9 or 25 taps with fast microkernels and others
 * 2-10x slower (measured: a 2x1 kernel takes 6x as long as a 3x3), so phase kernels of other sizes
 * up to 5x5 are grown with zero taps to 2x2, 3x3 or 5x5.
 */
function depthwiseKernelSize(kh: number, kw: number): Pair {
  const k = Math.max(kh, kw);
  if (kh * kw === 1 || kh * kw === 4 || kh * kw === 9 || kh * kw === 25 || k > 5) return [kh, kw];
  const side = k <= 2 ? 2 : k === 3 ? 3 : 5;
  return [side, side];
}

// DepthwiseConv2dNativeBackpropInput: the same with depthwise convs; the filter [FH, FW, C, M]
// acts as [FH, FW, C*M, 1] on dy's C*M channels, and the M products of each channel are summed.
function depthwiseConv2dNativeBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const inputShape = attrs.inputShape as number[];
  return withOps(backend, (ops) => {
    let dy = inputs.dy, filter = inputs.filter;
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    if (filter.dtype !== 'float32') filter = ops.run('Cast', { x: filter }, { dtype: 'float32' });
    const g = geometry(inputShape, filter.shape, attrs.strides as number[], (attrs.dilations as number[]) ?? 1,
      attrs.pad as PadAttr, attrs.dimRoundingMode as RoundingMode, true);
    const [fh, fw, c, m] = filter.shape;
    checkDy('DepthwiseConv2dNativeBackpropInput', dy, g, c * m);
    const wRev = ops.reshape(ops.run('Reverse', { x: filter }, { dims: [0, 1] }), [fh, fw, c * m, 1]);
    return transposedConv(ops, dy, g, wRev, c, (x, f, pad, dilations) => {
      const out = ops.run('DepthwiseConv2dNative', { x, filter: f }, { strides: [1, 1], dilations, pad });
      if (m === 1) return out;
      const [bb, hh, ww] = out.shape;
      return ops.run('Sum', { x: ops.reshape(out, [bb, hh, ww, c, m]) }, { axis: [4], keepDims: false });
    }, depthwiseKernelSize);
  });
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum: out[s, ...] = sum of x[i, ...] over the i with segmentIds[i] == s.
// ScatterNd sums duplicate indices, so it is the whole kernel; ids outside [0, numSegments) are
// dropped (as tfjs' cpu kernel does) by sending them to one extra segment that is sliced off.
// segmentIds may have rank k > 1 (then it covers the first k dimensions of x).
// ---------------------------------------------------------------------------------------------
function unsortedSegmentSum(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const numSegments = (args.attrs as Record<string, unknown>).numSegments as number;
  const be = backend as WasmBackend;
  return withOps(backend, (ops) => {
    const { x, segmentIds } = inputs;
    const k = segmentIds.shape.length;
    const n = segmentIds.shape.reduce((p, q) => p * q, 1);
    const inner = x.shape.slice(k);
    const outShape = [numSegments, ...inner];
    if (n === 0 || numSegments === 0) return ops.run('Fill', {}, { shape: outShape, value: 0, dtype: x.dtype });
    let ids = segmentIds.dtype === 'int32' ? segmentIds : ops.run('Cast', { x: segmentIds }, { dtype: 'int32' });
    const idv = be.readSync(ids.dataId) as Int32Array;
    let outOfRange = false;
    for (let i = 0; i < n; i++) if (idv[i] < 0 || idv[i] >= numSegments) { outOfRange = true; break; }
    let segments = numSegments;
    if (outOfRange) {
      const fixed = ops.run('Fill', {}, { shape: [n], value: 0, dtype: 'int32' });
      const view = be.typedArrayFromHeap(fixed) as Int32Array;
      for (let i = 0; i < n; i++) view[i] = idv[i] < 0 || idv[i] >= numSegments ? numSegments : idv[i];
      ids = fixed;
      segments = numSegments + 1;
    }
    const updates = ops.reshape(x, [n, ...inner]);
    const scattered = ops.run('ScatterNd', { indices: ops.reshape(ids, [n, 1]), updates },
      { shape: [segments, ...inner] });
    if (!outOfRange) return scattered;
    return ops.slice(scattered, outShape.map(() => 0), outShape);
  });
}

// ---------------------------------------------------------------------------------------------
// Fast paths for two wasm kernels that dominate a training step of a conv net with batch norm
// (the batchNorm gradient tiles 1/sqrt(var) to the input's shape and sums over [0, 1, 2]):
// - Tile: the wasm kernel computes every output element's source index with heap-allocated index
//   vectors (~60 ns an element). Here: copy x's rows once, then double blocks with copyWithin.
// - Sum / Mean over a run of adjacent axes that is not at the end (e.g. [0,1,2] or [1,2] of NHWC):
//   the wasm kernel first transposes the reduced axes to the end. Here: one pass over the data,
//   accumulating in float64 (as tfjs' cpu backend does). Any other case goes to the original kernel.
// ---------------------------------------------------------------------------------------------
type Typed = Float32Array | Int32Array | Uint8Array;

function fastTile(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const reps = (args.attrs as Record<string, unknown>).reps as number[];
    if (x.dtype === 'string' || x.dtype === 'complex64' || reps.length !== x.shape.length || x.shape.length === 0) {
      return original(args);
    }
    const be = args.backend as WasmBackend;
    const r = x.shape.length;
    const xs = x.shape, os = xs.map((d, i) => d * reps[i]);
    const out = be.makeOutput(os, x.dtype);
    if (os.some((d) => d === 0)) return out;
    const src = be.typedArrayFromHeap(x) as Typed, dst = be.typedArrayFromHeap(out) as Typed;
    const oStr = new Array<number>(r);
    oStr[r - 1] = 1;
    for (let i = r - 2; i >= 0; i--) oStr[i] = oStr[i + 1] * os[i + 1];
    // Visits every index prefix over dims [0, d) within x's extent; f gets the out offset.
    const eachPrefix = (d: number, f: (outOffset: number, prefixIndex: number) => void): void => {
      let count = 1;
      for (let i = 0; i < d; i++) count *= xs[i];
      const idx = new Array<number>(d).fill(0);
      for (let n = 0; n < count; n++) {
        let off = 0;
        for (let i = 0; i < d; i++) off += idx[i] * oStr[i];
        f(off, n);
        for (let i = d - 1; i >= 0; i--) { if (++idx[i] < xs[i]) break; idx[i] = 0; }
      }
    };
    // 1. x's rows (last dim), each repeated reps[r-1] times.
    const row = xs[r - 1];
    eachPrefix(r - 1, (off, n) => {
      const line = src.subarray(n * row, (n + 1) * row);
      for (let k = 0; k < reps[r - 1]; k++) dst.set(line, off + k * row);
    });
    // 2. From the innermost dim out: repeat the (now complete) block of dim d reps[d] times.
    for (let d = r - 2; d >= 0; d--) {
      if (reps[d] === 1) continue;
      const block = xs[d] * oStr[d];
      eachPrefix(d, (off) => {
        for (let k = 1; k < reps[d]; k++) dst.copyWithin(off + k * block, off, off + block);
      });
    }
    return out;
  };
}

function fastReduce(original: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as Record<string, unknown>;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2) return original(args);
    const axes = [...new Set(tf.util.parseAxisParam(attrs.axis as number | number[], x.shape))].sort((a, b) => a - b);
    const k = axes.length, first = axes[0];
    // One run of adjacent axes that does not reach the last axis (the wasm kernel reduces trailing
    // axes without a transpose).
    if (k === 0 || axes.some((a, i) => a !== first + i) || first + k === rank) return original(args);
    const prod = (a: number[]) => a.reduce((p, q) => p * q, 1);
    const outer = prod(x.shape.slice(0, first)), n = prod(x.shape.slice(first, first + k)), inner = prod(x.shape.slice(first + k));
    const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const be = args.backend as WasmBackend;
    const out = be.makeOutput(outShape, 'float32');
    const src = be.typedArrayFromHeap(x) as Float32Array, dst = be.typedArrayFromHeap(out) as Float32Array;
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      for (let i = 0; i < n; i++) {
        const base = (o * n + i) * inner;
        for (let j = 0; j < inner; j++) acc[j] += src[base + j];
      }
      for (let j = 0; j < inner; j++) dst[o * inner + j] = mean ? acc[j] / n : acc[j];
    }
    return out;
  };
}

/** wasm kernels that exist but are slow, replaced (Conv2DBackpropInput) or given fast paths. */
export const WASM_REPLACED_KERNELS = ['Conv2DBackpropInput', 'Tile', 'Sum', 'Mean'] as const;

let registered = false;

/** Replaces the wasm kernel `name` by make(original), keeping the original's setupFunc. */
function replaceKernel(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(name, BACKEND);
  if (!original) return;
  tf.unregisterKernel(name, BACKEND);
  // The original setupFunc still runs if the backend is initialised after this call.
  tf.registerKernel({ ...original, kernelFunc: make(original.kernelFunc) });
  kernelCache.delete(name);
}

/**
 * Registers Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput,
 * DepthwiseConv2dNativeBackpropFilter and UnsortedSegmentSum for the 'wasm' backend; replaces its
 * scalar-loop Conv2DBackpropInput with XNNPACK convs; and gives Tile, and Sum/Mean over a run of
 * axes that is not the last, fast paths (see above; other cases go to the original kernels).
 * Idempotent. A missing kernel that a later tfjs ships is left alone. Registration needs no
 * initialised backend (only the wasm package imported, which this module does).
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  const impls: Record<(typeof WASM_GRADIENT_KERNELS)[number], unknown> = {
    Conv2DBackpropFilter: conv2DBackpropFilter,
    DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
    DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
    UnsortedSegmentSum: unsortedSegmentSum,
  };
  for (const name of WASM_GRADIENT_KERNELS) {
    if (tf.getKernel(name, BACKEND)) continue;
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: impls[name] as KernelFunc });
  }
  if (tf.getKernel('Conv2DBackpropInput', BACKEND)) {
    replaceKernel('Conv2DBackpropInput', () => conv2DBackpropInput as unknown as KernelFunc);
  } else {
    tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: BACKEND, kernelFunc: conv2DBackpropInput as unknown as KernelFunc });
  }
  replaceKernel('Tile', fastTile);
  replaceKernel('Sum', (o) => fastReduce(o, false));
  replaceKernel('Mean', (o) => fastReduce(o, true));
  registered = true;
}
