/**
 * The 'wasm' Kernels: the AssemblyScript SIMD module behind the contract (contract.ts). Every kernel is bound
 * from the table (table.ts): view arguments become byte offsets into the module memory, the table's host values
 * (EPS, the eigen-solver constants, the jet table's address) are appended, and the one checking wrapper
 * (checks.ts) runs first. Two memories, one binding: the module's own (arena.ts, the one-copy path) or
 * tfjs-wasm's heap, imported (heap-arena.ts, the zero-copy path).
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelOps, KernelPath, Kernels, Regions, TensorPart } from '../contract.js';
import { checkReserve, withChecks } from '../checks.js';
import { KERNEL_NAMES, PARSED, type HostArg } from '../table.js';
import { copyingInputs } from '../tensor-io.js';
import { EIGEN_MAX_ITER, EIGEN_TOL, EPS } from '../../constants.js';
import { InvalidInputError } from '../../errors.js';
import { createArena } from './arena.js';
import { createHeapArena } from './heap-arena.js';
import type { KernelExports } from './loader.js';
import type { TfjsHeap } from './tfjs-heap.js';

/** What the binding needs of a memory: the current instance, the jet table, regions and inputs. */
interface KernelMemory {
  readonly ex: KernelExports;
  readonly lut: number;
  readonly bytes: number;
  reserve(f32: Record<string, number>, u8: Record<string, number>): Regions;
  release(): void;
  input(slot: string, t: tf.Tensor, dst: Float32Array, part?: TensorPart): Float32Array;
  inputView(slot: string): Float32Array | null;
}

function hostValue(mem: KernelMemory, h: HostArg): number {
  switch (h) {
    case 'eps': return EPS;
    case 'eigenMaxIter': return EIGEN_MAX_ITER;
    case 'eigenTol': return EIGEN_TOL;
    case 'lut': return mem.lut;
  }
}

/** The raw kernels: the exports of the current instance, views as offsets, host values appended. */
function bindExports(mem: KernelMemory): KernelOps {
  const raw: Partial<Record<string, (...args: unknown[]) => void>> = {};
  for (const name of KERNEL_NAMES) {
    const { params, host } = PARSED[name];
    const views = params.flatMap((p, i) => (p.kind === 'f32' || p.kind === 'u8' ? [i] : []));
    raw[name] = (...args: unknown[]) => {
      for (const i of views) args[i] = (args[i] as Float32Array | Uint8Array).byteOffset;
      for (const h of host) args.push(hostValue(mem, h));
      (mem.ex[name] as (...a: unknown[]) => void)(...args);
    };
  }
  return raw as unknown as KernelOps;
}

function bindKernels(mem: KernelMemory, path: KernelPath): Kernels {
  const ops = withChecks(bindExports(mem), (kernel, name, view) => {
    if (view.buffer !== mem.ex.memory.buffer) {
      throw new InvalidInputError(
        `${kernel}: ${name} is not a view over this wasm kernels' current memory. Pass the views returned by the ` +
        'latest reserve() or input() of the same kernels object, read again after any tfjs op (views taken before ' +
        'the memory grew or was released are detached).');
    }
  });
  return {
    kind: 'wasm',
    path,
    ...ops,
    reserve(f32: Record<string, number>, u8: Record<string, number> = {}): Regions {
      checkReserve(f32, u8);
      return mem.reserve(f32, u8);
    },
    release: () => mem.release(),
    input: (slot, t, dst, part) => mem.input(slot, t, dst, part),
    inputView: (slot) => mem.inputView(slot),
    get memoryBytes() { return mem.bytes; },
  };
}

/** The one-copy 'wasm' kernels: the module with its own memory (instances of `module`, first one given). */
export function createWasmKernels(module: WebAssembly.Module, first: KernelExports): Kernels {
  const arena = createArena(module, first);
  const inputs = copyingInputs();
  return bindKernels({
    get ex() { return arena.ex; },
    get lut() { return arena.lut; },
    get bytes() { return arena.bytes; },
    reserve(f32, u8) { inputs.clear(); return arena.reserve(f32, u8); },
    release() { inputs.clear(); arena.release(); },
    input: inputs.input,
    inputView: inputs.inputView,
  }, 'one-copy');
}

/** The zero-copy 'wasm' kernels: an instance importing tfjs-wasm's memory (`ex`), over that heap. */
export function createZeroCopyKernels(heap: TfjsHeap, ex: KernelExports): Kernels {
  const arena = createHeapArena(heap, ex);
  return bindKernels({
    ex, lut: arena.lut,
    get bytes() { return arena.bytes; },
    reserve: (f32, u8) => arena.reserve(f32, u8),
    release: () => arena.release(),
    input: (slot, t, _dst, part) => arena.input(slot, t, part),
    inputView: (slot) => arena.inputView(slot),
  }, 'zero-copy');
}
