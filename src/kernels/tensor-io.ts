/**
 * Copies a tfjs tensor into a kernel view with one copy: on the wasm backend, from a view over tfjs's
 * own heap (no dataSync() slice); elsewhere, through dataSync().
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '../errors.js';

interface HeapBackend {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
  dataIdMap: { has(id: object): boolean };
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
}
