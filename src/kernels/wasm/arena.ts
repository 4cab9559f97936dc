/**
 * The memory of the 'wasm' kernels: regions laid out in the module memory, and the policy that gives memory
 * back.
 *
 * Memory map of an instance (all offsets 16-byte aligned):
 *   [0, heapBase)            the module's static data
 *   [lut, lut + 1024)        JET_LUT (src/kernels/js/colormap.ts), written when the instance is made
 *   [arena, ...)             the regions of the latest reserve(), laid out in the order given (f32, then u8)
 * reserve() grows the memory (memory.grow) when the regions do not fit; growth keeps the bytes, and a reserve()
 * whose first regions have the same names and lengths as before gets the same offsets, so their data is kept.
 *
 * A WebAssembly.Memory cannot shrink. So when the memory is above KERNEL_MEMORY_KEEP_BYTES and a reserve() fits
 * under it (or on release()), the arena moves to a fresh instance of the same compiled module, with a small
 * memory, copying the kept leading regions; the old instance and its memory are then unreferenced (garbage).
 * The fresh instance is made ahead of time, asynchronously, once the memory first passes the limit (browsers
 * refuse to instantiate synchronously on the main thread); if none is ready, a synchronous instantiation is
 * tried, and if that is refused the big memory is kept until a later call.
 */
import { KERNEL_MEMORY_KEEP_BYTES } from '../../constants.js';
import { JET_LUT } from '../js/colormap.js';
import type { Regions } from '../contract.js';
import { instantiateKernels, instantiateKernelsSync, type KernelExports } from './loader.js';

const PAGE = 65536;
const align16 = (n: number) => n + 15 - ((n + 15) % 16);   // (no 32-bit bit operations: offsets reach 4 GB)

type Slot = [kind: 'f32' | 'u8', name: string, offset: number, n: number];

export interface Arena {
  /** The current instance (changes after a shrink). */
  readonly ex: KernelExports;
  /** Byte offset of the jet table in the current instance's memory. */
  readonly lut: number;
  reserve(f32: Record<string, number>, u8: Record<string, number>): Regions;
  release(): void;
  readonly bytes: number;
}

/** Grows `memory` to at least `end` bytes. */
function ensure(memory: WebAssembly.Memory, end: number): void {
  const have = memory.buffer.byteLength;
  if (end <= have) return;
  try {
    memory.grow(Math.ceil((end - have) / PAGE));
  } catch (e) {
    throw new Error(`The kernels' wasm memory cannot grow from ${have} to ${end} bytes ` +
      `(${(e as Error)?.message ?? e}): reserve smaller regions.`);
  }
}

export function createArena(module: WebAssembly.Module, first: KernelExports, keepBytes = KERNEL_MEMORY_KEEP_BYTES): Arena {
  let ex = first;
  let lut = 0, base = 0;
  let layout: Slot[] = [];
  let spare: KernelExports | null = null;
  let sparePending = false;

  function adopt(next: KernelExports): void {
    ex = next;
    lut = align16(ex.heapBase());
    base = align16(lut + JET_LUT.length);
    ensure(ex.memory, base);
    new Uint8Array(ex.memory.buffer, lut, JET_LUT.length).set(JET_LUT);
  }
  adopt(first);

  function prepareSpare(): void {
    if (spare || sparePending) return;
    sparePending = true;
    instantiateKernels(module).then((s) => { spare = s; }, () => {}).finally(() => { sparePending = false; });
  }

  /** Moves to a fresh instance, keeping the bytes [base, keepEnd) of the regions. False if none can be made now. */
  function moveToFreshInstance(keepEnd: number): boolean {
    const next = spare ?? instantiateKernelsSync(module);
    if (!next) return false;
    spare = null;
    const old = ex.memory.buffer, oldBase = base;
    adopt(next);
    if (base !== oldBase) throw new Error('The kernels module instances disagree on their static data: rebuild it.');
    if (keepEnd > base) {
      ensure(ex.memory, keepEnd);
      new Uint8Array(ex.memory.buffer, base, keepEnd - base).set(new Uint8Array(old, base, keepEnd - base));
    }
    return true;
  }

  return {
    get ex() { return ex; },
    get lut() { return lut; },
    get bytes() { return ex.memory.buffer.byteLength; },

    reserve(f32, u8) {
      const next: Slot[] = [];
      let end = base;
      for (const [name, n] of Object.entries(f32)) { next.push(['f32', name, end, n]); end = align16(end + 4 * n); }
      for (const [name, n] of Object.entries(u8)) { next.push(['u8', name, end, n]); end = align16(end + n); }
      // The leading regions that keep their data: same kind, name, offset and length as the previous layout.
      let keepEnd = base;
      for (let i = 0; i < next.length && i < layout.length; i++) {
        const [k, name, off, n] = next[i], [k0, name0, off0, n0] = layout[i];
        if (k !== k0 || name !== name0 || off !== off0 || n !== n0) break;
        keepEnd = align16(off + (k === 'f32' ? 4 * n : n));
      }
      if (ex.memory.buffer.byteLength > keepBytes && end <= keepBytes) moveToFreshInstance(keepEnd);
      ensure(ex.memory, end);
      if (ex.memory.buffer.byteLength > keepBytes) prepareSpare();
      layout = next;
      const buffer = ex.memory.buffer;
      const out: Regions = { f32: {}, u8: {} };
      for (const [kind, name, offset, n] of next) {
        if (kind === 'f32') out.f32[name] = new Float32Array(buffer, offset, n);
        else out.u8[name] = new Uint8Array(buffer, offset, n);
      }
      return out;
    },

    release() {
      if (ex.memory.buffer.byteLength > keepBytes && moveToFreshInstance(base)) layout = [];
    },
  };
}
