/**
 * Training only (opt-in, see ../index.ts useFastTrainingKernels): Sum / Mean over a run of adjacent axes
 * that is not at the end (e.g. [0,1,2] or [1,2] of NHWC, the batchNorm gradient), where the wasm kernel
 * first transposes the reduced axes to the end. Here: one pass over the data, accumulating in float64
 * (as tfjs' cpu backend does). Any other case goes to the original kernel.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from '../ops.js';

/** The fast path of Sum (mean false) or Mean (mean true) in front of `original`. */
export function fastReduce(original: KernelFunc, mean: boolean): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as unknown as tf.SumAttrs | tf.MeanAttrs;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2) return original(args);
    const axes = [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((a, b) => a - b);
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
