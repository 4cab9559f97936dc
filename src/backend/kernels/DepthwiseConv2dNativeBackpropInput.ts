/**
 * DepthwiseConv2dNativeBackpropInput for the tfjs wasm backend (4.22 lacks it): the input gradient of
 * depthwise and separable convolutions, as phase-split XNNPACK depthwise convs (./transposed-conv.ts).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { checkDy, geometry, type Pair } from './conv-geometry.js';
import { BACKEND, withOps, type KernelArgs } from './ops.js';
import { transposedConv } from './transposed-conv.js';

export type Attrs = tf.DepthwiseConv2dNativeBackpropInputAttrs;

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
export function depthwiseConv2dNativeBackpropInput(args: KernelArgs<Attrs>): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Attrs;
  const inputShape = attrs.inputShape;
  return withOps(backend, (ops) => {
    let dy = inputs.dy, filter = inputs.filter;
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    if (filter.dtype !== 'float32') filter = ops.run('Cast', { x: filter }, { dtype: 'float32' });
    const g = geometry(inputShape, filter.shape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
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

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: BACKEND, kernelFunc: depthwiseConv2dNativeBackpropInput as never,
};
