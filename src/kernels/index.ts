/**
 * The kernels: getKernels('wasm') (AssemblyScript SIMD, the default) or getKernels('js') (the plain
 * TypeScript twin). Both implement the contract of contract.ts, checked by the one wrapper of checks.ts
 * against the one table of table.ts.
 */
import type { Kernels, KernelKind } from './contract.js';
import { compileKernels, instantiateKernels, sharedKernelsModule } from './wasm/loader.js';
import { createWasmKernels } from './wasm/binding.js';
import { createJsKernels } from './js/index.js';

export type { Kernels, KernelKind, KernelOps, Regions } from './contract.js';
export { KERNEL_TABLE, KERNEL_NAMES, eigencamScratchLength, type KernelName } from './table.js';

let sharedWasm: Promise<Kernels> | null = null;
let sharedJs: Kernels | null = null;

function checkKind(kind: unknown): asserts kind is KernelKind {
  if (kind !== 'wasm' && kind !== 'js') throw new Error(`Unknown kernels kind "${String(kind)}": use 'wasm' or 'js'.`);
}

async function newWasmKernels(module: WebAssembly.Module): Promise<Kernels> {
  return createWasmKernels(module, await instantiateKernels(module));
}

/**
 * The process-wide kernels of a kind, created on first use and cached (the wasm module is compiled once).
 * They are shared: their reserve() regions are reused by every caller, so use the views of a reserve() before
 * anyone calls reserve() again.
 */
export function getKernels(kind: KernelKind = 'wasm'): Promise<Kernels> {
  checkKind(kind);
  if (kind === 'js') return Promise.resolve(sharedJs ??= createJsKernels());
  if (!sharedWasm) {
    sharedWasm = sharedKernelsModule().then(newWasmKernels);
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
  if (kind === 'js') return createJsKernels();
  return newWasmKernels(await compileKernels());
}
