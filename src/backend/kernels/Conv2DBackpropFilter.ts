/**
 * Conv2DBackpropFilter for the tfjs wasm backend (4.22 lacks it): needed by every conv2d gradient, since
 * tfjs-layers' fused conv2d asks for it even when only the input gradient is wanted (a Grad-CAM target
 * with convs after it, or training).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { checkDy, fitForCorrelation, geometry } from './conv-geometry.js';
import { BACKEND, withOps, type KernelArgs } from './ops.js';

/** tfjs' attributes, plus the `dilations` its conv2d gradient never passes but the kernel honours. */
export type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };

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
export function conv2DBackpropFilter(args: KernelArgs<Attrs>): TensorInfo {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Attrs;
  const filterShape = attrs.filterShape;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
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
    const g = geometry(x.shape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false);
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

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter, backendName: BACKEND, kernelFunc: conv2DBackpropFilter as never,
};
