/**
 * DepthwiseConv2dNativeBackpropFilter for the tfjs wasm backend (4.22 lacks it): the filter gradient of
 * depthwise and separable convolutions (MobileNet, EfficientNet).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { checkDy, fitForCorrelation, geometry, type Geometry } from './conv-geometry.js';
import { BACKEND, withOps, type KernelArgs, type Ops } from './ops.js';

export type Attrs = tf.DepthwiseConv2dNativeBackpropFilterAttrs;

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
export function depthwiseConv2dNativeBackpropFilter(args: KernelArgs<Attrs>): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Attrs;
  const filterShape = attrs.filterShape;
  return withOps(backend, (ops) => {
    let x = inputs.x, dy = inputs.dy;
    if (x.dtype !== 'float32') x = ops.run('Cast', { x }, { dtype: 'float32' });
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    const g = geometry(x.shape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
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

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: BACKEND, kernelFunc: depthwiseConv2dNativeBackpropFilter as never,
};
