/**
 * Training only (opt-in, see ../index.ts useFastTrainingKernels): Conv2DBackpropInput as phase-split
 * XNNPACK convs (../transposed-conv.ts). The wasm backend's own kernel is a scalar C++ loop 5-15x slower
 * than the forward conv; it is correct, so the library never replaces it unless asked.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { checkDy, geometry } from '../conv-geometry.js';
import { withOps, type KernelArgs } from '../ops.js';
import { transposedConv } from '../transposed-conv.js';

/** tfjs' attributes, plus the `dilations` the kernel honours. */
export type Attrs = tf.Conv2DBackpropInputAttrs & { dilations?: [number, number] | number };

/** dx of a conv2d, filter [FH, FW, Ci, Co]. */
export function conv2DBackpropInput(args: KernelArgs<Attrs>): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Attrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  let inputShape: number[] = attrs.inputShape;
  return withOps(backend, (ops) => {
    let dy = inputs.dy, filter = inputs.filter;
    if (dy.dtype !== 'float32') dy = ops.run('Cast', { x: dy }, { dtype: 'float32' });
    if (filter.dtype !== 'float32') filter = ops.run('Cast', { x: filter }, { dtype: 'float32' });
    if (dataFormat === 'NCHW') {
      dy = ops.transpose(dy, [0, 2, 3, 1]);
      inputShape = [inputShape[0], inputShape[2], inputShape[3], inputShape[1]];
    }
    const g = geometry(inputShape, filter.shape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false);
    const [, , ci, co] = filter.shape;
    checkDy('Conv2DBackpropInput', dy, g, co);
    const wRev = ops.run('Reverse', { x: ops.transpose(filter, [0, 1, 3, 2]) }, { dims: [0, 1] });
    const dx = transposedConv(ops, dy, g, wRev, ci, (x, f, pad, dilations) =>
      ops.run('Conv2D', { x, filter: f }, { strides: [1, 1], dilations, pad, dataFormat: 'NHWC' }));
    return dataFormat === 'NCHW' ? ops.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

/** The replacement (it needs nothing of the original kernel). */
export const fastConv2DBackpropInput = (_original: KernelFunc): KernelFunc => conv2DBackpropInput as never;
