/**
 * The one table of the kernels: for each kernel of the contract (contract.ts), its arguments in order, with
 * their kinds and the sizes they must have; and the values the wasm binding appends from the host (constants of
 * src/constants.ts, or the jet table's address). The checking wrapper (checks.ts), the wasm binding
 * (wasm/binding.ts) and the export list the module must have (wasm/loader.ts) are derived from it;
 * test/kernels.test.ts checks it against the module's exports and the twins' arities.
 *
 * Argument syntax (space separated, in the kernel's argument order):
 *   name:f32[len]  a Float32Array view of at least len elements   name:u8[len]  the same for a Uint8Array
 *   name:int>=N    an integer >= N                                 name:index<D  an integer in 0..D-1
 *   name:unit      a number in [0, 1]
 * len: a sum of products of integers, argument names and min(x,y), e.g. Z*K, 4*n, min(Z,K)*min(Z,K)+2*K.
 */
import type { KernelOps } from './contract.js';

export type KernelName = keyof KernelOps;
/** Values the wasm binding appends to the arguments: EPS, EIGEN_MAX_ITER, EIGEN_TOL, the jet table's address. */
export type HostArg = 'eps' | 'eigenMaxIter' | 'eigenTol' | 'lut';
export interface KernelSpec {
  readonly params: string;
  readonly host?: readonly HostArg[];
}

const AG = 'a:f32[Z*K] g:f32[Z*K] Z:int>=1 K:int>=1';

export const KERNEL_TABLE = {
  camWeights: { params: 'kernel:f32[K*numClasses] K:int>=1 numClasses:int>=1 c:index<numClasses out:f32[K]' },
  gradcamWeights: { params: 'g:f32[Z*K] Z:int>=1 K:int>=1 out:f32[K]' },
  gradcamppWeights: { params: `${AG} scratch:f32[K] out:f32[K]`, host: ['eps'] },
  xgradcamWeights: { params: `${AG} scratch:f32[K] out:f32[K]`, host: ['eps'] },
  hirescamMap: { params: `${AG} out:f32[Z]` },
  gradcamElementwiseMap: { params: `${AG} out:f32[Z]` },
  layercamMap: { params: `${AG} out:f32[Z]` },
  eigencamMap: {
    params: 'a:f32[Z*K] Z:int>=1 K:int>=1 scratch:f32[min(Z,K)*min(Z,K)+2*min(Z,K)+2*K] out:f32[Z]',
    host: ['eigenMaxIter', 'eigenTol'],
  },
  smoothgradcamppAccumulate: { params: 'g:f32[n] n:int>=0 d1:f32[n] d2:f32[n] d3:f32[n]' },
  smoothgradcamppWeights: {
    params: 'a:f32[Z*K] d1:f32[Z*K] d2:f32[Z*K] d3:f32[Z*K] Z:int>=1 K:int>=1 samples:int>=1 scratch:f32[K] out:f32[K]',
    host: ['eps'],
  },
  channelPlanes: { params: 'a:f32[Z*K] Z:int>=1 K:int>=1 out:f32[Z*K]' },
  normalizePlanes: { params: 'x:f32[n*count] n:int>=1 count:int>=0', host: ['eps'] },
  fuseMaps: { params: 'maps:f32[n*count] n:int>=0 count:int>=1 out:f32[n]', host: ['eps'] },
  weightedSum: { params: 'a:f32[Z*K] w:f32[K] Z:int>=1 K:int>=1 out:f32[Z]' },
  reluNormalize: { params: 'x:f32[n] n:int>=0', host: ['eps'] },
  resizeBilinear: { params: 'src:f32[h*w] h:int>=1 w:int>=1 dst:f32[H*W] H:int>=1 W:int>=1' },
  resizeFrames: { params: 'src:f32[T*h*w] T:int>=1 h:int>=1 w:int>=1 dst:f32[T*H*W] H:int>=1 W:int>=1' },
  frameProfile: { params: 'x:f32[T*n] T:int>=1 n:int>=1 out:f32[T]' },
  overlay: { params: 'rgba:u8[4*n] heat:f32[n] n:int>=0 alpha:unit out:u8[4*n]', host: ['lut'] },
  colormap: { params: 'heat:f32[n] n:int>=0 out:u8[4*n]', host: ['lut'] },
  explanationMap: { params: 'img:f32[n*C] heat:f32[n] n:int>=0 C:int>=1 out:f32[n*C]' },
} as const satisfies Record<KernelName, KernelSpec>;

export const KERNEL_NAMES = Object.keys(KERNEL_TABLE) as KernelName[];

/** The scratch length eigencamMap needs (the table's expression, for callers that reserve it). */
export function eigencamScratchLength(Z: number, K: number): number {
  const m = Math.min(Z, K);
  return m * m + 2 * m + 2 * K;
}

// ------------------------------------------------------------------------------- the parsed table
export type Param =
  | { name: string; kind: 'f32' | 'u8'; len: (args: ArrayLike<unknown>) => number; lenText: string }
  | { name: string; kind: 'int'; min: number }
  | { name: string; kind: 'index'; bound: number }
  | { name: string; kind: 'unit' };

export interface ParsedSpec {
  readonly params: readonly Param[];
  readonly host: readonly HostArg[];
}

function parseLen(kernel: string, expr: string, names: string[]): (args: ArrayLike<unknown>) => number {
  const at = (n: string): number => {
    const i = names.indexOf(n);
    if (i < 0) throw new Error(`kernel table: ${kernel}: "${n}" in "${expr}" is not an argument`);
    return i;
  };
  const factor = (f: string): (args: ArrayLike<unknown>) => number => {
    if (/^\d+$/.test(f)) { const v = Number(f); return () => v; }
    const m = /^min\((\w+),(\w+)\)$/.exec(f);
    if (m) { const i = at(m[1]), j = at(m[2]); return (a) => Math.min(a[i] as number, a[j] as number); }
    const i = at(f);
    return (a) => a[i] as number;
  };
  const terms = expr.split('+').map((t) => t.split('*').map(factor));
  return (args) => terms.reduce((s, fs) => s + fs.reduce((p, f) => p * f(args), 1), 0);
}

function parse(kernel: string, spec: KernelSpec): ParsedSpec {
  const tokens = spec.params.split(' ');
  const names = tokens.map((t) => t.split(':')[0]);
  const params = tokens.map((t, i): Param => {
    const name = names[i], type = t.slice(name.length + 1);
    let m: RegExpExecArray | null;
    if ((m = /^(f32|u8)\[(.+)\]$/.exec(type))) {
      return { name, kind: m[1] as 'f32' | 'u8', len: parseLen(kernel, m[2], names), lenText: m[2].replace(/([*+])/g, ' $1 ') };
    }
    if ((m = /^int>=(\d+)$/.exec(type))) return { name, kind: 'int', min: Number(m[1]) };
    if ((m = /^index<(\w+)$/.exec(type)) && names.includes(m[1])) return { name, kind: 'index', bound: names.indexOf(m[1]) };
    if (type === 'unit') return { name, kind: 'unit' };
    throw new Error(`kernel table: ${kernel}: cannot read argument "${t}"`);
  });
  return { params, host: spec.host ?? [] };
}

/** The table, parsed once. */
export const PARSED: Readonly<Record<KernelName, ParsedSpec>> = Object.fromEntries(
  KERNEL_NAMES.map((n) => [n, parse(n, KERNEL_TABLE[n])])) as Record<KernelName, ParsedSpec>;
