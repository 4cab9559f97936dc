/**
 * The 'wasm' Kernels: the AssemblyScript SIMD module behind the contract (contract.ts). Every kernel is bound
 * from the table (table.ts): view arguments become byte offsets into the module memory, the table's host values
 * (EPS, the eigen-solver constants, the jet table's address) are appended, and the one checking wrapper
 * (checks.ts) runs first. Memory: arena.ts.
 */
import type { KernelOps, Kernels, Regions } from '../contract.js';
import { checkReserve, withChecks } from '../checks.js';
import { KERNEL_NAMES, PARSED, type HostArg } from '../table.js';
import { EIGEN_MAX_ITER, EIGEN_TOL, EPS } from '../../constants.js';
import { InvalidInputError } from '../../errors.js';
import { createArena, type Arena } from './arena.js';
import type { KernelExports } from './loader.js';

function hostValue(arena: Arena, h: HostArg): number {
  switch (h) {
    case 'eps': return EPS;
    case 'eigenMaxIter': return EIGEN_MAX_ITER;
    case 'eigenTol': return EIGEN_TOL;
    case 'lut': return arena.lut;
  }
}

/** The raw kernels: the exports of the arena's current instance, views as offsets, host values appended. */
function bindExports(arena: Arena): KernelOps {
  const raw: Partial<Record<string, (...args: unknown[]) => void>> = {};
  for (const name of KERNEL_NAMES) {
    const { params, host } = PARSED[name];
    const views = params.flatMap((p, i) => (p.kind === 'f32' || p.kind === 'u8' ? [i] : []));
    raw[name] = (...args: unknown[]) => {
      for (const i of views) args[i] = (args[i] as Float32Array | Uint8Array).byteOffset;
      for (const h of host) args.push(hostValue(arena, h));
      (arena.ex[name] as (...a: unknown[]) => void)(...args);
    };
  }
  return raw as unknown as KernelOps;
}

export function createWasmKernels(module: WebAssembly.Module, first: KernelExports): Kernels {
  const arena = createArena(module, first);
  const ops = withChecks(bindExports(arena), (kernel, name, view) => {
    if (view.buffer !== arena.ex.memory.buffer) {
      throw new InvalidInputError(
        `${kernel}: ${name} is not a view over this wasm kernels' current memory. Pass the views returned by the ` +
        'latest reserve() of the same kernels object (views taken before the memory grew or was released are detached).');
    }
  });
  return {
    kind: 'wasm',
    ...ops,
    reserve(f32: Record<string, number>, u8: Record<string, number> = {}): Regions {
      checkReserve(f32, u8);
      return arena.reserve(f32, u8);
    },
    release: () => arena.release(),
    get memoryBytes() { return arena.bytes; },
  };
}
