/**
 * Training only (opt-in, see ../index.ts useFastTrainingKernels): a fast path for the wasm Tile kernel,
 * which the batchNorm gradient uses to tile 1/sqrt(var) to the input's shape. The wasm kernel computes
 * every output element's source index with heap-allocated index vectors (~60 ns an element). Here: copy
 * x's rows once, then double blocks with copyWithin. Strings and complex numbers go to the original.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { WasmBackend } from '../ops.js';

type Typed = Float32Array | Int32Array | Uint8Array;

export function fastTile(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const reps = (args.attrs as unknown as tf.TileAttrs).reps;
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
