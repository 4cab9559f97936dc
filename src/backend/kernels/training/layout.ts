/**
 * Training only (useFastTrainingKernels): fast paths for three layout kernels of the tfjs 'wasm' backend (4.22) that recurrent and
 * time-distributed layers lean on (tfjs-layers' rnn() transposes [batch, time, ...] to [time, batch, ...],
 * unstacks it, and stacks the per-step outputs back; their gradients unstack along axis 1):
 * - Unpack: the wasm kernel slices each output, and each slice first copies the WHOLE input out of the heap
 *   (readSync); a slice that is not contiguous (any axis but 0) of a rank-5 tensor then goes through the
 *   generic per-element CPU slice (seconds for a batch of 64 x 64 clips).
 *   Here: output i of an unstack along axis a is, for each of the prod(shape[:a]) outer indices, one
 *   contiguous run of prod(shape[a+1:]) values: copied with TypedArray.set.
 * - Transpose: when the permutation keeps a suffix of axes in place (perm[i] = i for i >= m) and that
 *   suffix holds at least MIN_BLOCK values, the transpose is a permutation of contiguous blocks of
 *   prod(shape[m:]) values: each copied with TypedArray.set. Other permutations use the wasm kernel.
 * - Pack: the wasm kernel expands and concatenates; here, for each of the prod(shape[:axis]) outer
 *   indices, input i's contiguous run of prod(shape[axis:]) values is copied to its place.
 * All three produce exactly the values of the kernels they shortcut (copies, no arithmetic).
 */
import '@tensorflow/tfjs-backend-wasm';
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}
type Typed = Float32Array | Int32Array | Uint8Array;

/** Below this many values per block, the wasm Transpose kernel is faster than block copies. */
const MIN_BLOCK = 16;

const prod = (a: readonly number[]): number => a.reduce((p, d) => p * d, 1);

export function fastUnpack(original: KernelFunc): KernelFunc {
  return (args) => {
    const value = args.inputs.value as TensorInfo;
    let axis = (args.attrs as { axis: number }).axis;
    if (axis < 0) axis += value.shape.length;
    if (value.dtype === 'string' || value.dtype === 'complex64') return original(args);
    const be = args.backend as WasmBackend;
    const shape = value.shape, n = shape[axis]!;
    const outer = prod(shape.slice(0, axis)), inner = prod(shape.slice(axis + 1));
    const outShape = shape.filter((_, i) => i !== axis);
    const outs: TensorInfo[] = [];
    for (let i = 0; i < n; i++) {
      const out = be.makeOutput(outShape, value.dtype);
      // the heap may grow while outputs are made: take the views after each makeOutput
      const src = be.typedArrayFromHeap(value) as Typed, dst = be.typedArrayFromHeap(out) as Typed;
      for (let o = 0; o < outer; o++) {
        const s = (o * n + i) * inner;
        dst.set(src.subarray(s, s + inner), o * inner);
      }
      outs.push(out);
    }
    return outs;
  };
}

export function fastPack(original: KernelFunc): KernelFunc {
  return (args) => {
    const xs = args.inputs as unknown as TensorInfo[];
    let axis = (args.attrs as { axis: number }).axis;
    const x0 = xs[0];
    if (!x0 || xs.length === 1) return original(args);
    const shape = x0.shape, dtype = x0.dtype;
    if (axis < 0) axis += shape.length + 1;
    if (dtype === 'string' || dtype === 'complex64' ||
        xs.some((x) => x.dtype !== dtype || x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i]))) {
      return original(args);
    }
    const be = args.backend as WasmBackend;
    const n = xs.length, outer = prod(shape.slice(0, axis)), inner = prod(shape.slice(axis));
    const out = be.makeOutput([...shape.slice(0, axis), n, ...shape.slice(axis)], dtype);
    const dst = be.typedArrayFromHeap(out) as Typed;
    xs.forEach((x, i) => {
      const src = be.typedArrayFromHeap(x) as Typed;
      for (let o = 0; o < outer; o++) dst.set(src.subarray(o * inner, (o + 1) * inner), (o * n + i) * inner);
    });
    return out;
  };
}

export function fastTranspose(original: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const r = x.shape.length;
    let m = r;
    while (m > 0 && perm[m - 1] === m - 1) m--;
    const block = prod(x.shape.slice(m));
    if (x.dtype === 'string' || x.dtype === 'complex64' || m === 0 || m === r || block < MIN_BLOCK) return original(args);
    const be = args.backend as WasmBackend;
    const lead = x.shape.slice(0, m), outLead = perm.slice(0, m).map((p) => lead[p]!);
    const out = be.makeOutput([...outLead, ...x.shape.slice(m)], x.dtype);
    const src = be.typedArrayFromHeap(x) as Typed, dst = be.typedArrayFromHeap(out) as Typed;
    // strides (in blocks) of the input's leading axes, read in output order
    const inStride = new Array<number>(m);
    inStride[m - 1] = 1;
    for (let i = m - 2; i >= 0; i--) inStride[i] = inStride[i + 1]! * lead[i + 1]!;
    const step = perm.slice(0, m).map((p) => inStride[p]!);
    const idx = new Array<number>(m).fill(0);
    const count = prod(outLead);
    let from = 0;
    for (let b = 0; b < count; b++) {
      dst.set(src.subarray(from * block, (from + 1) * block), b * block);
      for (let i = m - 1; i >= 0; i--) {
        from += step[i]!;
        if (++idx[i]! < outLead[i]!) break;
        from -= step[i]! * outLead[i]!;
        idx[i] = 0;
      }
    }
    return out;
  };
}
