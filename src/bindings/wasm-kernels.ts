/**
 * The 'wasm' Kernels: the AssemblyScript SIMD module behind the contract of types.ts.
 *
 * Memory map of the module (all offsets 16-byte aligned):
 *   [0, heapBase)            the module's static data
 *   [lut, lut + 1024)        JET_LUT (src/reference/colormap.ts), written once at creation
 *   [arena, ...)             the regions of the latest reserve(), laid out in the order given (f32, then u8)
 * reserve() grows the memory (memory.grow) when the regions do not fit, and always returns views over the
 * current buffer. Growth keeps the bytes, and a reserve() whose first regions have the same names and lengths
 * as before gets the same offsets, so their data is kept. Views from an earlier reserve() must not be used
 * after a later one; after a growth they are detached and every kernel rejects them.
 */
import type { Kernels, Regions } from './types.js';
import type { KernelExports } from './loader.js';
import { check, checkReserve } from './checks.js';
import { EPS } from '../constants.js';
import { InvalidInputError } from '../errors.js';
import { JET_LUT } from '../reference/colormap.js';

const PAGE = 65536;
const align16 = (n: number) => (n + 15) & ~15;

type View = Float32Array | Uint8Array;

export function createWasmKernels(ex: KernelExports): Kernels {
  const memory = ex.memory;
  // Each export bound once, with the signature of KernelExports.
  const {
    camWeights, gradcamWeights, gradcamppWeights, gradcamppAlpha, weightedSum, reluNormalize, resizeBilinear,
    colormap, overlay, explanationMap,
  } = ex;

  const lut = align16(ex.heapBase());
  const arena = align16(lut + JET_LUT.length);

  function ensure(end: number): void {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      memory.grow(pages);
    } catch (e) {
      throw new Error(`The kernels' wasm memory cannot grow from ${have} to ${end} bytes ` +
        `(${(e as Error)?.message ?? e}): reserve smaller regions.`);
    }
  }

  ensure(arena);
  new Uint8Array(memory.buffer, lut, JET_LUT.length).set(JET_LUT);

  /** The byte offset of `view` in the module memory; throws if it is not a view over the current memory. */
  function ptr(method: string, name: string, view: View): number {
    if (!ArrayBuffer.isView(view) || view.buffer !== memory.buffer) {
      throw new InvalidInputError(
        `${method}: ${name} is not a view over this wasm kernels' current memory. Pass the views returned by the ` +
        'latest reserve() of the same kernels object (views taken before the memory grew are detached).');
    }
    return view.byteOffset;
  }

  return {
    kind: 'wasm',

    reserve(f32: Record<string, number>, u8: Record<string, number> = {}): Regions {
      checkReserve(f32, u8);
      let end = arena;
      const layout: Array<[kind: 'f32' | 'u8', name: string, offset: number, n: number]> = [];
      for (const [name, n] of Object.entries(f32)) {
        layout.push(['f32', name, end, n]);
        end = align16(end + 4 * n);
      }
      for (const [name, n] of Object.entries(u8)) {
        layout.push(['u8', name, end, n]);
        end = align16(end + n);
      }
      ensure(end);
      const buffer = memory.buffer;
      const out: Regions = { f32: {}, u8: {} };
      for (const [kind, name, offset, n] of layout) {
        if (kind === 'f32') out.f32[name] = new Float32Array(buffer, offset, n);
        else out.u8[name] = new Uint8Array(buffer, offset, n);
      }
      return out;
    },

    camWeights(kernel, K, numClasses, c, out) {
      const m = 'camWeights';
      const pk = ptr(m, 'kernel', kernel), po = ptr(m, 'out', out);
      check.camWeights(kernel, K, numClasses, c, out);
      camWeights(pk, K, numClasses, c, po);
    },
    gradcamWeights(g, Z, K, out) {
      const m = 'gradcamWeights';
      const pg = ptr(m, 'g', g), po = ptr(m, 'out', out);
      check.gradcamWeights(g, Z, K, out);
      gradcamWeights(pg, Z, K, po);
    },
    gradcamppWeights(a, g, Z, K, scratch, out) {
      const m = 'gradcamppWeights';
      const pa = ptr(m, 'a', a), pg = ptr(m, 'g', g), ps = ptr(m, 'scratch', scratch), po = ptr(m, 'out', out);
      check.gradcamppWeights(m, a, g, Z, K, scratch, out, K);
      gradcamppWeights(pa, pg, Z, K, ps, po, EPS);
    },
    gradcamppAlpha(a, g, Z, K, scratch, out) {
      const m = 'gradcamppAlpha';
      const pa = ptr(m, 'a', a), pg = ptr(m, 'g', g), ps = ptr(m, 'scratch', scratch), po = ptr(m, 'out', out);
      check.gradcamppWeights(m, a, g, Z, K, scratch, out, Z * K);
      gradcamppAlpha(pa, pg, Z, K, ps, po, EPS);
    },
    weightedSum(a, w, Z, K, out) {
      const m = 'weightedSum';
      const pa = ptr(m, 'a', a), pw = ptr(m, 'w', w), po = ptr(m, 'out', out);
      check.weightedSum(a, w, Z, K, out);
      weightedSum(pa, pw, Z, K, po);
    },
    reluNormalize(x, n) {
      const px = ptr('reluNormalize', 'x', x);
      check.reluNormalize(x, n);
      reluNormalize(px, n, EPS);
    },
    resizeBilinear(src, h, w, dst, H, W) {
      const m = 'resizeBilinear';
      const ps = ptr(m, 'src', src), pd = ptr(m, 'dst', dst);
      check.resizeBilinear(src, h, w, dst, H, W);
      resizeBilinear(ps, h, w, pd, H, W);
    },
    overlay(rgba, heat, n, alpha, out) {
      const m = 'overlay';
      const pr = ptr(m, 'rgba', rgba), ph = ptr(m, 'heat', heat), po = ptr(m, 'out', out);
      check.overlay(rgba, heat, n, alpha, out);
      overlay(pr, ph, n, alpha, po, lut);
    },
    colormap(heat, n, out) {
      const m = 'colormap';
      const ph = ptr(m, 'heat', heat), po = ptr(m, 'out', out);
      check.colormap(heat, n, out);
      colormap(ph, n, po, lut);
    },
    explanationMap(img, heat, n, C, out) {
      const m = 'explanationMap';
      const pi = ptr(m, 'img', img), ph = ptr(m, 'heat', heat), po = ptr(m, 'out', out);
      check.explanationMap(img, heat, n, C, out);
      explanationMap(pi, ph, n, C, po);
    },
  };
}
