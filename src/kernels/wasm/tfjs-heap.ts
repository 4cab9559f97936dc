/**
 * tfjs-wasm's heap, as the zero-copy kernels need it: its WebAssembly.Memory (exported by the single-threaded
 * binary as `memory`; created by the JS glue and imported by the threaded one, where it is shared), its
 * allocator (`_malloc` / `_free`) and the byte offset of a tensor's data (the backend's data map,
 * `memoryOffset`). These are internals of @tensorflow/tfjs-backend-wasm 4.22 (its emscripten Module, kept at
 * `backend.wasm`); when any of them is missing, tfjsHeap() returns null and the kernels take the one-copy path.
 *
 * Growth: emscripten grows the memory (ALLOW_MEMORY_GROWTH, up to 4 GB) inside any tfjs op that allocates.
 * Growth keeps every byte at its offset, but detaches the old ArrayBuffer (a shared memory gets a new, longer
 * SharedArrayBuffer instead): offsets stay valid, views must be re-taken from `memory.buffer`.
 */
import * as tf from '@tensorflow/tfjs';

interface EmscriptenModule {
  asm?: { memory?: unknown };
  wasmMemory?: unknown;
  _malloc?: (n: number) => number;
  _free?: (p: number) => void;
}

interface WasmBackendLike {
  wasm?: EmscriptenModule;
  dataIdMap?: { has(id: object): boolean; get(id: object): { memoryOffset?: number } | undefined };
  incRef?(dataId: object): void;
  disposeData?(dataId: object): boolean;
}

export interface TfjsHeap {
  /** The backend object it belongs to (the kernels built over this heap work for this backend only). */
  readonly backend: object;
  readonly memory: WebAssembly.Memory;
  /** True for the threaded binary's SharedArrayBuffer memory. */
  readonly shared: boolean;
  malloc(bytes: number): number;
  free(ptr: number): void;
  /** The byte offset of a float32 tensor's data in `memory`, or null if it is not a tensor of this backend. */
  offsetOf(t: tf.Tensor): number | null;
  /**
   * Keeps a tensor's data (at its offset) alive until the function returned is called, even if the tensor is
   * disposed meanwhile: one more reference in the backend's own count (what its Reshape kernel does to share
   * data), given back by the function. No tfjs op runs (a reshape to hold it costs ~10-20 us of engine work).
   */
  hold(t: tf.Tensor): () => void;
}

/** The heap of the active tfjs backend, if it is tfjs-wasm and exposes what the zero-copy path needs; else null. */
export function tfjsHeap(): TfjsHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const w = backend.wasm;
  const memory = w?.wasmMemory ?? w?.asm?.memory;
  const map = backend.dataIdMap;
  if (!(memory instanceof WebAssembly.Memory) || typeof w?._malloc !== 'function' || typeof w._free !== 'function' ||
    typeof map?.get !== 'function' || typeof backend.incRef !== 'function' || typeof backend.disposeData !== 'function') {
    return null;
  }
  const incRef = backend.incRef.bind(backend), disposeData = backend.disposeData.bind(backend);
  const malloc = w._malloc, free = w._free;
  return {
    backend,
    memory,
    shared: typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer,
    malloc: (n) => malloc(n),
    free: (p) => free(p),
    offsetOf(t) {
      if (t.dtype !== 'float32' || tf.backend() !== backend || !map.has(t.dataId)) return null;
      const off = map.get(t.dataId)?.memoryOffset;
      return Number.isInteger(off) && (off as number) > 0 ? off as number : null;
    },
    hold(t) {
      const id = t.dataId;
      incRef(id);
      let done = false;
      return () => { if (!done) { done = true; disposeData(id); } };
    },
  };
}
