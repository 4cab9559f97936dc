// The table-driven runner of the kernel tests (test/kernels.test.ts, test/kernels-methods.test.ts): each case
// runs against both implementations of the contract (src/kernels/contract.ts), the AssemblyScript SIMD kernels
// ('wasm') and their plain-TypeScript twins ('js').
//
// A case lays out its regions (input arrays are copied in, a number reserves an output of that length),
// calls kernels, and compares outputs with an oracle:
// - hand-computed values, or float64 formulas written in the test (exact where float32 arithmetic is exact,
//   otherwise a stated tolerance);
// - for random inputs, the 'js' twin (those cases run for 'wasm' only: comparing 'js' with itself proves nothing).
// Tolerances are relative to the largest |expected| of the output: |actual - expected| <= tol * max|expected|.
// tol 0 means bit-exact. NaN never passes. Every case records its largest error: printed at the end as a table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createKernels, getKernels, type KernelPath, type Kernels, type Regions } from '../../src/kernels/index.js';
import { Rng } from '../../src/rng.js';
import { useWasmBackend } from '../../src/backend/index.js';

export type Arr = ArrayLike<number>;
export type Kind = Kernels['kind'];
type Outputs = Record<string, Arr>;

export interface Case {
  name: string;
  /** Float32 regions: an array is copied in, a number reserves an output of that length. */
  f32?: Record<string, Arr | number>;
  /** Byte regions, likewise. */
  u8?: Record<string, Arr | number>;
  /** Calls the kernels on the regions. */
  run?: (k: Kernels, r: Regions) => void;
  /** Expected outputs by region name (hand values or a float64 oracle). */
  expect?: Outputs | (() => Outputs | Promise<Outputs>);
  /** Compare these outputs with the 'js' twin run on the same inputs ('wasm' only). */
  sameAsJs?: string[];
  tol?: number;
  /** Kinds to run for (default both). */
  only?: Kind;
  /** A case that manages its own kernels and assertions (e.g. memory growth). */
  custom?: (k: Kernels, kind: Kind, path: KernelPath) => void | Promise<void>;
}

// ---------------------------------------------------------------------------------------------- helpers
export function rng(seed: number): () => number { // the project's mulberry32 (src/rng.ts)
  const r = new Rng(seed);
  return () => r.next();
}
export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}
export function bytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}
export const zeros = (n: number) => new Array<number>(n).fill(0);
export const fill = (n: number, v: number) => new Array<number>(n).fill(v);
export const f32 = Math.fround;

/** Largest relative error seen per case label (for the summary). */
const errors = new Map<string, number>();

export function close(actual: Arr, expected: Arr, tol: number, label: string, record?: string): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = -1, worstErr = 0, maxErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > maxErr || Number.isNaN(err)) maxErr = Number.isNaN(err) ? Infinity : err;
    if (!(err <= tol * scale)) {
      if (worst < 0 || !(err <= worstErr)) { worst = i; worstErr = err; }
    }
  }
  if (record) errors.set(record, Math.max(errors.get(record) ?? 0, scale > 0 ? maxErr / scale : maxErr));
  if (worst >= 0) {
    assert.unreachable(`${label}[${worst}] = ${actual[worst]}, expected ${expected[worst]} ` +
      `(tolerance ${tol} x ${scale}; first of the worst mismatches)`);
  }
}

function layout(k: Kernels, c: Case): Regions {
  const sizes = (rec: Record<string, Arr | number> = {}) =>
    Object.fromEntries(Object.entries(rec).map(([n, v]) => [n, typeof v === 'number' ? v : v.length]));
  const r = k.reserve(sizes(c.f32), sizes(c.u8));
  for (const [n, v] of Object.entries(c.f32 ?? {})) if (typeof v !== 'number') r.f32[n].set(v);
  for (const [n, v] of Object.entries(c.u8 ?? {})) if (typeof v !== 'number') r.u8[n].set(v);
  return r;
}
const view = (r: Regions, name: string) => r.f32[name] ?? r.u8[name];
const snapshot = (r: Regions, names: string[]) =>
  Object.fromEntries(names.map((n) => [n, Array.from(view(r, n))])) as Outputs;

// --------------------------------------------------------------------------------------------- runner
/** Registers every case for both kinds, and a last test that prints the largest relative error per case. */
export function runCases(cases: Case[]): void {
  const jsOracle = createKernels('js');
  // 'wasm' runs twice: the module with its own memory (one-copy) and, when the tfjs wasm backend is active, the
  // module importing tfjs-wasm's heap (zero-copy). Same cases, same expected bytes.
  let oneCopy: Promise<Kernels> | null = null;
  const variants = [
    { kind: 'wasm', path: 'one-copy', tag: 'wasm', get: () => (oneCopy ??= createKernels('wasm', 'one-copy')) },
    { kind: 'wasm', path: 'zero-copy', tag: 'wasm zero-copy', get: async () => { await useWasmBackend(); return getKernels('wasm'); } },
    { kind: 'js', path: 'one-copy', tag: 'js', get: () => getKernels('js') },
  ] as const;
  for (const { kind, path, tag, get } of variants) {
    for (const c of cases) {
      if (c.only && c.only !== kind) continue;
      const label = `[${tag}] ${c.name}`;
      test(label, async () => {
        const k = await get();
        assert.is(k.path, path, `${label}: kernels of the path asked for (is the tfjs wasm backend active?)`);
        if (c.custom) {
          await c.custom(k, kind, path);
          return;
        }
        const r = layout(k, c);
        c.run!(k, r);
        const tol = c.tol ?? 0;
        if (c.expect) {
          const expected = typeof c.expect === 'function' ? await c.expect() : c.expect;
          for (const [name, values] of Object.entries(expected)) close(view(r, name), values, tol, name, label);
        }
        if (c.sameAsJs) {
          const actual = snapshot(r, c.sameAsJs);
          const js = await jsOracle;
          const rj = layout(js, c);
          c.run!(js, rj);
          for (const name of c.sameAsJs) close(actual[name], view(rj, name), tol, `${name} (wasm vs js)`, label);
        }
        if (!c.expect && !c.sameAsJs) assert.unreachable('a case with no oracle');
      });
    }
  }
  test('(summary) largest relative error per case', () => {
    if (process.env.KERNEL_ERRORS) {
      for (const [label, e] of errors) console.log(`${e.toExponential(1).padStart(8)}  ${label}`);
    }
  });
}
