/**
 * Argument checks of the kernel contract (src/bindings/types.ts), shared by both implementations so that the
 * 'wasm' and 'js' kernels accept and reject exactly the same calls. A kernel that reads past a view would
 * not fail in wasm (it would read other regions of the module memory), hence the length checks.
 */
import { InvalidInputError } from '../errors.js';

type View = Float32Array | Uint8Array;

function dim(method: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new InvalidInputError(`${method}: ${name} must be an integer >= ${min}, got ${v}.`);
  }
}

function len(method: string, name: string, view: View, n: number, what: string, type: typeof Float32Array | typeof Uint8Array = Float32Array): void {
  if (!(view instanceof type)) {
    throw new InvalidInputError(`${method}: ${name} must be a ${type.name} (a region of kernels.reserve()).`);
  }
  if (view.length < n) {
    throw new InvalidInputError(
      `${method}: ${name} has ${view.length} elements but needs at least ${n} (${what}); reserve() a larger region.`);
  }
}

/** One checker per kernel, with the kernel's own arguments. */
export const check = {
  camWeights(kernel: View, K: number, numClasses: number, c: number, out: View): void {
    dim('camWeights', 'K', K, 1);
    dim('camWeights', 'numClasses', numClasses, 1);
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new InvalidInputError(`camWeights: class ${c} is out of range 0..${numClasses - 1}.`);
    }
    len('camWeights', 'kernel', kernel, K * numClasses, 'K * numClasses');
    len('camWeights', 'out', out, K, 'K');
  },
  gradcamWeights(g: View, Z: number, K: number, out: View): void {
    dim('gradcamWeights', 'Z', Z, 1);
    dim('gradcamWeights', 'K', K, 1);
    len('gradcamWeights', 'g', g, Z * K, 'Z * K');
    len('gradcamWeights', 'out', out, K, 'K');
  },
  gradcamppWeights(method: string, a: View, g: View, Z: number, K: number, scratch: View, out: View, outLen: number): void {
    dim(method, 'Z', Z, 1);
    dim(method, 'K', K, 1);
    len(method, 'a', a, Z * K, 'Z * K');
    len(method, 'g', g, Z * K, 'Z * K');
    len(method, 'scratch', scratch, K, 'K');
    len(method, 'out', out, outLen, outLen === K ? 'K' : 'Z * K');
  },
  weightedSum(a: View, w: View, Z: number, K: number, out: View): void {
    dim('weightedSum', 'Z', Z, 1);
    dim('weightedSum', 'K', K, 1);
    len('weightedSum', 'a', a, Z * K, 'Z * K');
    len('weightedSum', 'w', w, K, 'K');
    len('weightedSum', 'out', out, Z, 'Z');
  },
  reluNormalize(x: View, n: number): void {
    dim('reluNormalize', 'n', n, 0);
    len('reluNormalize', 'x', x, n, 'n');
  },
  resizeBilinear(src: View, h: number, w: number, dst: View, H: number, W: number): void {
    dim('resizeBilinear', 'h', h, 1);
    dim('resizeBilinear', 'w', w, 1);
    dim('resizeBilinear', 'H', H, 1);
    dim('resizeBilinear', 'W', W, 1);
    len('resizeBilinear', 'src', src, h * w, 'h * w');
    len('resizeBilinear', 'dst', dst, H * W, 'H * W');
  },
  overlay(rgba: View, heat: View, n: number, alpha: number, out: View): void {
    dim('overlay', 'n', n, 0);
    if (!(alpha >= 0 && alpha <= 1)) throw new InvalidInputError(`overlay: alpha must be in [0, 1], got ${alpha}.`);
    len('overlay', 'rgba', rgba, 4 * n, '4 bytes per pixel', Uint8Array);
    len('overlay', 'heat', heat, n, 'n');
    len('overlay', 'out', out, 4 * n, '4 bytes per pixel', Uint8Array);
  },
  colormap(heat: View, n: number, out: View): void {
    dim('colormap', 'n', n, 0);
    len('colormap', 'heat', heat, n, 'n');
    len('colormap', 'out', out, 4 * n, '4 bytes per pixel', Uint8Array);
  },
  explanationMap(img: View, heat: View, n: number, C: number, out: View): void {
    dim('explanationMap', 'n', n, 0);
    dim('explanationMap', 'C', C, 1);
    len('explanationMap', 'img', img, n * C, 'n * C');
    len('explanationMap', 'heat', heat, n, 'n');
    len('explanationMap', 'out', out, n * C, 'n * C');
  },
};

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
