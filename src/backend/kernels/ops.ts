/**
 * What the kernels of this folder share: the part of the wasm backend they use, and `Ops`, which runs
 * the wasm backend's own kernel functions directly (as the backend's kernels call each other) and frees
 * every intermediate with backend.disposeData.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** The backend these kernels are registered for. */
export const BACKEND = 'wasm';

/** The part of the wasm backend (BackendWasm) these kernels use. */
export interface WasmBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The arguments tfjs passes to a kernel function, with the kernel's typed attributes. */
export interface KernelArgs<A> {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: A;
}

/** The kernel registered now for `name` on wasm (looked up at every call: fast paths come and go). */
function wasmKernel(name: string): KernelFunc {
  const cfg = tf.getKernel(name, BACKEND);
  if (!cfg) throw new Error(`gradcam-wasm kernels: the wasm backend has no '${name}' kernel`);
  return cfg.kernelFunc;
}

/**
 * Runs wasm kernels and remembers every TensorInfo they return; `done(result)` frees all of them
 * except `result`. A Reshape result shares its input's data (with its own reference), so freeing
 * each returned info once is always balanced.
 */
export class Ops {
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
      if (!unit) throw new Error('gradcam-wasm kernels: strided crop of ' + x.dtype);
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

export function withOps(backend: unknown, f: (ops: Ops) => TensorInfo): TensorInfo {
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
