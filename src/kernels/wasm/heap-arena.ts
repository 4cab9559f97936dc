/**
 * The memory of the zero-copy 'wasm' kernels: everything lives in tfjs-wasm's own heap (tfjs-heap.ts), which the
 * kernels module imports (the 'imported' / 'shared' builds of scripts/build-wasm.mjs: no data segments, no
 * globals, so the module owns no byte of that memory).
 *   inputs   a tensor's data, in place at its offset; the data is held alive (one more reference in the
 *            backend's count, as its Reshape kernel does; tf.clone would copy) until the next input of the same
 *            slot, reserve() or release(), even if the tensor is disposed meanwhile.
 *   regions  one block from tfjs's _malloc, laid out in the order given (f32, then u8), 16-byte aligned;
 *            freed by the next reserve() that needs another size class, or by release() above
 *            KERNEL_MEMORY_KEEP_BYTES (a large outputSize), so tfjs's allocator gets the bytes back.
 *   lut      JET_LUT (1 KB), malloc'd once for the life of the kernels.
 * tfjs may grow its memory in any op that allocates: offsets stay, views detach. So the regions are getters that
 * re-take their views from the current buffer, and inputView() re-takes an input's; a Regions object of an earlier
 * reserve() throws on use.
 */
import type * as tf from '@tensorflow/tfjs';
import { KERNEL_MEMORY_KEEP_BYTES } from '../../constants.js';
import { InvalidInputError } from '../../errors.js';
import { JET_LUT } from '../js/colormap.js';
import type { Regions, TensorPart } from '../contract.js';
import { countCopiedBytes, partRange } from '../tensor-io.js';
import type { KernelExports } from './loader.js';
import type { TfjsHeap } from './tfjs-heap.js';

const align16 = (n: number) => n + 15 - ((n + 15) % 16);   // (no 32-bit bit operations: offsets reach 4 GB)
/** wasm32: a heap of at most 4 GB; malloc takes a 32-bit size. */
const MAX_HEAP = 2 ** 32 - 65536;

type Slot = [kind: 'f32' | 'u8', name: string, offset: number, n: number];
interface Input { offset: number; n: number; held: (() => void) | null; own: number }

export interface HeapArena {
  readonly ex: KernelExports;
  readonly lut: number;
  reserve(f32: Record<string, number>, u8: Record<string, number>): Regions;
  release(): void;
  readonly bytes: number;
  input(slot: string, t: tf.Tensor, part?: TensorPart): Float32Array;
  inputView(slot: string): Float32Array | null;
}

export function createHeapArena(heap: TfjsHeap, ex: KernelExports, keepBytes = KERNEL_MEMORY_KEEP_BYTES): HeapArena {
  const lutBlock = heap.malloc(JET_LUT.length + 16);
  if (!lutBlock) throw new Error('tfjs-wasm could not allocate 1 KB for the kernels.');
  const lut = align16(lutBlock);
  new Uint8Array(heap.memory.buffer, lut, JET_LUT.length).set(JET_LUT);

  let block = 0, base = 0, capacity = 0, generation = 0;
  let layout: Slot[] = [];
  const inputs = new Map<string, Input>();

  function dropInput(slot: string): void {
    const old = inputs.get(slot);
    if (!old) return;
    inputs.delete(slot);
    old.held?.();
    if (old.own) heap.free(old.own);
  }
  const dropInputs = () => [...inputs.keys()].forEach(dropInput);

  function freeBlock(): void {
    if (block) heap.free(block);
    block = base = capacity = 0;
    layout = [];
  }

  /** Live regions of this layout: each read re-takes the view if tfjs's memory grew; stale after the next reserve(). */
  function liveRegions(slots: Slot[]): Regions {
    const gen = generation;
    let buffer: ArrayBufferLike | null = null;
    let cache = new Map<string, Float32Array | Uint8Array>();
    const out: Regions = { f32: {}, u8: {} };
    for (const [kind, name, offset, n] of slots) {
      const key = `${kind}:${name}`;
      Object.defineProperty(kind === 'f32' ? out.f32 : out.u8, name, {
        enumerable: true,
        get() {
          if (gen !== generation) {
            throw new InvalidInputError(`Region "${name}" is from an earlier reserve() of these kernels: use the latest one.`);
          }
          const b = heap.memory.buffer;
          if (b !== buffer) { buffer = b; cache = new Map(); }
          let v = cache.get(key);
          if (!v) cache.set(key, v = kind === 'f32' ? new Float32Array(b, base + offset, n) : new Uint8Array(b, base + offset, n));
          return v;
        },
      });
    }
    return out;
  }

  return {
    ex, lut,
    get bytes() {
      let n = capacity;
      for (const i of inputs.values()) if (i.own) n += 4 * i.n;
      return n;
    },

    reserve(f32, u8) {
      dropInputs();
      const next: Slot[] = [];
      let end = 0;
      for (const [name, n] of Object.entries(f32)) { next.push(['f32', name, end, n]); end = align16(end + 4 * n); }
      for (const [name, n] of Object.entries(u8)) { next.push(['u8', name, end, n]); end = align16(end + n); }
      let keepEnd = 0;
      for (let i = 0; i < next.length && i < layout.length; i++) {
        const [k, name, off, n] = next[i], [k0, name0, off0, n0] = layout[i];
        if (k !== k0 || name !== name0 || off !== off0 || n !== n0) break;
        keepEnd = align16(off + (k === 'f32' ? 4 * n : n));
      }
      if (end > capacity || (capacity > keepBytes && end <= keepBytes)) {
        const size = Math.max(end, 16);
        const p = size + 16 < MAX_HEAP ? heap.malloc(size + 16) : 0;   // (a size of 2^32 or more would wrap)
        if (!p) {
          throw new InvalidInputError(`tfjs-wasm's heap (at most 4 GB) cannot give ${size} more bytes for the kernels' ` +
            'regions (the heatmaps of this call): pass a smaller outputSize, fewer methods or fewer layers.');
        }
        const nb = align16(p);
        const bytes = new Uint8Array(heap.memory.buffer);
        if (keepEnd > 0) bytes.copyWithin(nb, base, base + keepEnd);
        bytes.fill(0, nb + keepEnd, nb + size);   // a new block starts zeroed, as fresh module memory does
        if (block) heap.free(block);
        block = p; base = nb; capacity = size;
      }
      layout = next;
      generation++;
      return liveRegions(next);
    },

    release() {
      dropInputs();
      if (capacity > keepBytes) { freeBlock(); generation++; }   // below the limit the regions stay valid
    },

    input(slot, t, part) {
      dropInput(slot);
      const { start, n } = partRange(t, part);
      const offset = heap.offsetOf(t);
      if (offset !== null) {
        inputs.set(slot, { offset: offset + 4 * start, n, held: heap.hold(t), own: 0 });
      } else {
        // a tensor of another backend: one copy into a block of tfjs's heap
        const own = 4 * n + 16 < MAX_HEAP ? heap.malloc(4 * n + 16) : 0;
        if (!own) throw new InvalidInputError(`tfjs-wasm's heap (at most 4 GB) cannot give ${4 * n} more bytes for a kernel input.`);
        const data = (t.dataSync() as Float32Array).subarray(start, start + n);
        inputs.set(slot, { offset: align16(own), n, held: null, own });
        new Float32Array(heap.memory.buffer, align16(own), n).set(data);
        countCopiedBytes(4 * n);
      }
      return this.inputView(slot)!;
    },

    inputView(slot) {
      const i = inputs.get(slot);
      return i ? new Float32Array(heap.memory.buffer, i.offset, i.n) : null;
    },
  };
}
