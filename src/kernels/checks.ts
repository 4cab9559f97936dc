/**
 * The one checking wrapper: every call of either implementation goes through it, and its checks come from the
 * table (table.ts), so the 'wasm' and 'js' kernels accept and reject exactly the same calls. A kernel that
 * reads past a view would not fail in wasm (it would read other regions of the module memory), hence the
 * length checks. Checks run once per call, before the kernel; the kernel itself trusts its arguments.
 */
import { InvalidInputError } from '../errors.js';
import type { KernelOps } from './contract.js';
import { KERNEL_NAMES, PARSED, type KernelName } from './table.js';

/** A hook run on every view argument first (the wasm binding rejects views that are not over its memory). */
export type ViewCheck = (kernel: string, name: string, view: Float32Array | Uint8Array) => void;

function checkArgs(kernel: KernelName, args: unknown[], ownView?: ViewCheck): void {
  const { params } = PARSED[kernel];
  if (args.length !== params.length) {
    throw new InvalidInputError(`${kernel}: expected ${params.length} arguments (${params.map((p) => p.name).join(', ')}), got ${args.length}.`);
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i], v = args[i];
    if (p.kind === 'int') {
      if (!Number.isInteger(v) || (v as number) < p.min) {
        throw new InvalidInputError(`${kernel}: ${p.name} must be an integer >= ${p.min}, got ${String(v)}.`);
      }
    } else if (p.kind === 'index') {
      const bound = args[p.bound] as number;
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= bound) {
        throw new InvalidInputError(`${kernel}: ${p.name === 'c' ? 'class' : p.name} ${String(v)} is out of range 0..${bound - 1}.`);
      }
    } else if (p.kind === 'unit') {
      if (!((v as number) >= 0 && (v as number) <= 1)) {
        throw new InvalidInputError(`${kernel}: ${p.name} must be in [0, 1], got ${String(v)}.`);
      }
    }
  }
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p.kind !== 'f32' && p.kind !== 'u8') continue;
    const type = p.kind === 'f32' ? Float32Array : Uint8Array;
    const v = args[i];
    if (!(v instanceof type)) {
      throw new InvalidInputError(`${kernel}: ${p.name} must be a ${type.name} (a region of kernels.reserve()).`);
    }
    ownView?.(kernel, p.name, v);
    const n = p.len(args);
    if (v.length < n) {
      throw new InvalidInputError(
        `${kernel}: ${p.name} has ${v.length} elements but needs at least ${n} (${p.lenText}); reserve() a larger region.`);
    }
  }
}

/** The kernels of `impl`, each checked against the table before it runs. */
export function withChecks(impl: KernelOps, ownView?: ViewCheck): KernelOps {
  const out: Partial<Record<KernelName, (...args: unknown[]) => void>> = {};
  for (const name of KERNEL_NAMES) {
    const fn = impl[name] as (...args: unknown[]) => void;
    out[name] = (...args: unknown[]) => {
      checkArgs(name, args, ownView);
      fn(...args);
    };
  }
  return out as unknown as KernelOps;
}

/** Sizes given to reserve(): non-negative integers. */
export function checkReserve(f32: Record<string, number>, u8: Record<string, number>): void {
  for (const [kind, rec] of [['f32', f32], ['u8', u8]] as const) {
    for (const [name, n] of Object.entries(rec)) {
      if (!Number.isInteger(n) || n < 0) {
        throw new InvalidInputError(`reserve: ${kind} region "${name}" needs a length that is an integer >= 0, got ${n}.`);
      }
    }
  }
}
