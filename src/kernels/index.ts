/**
 * The kernels: getKernels('wasm') (AssemblyScript SIMD, the default) or getKernels('js') (the plain
 * TypeScript twin). Both implement the contract of contract.ts, checked by the one wrapper of checks.ts
 * against the one table of table.ts.
 *
 * The path of 'wasm' kernels is chosen once, when they are made: 'zero-copy' when the active tfjs backend is
 * tfjs-wasm and its heap is reachable (wasm/tfjs-heap.ts; the module then imports that memory and reads tensors
 * in place), else 'one-copy' (the module owns its memory; tensors are copied in once).
 */
import type { Kernels, KernelKind, KernelPath } from './contract.js';
import { compileKernels, instantiateKernels, sharedKernelsModule } from './wasm/loader.js';
import { createWasmKernels, createZeroCopyKernels } from './wasm/binding.js';
import { tfjsHeap, type TfjsHeap } from './wasm/tfjs-heap.js';
import { createJsKernels } from './js/index.js';

export type { Kernels, KernelKind, KernelOps, KernelPath, Regions, TensorPart } from './contract.js';
export { KERNEL_TABLE, KERNEL_NAMES, eigencamScratchLength, type KernelName } from './table.js';
export { tensorBytesCopied } from './tensor-io.js';

let sharedWasm: Promise<Kernels> | null = null;
let sharedJs: Kernels | null = null;
/** Zero-copy kernels per tfjs-wasm backend object (a new backend instance has a new heap). */
const sharedZeroCopy = new WeakMap<object, Promise<Kernels>>();

function checkKind(kind: unknown): asserts kind is KernelKind {
  if (kind !== 'wasm' && kind !== 'js') throw new Error(`Unknown kernels kind "${String(kind)}": use 'wasm' or 'js'.`);
}

async function newWasmKernels(module: WebAssembly.Module): Promise<Kernels> {
  return createWasmKernels(module, await instantiateKernels(module));
}

async function newZeroCopyKernels(heap: TfjsHeap, fresh: boolean): Promise<Kernels> {
  const build = heap.shared ? 'shared' : 'imported';
  const module = fresh ? await compileKernels(build) : await sharedKernelsModule(build);
  return createZeroCopyKernels(heap, await instantiateKernels(module, heap.memory));
}

/**
 * The process-wide kernels of a kind, created on first use and cached (the wasm module is compiled once).
 * 'wasm' gives the zero-copy kernels of the active tfjs-wasm backend when there is one, else the one-copy ones.
 * They are shared: their reserve() regions are reused by every caller, so use the views of a reserve() before
 * anyone calls reserve() again.
 */
export function getKernels(kind: KernelKind = 'wasm'): Promise<Kernels> {
  checkKind(kind);
  if (kind === 'js') return Promise.resolve(sharedJs ??= createJsKernels());
  const heap = tfjsHeap();
  if (heap) {
    let k = sharedZeroCopy.get(heap.backend);
    if (!k) {
      k = newZeroCopyKernels(heap, false);
      sharedZeroCopy.set(heap.backend, k);
      k.catch(() => sharedZeroCopy.delete(heap.backend));
    }
    return k;
  }
  if (!sharedWasm) {
    sharedWasm = sharedKernelsModule().then(newWasmKernels);
    sharedWasm.catch(() => { sharedWasm = null; });
  }
  return sharedWasm;
}

/**
 * New kernels of a kind with their own regions; for 'wasm', a fresh compile and instance of the module (what a
 * cold start costs). `path` forces the path of 'wasm' kernels (default: as getKernels chooses); 'zero-copy'
 * needs the tfjs-wasm backend to be active. For isolated users, tests and benchmarks.
 */
export async function createKernels(kind: KernelKind = 'wasm', path?: KernelPath): Promise<Kernels> {
  checkKind(kind);
  if (kind === 'js') return createJsKernels();
  if (path !== undefined && path !== 'zero-copy' && path !== 'one-copy') {
    throw new Error(`Unknown kernels path "${String(path)}": use 'zero-copy' or 'one-copy'.`);
  }
  const heap = path === 'one-copy' ? null : tfjsHeap();
  if (path === 'zero-copy' && !heap) {
    throw new Error("Zero-copy kernels need the tfjs wasm backend to be active (await tf.setBackend('wasm')).");
  }
  return heap ? newZeroCopyKernels(heap, true) : newWasmKernels(await compileKernels());
}
