/**
 * UnsortedSegmentSum for the tfjs wasm backend (4.22 lacks it): the gradient of gather.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { BACKEND, withOps, type KernelArgs, type WasmBackend } from './ops.js';

export type Attrs = tf.UnsortedSegmentSumAttrs;

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum: out[s, ...] = sum of x[i, ...] over the i with segmentIds[i] == s.
// ScatterNd sums duplicate indices, so it is the whole kernel; ids outside [0, numSegments) are
// dropped (as tfjs' cpu kernel does) by sending them to one extra segment that is sliced off.
// segmentIds may have rank k > 1 (then it covers the first k dimensions of x).
// ---------------------------------------------------------------------------------------------
export function unsortedSegmentSum(args: KernelArgs<Attrs>): TensorInfo {
  const { inputs, backend } = args;
  const numSegments = (args.attrs as Attrs).numSegments;
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

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum, backendName: BACKEND, kernelFunc: unsortedSegmentSum as never,
};
