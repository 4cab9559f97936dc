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
import type { TensorPart } from './contract.js';

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

/** Floats and start of `part` (the whole tensor without one), checked against the tensor's shape. */
export function partRange(t: tf.Tensor, part?: TensorPart): { start: number; n: number } {
  if (!part) return { start: 0, n: t.size };
  const { index, of } = part;
  if (!Number.isInteger(of) || of < 1 || t.shape[0] % of !== 0 || !Number.isInteger(index) || index < 0 || index >= of) {
    throw new InvalidInputError(`Internal: part ${index} of ${of} of a tensor [${t.shape.join(', ')}].`);
  }
  const n = t.size / of;
  return { start: index * n, n };
}

export function copyTensorInto(t: tf.Tensor, dst: Float32Array, part?: TensorPart): void {
  const { start, n } = partRange(t, part);
  if (n !== dst.length) {
    throw new InvalidInputError(`Internal size mismatch: tensor [${t.shape.join(', ')}] into ${dst.length} floats.`);
  }
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  const src = t.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function' && backend.dataIdMap?.has(t.dataId)
    ? backend.typedArrayFromHeap(t as unknown as { shape: number[]; dtype: string; dataId: object })
    : t.dataSync() as Float32Array;
  dst.set(n === src.length ? src : src.subarray(start, start + n));
  countCopiedBytes(4 * n);
}

/** The inputs of a one-copy Kernels object: input() copies into the view given and remembers it per slot. */
export function copyingInputs(): {
  input(slot: string, t: tf.Tensor, dst: Float32Array, part?: TensorPart): Float32Array;
  inputView(slot: string): Float32Array | null;
  clear(): void;
} {
  const slots = new Map<string, Float32Array>();
  return {
    input(slot, t, dst, part) {
      copyTensorInto(t, dst, part);
      slots.set(slot, dst);
      return dst;
    },
    inputView: (slot) => slots.get(slot) ?? null,
    clear: () => slots.clear(),
  };
}
