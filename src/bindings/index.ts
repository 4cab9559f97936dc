/**
 * The kernels: getKernels('wasm') (AssemblyScript SIMD, the default) or getKernels('js') (the plain
 * TypeScript twin). Both implement the contract of types.ts.
 */
import type { Kernels } from './types.js';
import { instantiateKernelExports, loadKernelExports } from './loader.js';
import { createWasmKernels } from './wasm-kernels.js';
import { createReferenceKernels, referenceKernels } from '../reference/index.js';

export type { Kernels, Regions } from './types.js';

export type KernelKind = Kernels['kind'];

let sharedWasm: Promise<Kernels> | null = null;

function checkKind(kind: unknown): asserts kind is KernelKind {
  if (kind !== 'wasm' && kind !== 'js') throw new Error(`Unknown kernels kind "${String(kind)}": use 'wasm' or 'js'.`);
}

/**
 * The process-wide kernels of a kind, created on first use and cached (the wasm module is instantiated once).
 * They are shared: their reserve() regions are reused by every caller, so use the views of a reserve() before
 * anyone calls reserve() again.
 */
export function getKernels(kind: KernelKind = 'wasm'): Promise<Kernels> {
  checkKind(kind);
  if (kind === 'js') return Promise.resolve(referenceKernels);
  if (!sharedWasm) {
    sharedWasm = loadKernelExports().then(createWasmKernels);
    sharedWasm.catch(() => { sharedWasm = null; });
  }
  return sharedWasm;
}

/**
 * New kernels of a kind with their own regions; for 'wasm', a fresh compile and instance of the module with
 * its own memory (what a cold start costs). For isolated users, tests and benchmarks.
 */
export async function createKernels(kind: KernelKind = 'wasm'): Promise<Kernels> {
  checkKind(kind);
  if (kind === 'js') return createReferenceKernels();
  return createWasmKernels(await instantiateKernelExports());
}
