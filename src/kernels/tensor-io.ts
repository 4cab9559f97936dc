/**
 * Tensors into kernel views, and the count of bytes that costs.
 * - copyTensorInto: one copy into a kernel view: on the wasm backend from a view over tfjs's own heap (no
 *   dataSync() slice); elsewhere through dataSync(). Used by the one-copy kernels (their own memory, or 'js').
 * - The zero-copy kernels (wasm/heap-arena.ts) copy nothing for a tensor of the wasm backend; a tensor of another
 *   backend is copied once, and counted here too.
 * tensorBytesCopied() is the total, for tests that prove the zero-copy path copies nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.js';

interface HeapBackend {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
  dataIdMap: { has(id: object): boolean };
}

let copied = 0;

/** Bytes of tensor data copied into kernel memory since the process started (every path). */
export function tensorBytesCopied(): number {
  return copied;
}

export function countCopiedBytes(n: number): void {
  copied += n;
}

export function copyTensorInto(t: tf.Tensor, dst: Float32Array): void {
  if (t.size !== dst.length) {
    throw new InvalidInputError(`Internal size mismatch: tensor [${t.shape.join(', ')}] into ${dst.length} floats.`);
  }
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  if (t.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function' &&
    backend.dataIdMap?.has(t.dataId)) {
    dst.set(backend.typedArrayFromHeap(t as unknown as { shape: number[]; dtype: string; dataId: object }));
  } else {
    dst.set(t.dataSync() as Float32Array);
  }
  countCopiedBytes(4 * t.size);
}

/** The inputs of a one-copy Kernels object: input() copies into the view given and remembers it per slot. */
export function copyingInputs(): {
  input(slot: string, t: tf.Tensor, dst: Float32Array): Float32Array;
  inputView(slot: string): Float32Array | null;
  clear(): void;
} {
  const slots = new Map<string, Float32Array>();
  return {
    input(slot, t, dst) {
      copyTensorInto(t, dst);
      slots.set(slot, dst);
      return dst;
    },
    inputView: (slot) => slots.get(slot) ?? null,
    clear: () => slots.clear(),
  };
}
