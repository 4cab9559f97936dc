// Channel weights of CAM, Grad-CAM and Grad-CAM++ (AssemblyScript, f32x4 SIMD).
//
// Layout: channel-last (HWC), as tfjs gives it: x[p * K + k], p = i * W + j one of Z = H * W positions,
// k one of K channels. Every pointer is a byte offset into this module's memory; every kernel writes only
// into its output (and `scratch`) and allocates nothing. The channel loops are contiguous, so they are
// vectorised over k, four channels per f32x4, with a scalar loop for the K % 4 tail.
// The plain-TypeScript twin is src/kernels/js/weights.ts; test/kernels.test.ts runs one table against both.
import { f4 } from './simd';

/**
 * dst[k] = sum_p src[p*K + k] (Z positions, K channels), summed in ascending p.
 * Streams src once, in memory order; dst (K floats) stays in cache.
 */
@inline function sumOverPositions(src: usize, Z: i32, K: i32, dst: usize): void {
  const K4 = K & ~3;
  const zero = f32x4.splat(0);
  for (let k = 0; k < K4; k += 4) v128.store(dst + f4(k), zero);
  for (let k = K4; k < K; k++) store<f32>(dst + f4(k), 0);
  for (let p = 0; p < Z; p++) {
    const row = src + f4(p * K);
    for (let k = 0; k < K4; k += 4) {
      const o = dst + f4(k);
      v128.store(o, f32x4.add(v128.load(o), v128.load(row + f4(k))));
    }
    for (let k = K4; k < K; k++) {
      const o = dst + f4(k);
      store<f32>(o, load<f32>(o) + load<f32>(row + f4(k)));
    }
  }
}

/**
 * CAM (Zhou et al. 2016, Eq. 2 there): out[k] = kernel[k * numClasses + c], the column of class c of the
 * final Dense kernel (K x numClasses, row-major). A strided gather: nothing to vectorise.
 */
export function camWeights(kernel: usize, K: i32, numClasses: i32, c: i32, out: usize): void {
  for (let k = 0; k < K; k++) {
    store<f32>(out + f4(k), load<f32>(kernel + f4(k * numClasses + c)));
  }
}

/** Grad-CAM (Selvaraju et al. 2017, Eq. 1): out[k] = (1/Z) * sum_p g[p*K + k]. */
export function gradcamWeights(g: usize, Z: i32, K: i32, out: usize): void {
  sumOverPositions(g, Z, K, out);
  const invZ: f32 = Z > 0 ? <f32>1.0 / <f32>Z : 0;
  const vInvZ = f32x4.splat(invZ);
  const K4 = K & ~3;
  for (let k = 0; k < K4; k += 4) {
    const o = out + f4(k);
    v128.store(o, f32x4.mul(v128.load(o), vInvZ));
  }
  for (let k = K4; k < K; k++) {
    const o = out + f4(k);
    store<f32>(o, load<f32>(o) * invZ);
  }
}

/**
 * Grad-CAM++ alpha for 4 channels (Chattopadhyay et al. 2018, Eq. 19, simplified for g != 0):
 * alpha = 1 / (2 + sumA * g), and 0 where g == 0 or |2 + sumA * g| < eps.
 * The mask is applied after the division, so an infinite 1/0 never reaches the output.
 */
@inline function alpha4(sumA: v128, g: v128, two: v128, eps: v128, zero: v128): v128 {
  const d = f32x4.add(two, f32x4.mul(sumA, g));
  const keep = v128.and(f32x4.ne(g, zero), f32x4.ge(f32x4.abs(d), eps));
  return v128.and(f32x4.div(f32x4.splat(1), d), keep);
}

/** The scalar twin of alpha4, for the K % 4 tail. */
@inline function alpha1(sumA: f32, g: f32, eps: f32): f32 {
  const d: f32 = <f32>2 + sumA * g;
  if (g == 0 || !(Mathf.abs(d) >= eps)) return 0;
  return <f32>1 / d;
}

/**
 * Grad-CAM++ weights (Chattopadhyay et al. 2018, Eq. 19, with the logit S: exp(S) cancels inside alpha
 * and scales every weight by one positive factor, so it is dropped):
 *   scratch[k] = sumA[k] = sum_p a[p*K + k]
 *   out[k] = sum_p alpha[p,k] * max(g[p*K + k], 0),  alpha = 1 / (2 + sumA * g); 0 where g == 0 or |2 + sumA g| < eps.
 * `eps` is EPS of src/constants.ts, passed in by the host (one source of truth).
 *
 * Computed in float64, as the TypeScript twin is, so both give the same float32 results bit for bit. This
 * matters next to the singularity 2 + sumA * g = 0 (a target with negative activations, e.g. no ReLU after
 * it): there alpha reaches 1/eps, and float32 arithmetic (whose rounding of 2 + sumA * g is ~2e-7) put a
 * position on different sides of the eps guard in the two kernels (maps 3 % apart, weights up to 40x).
 * Channels go four at a time (two f64x2 per block), positions in ascending order within a channel: the
 * twin's summation order. sumA is rounded to float32 in scratch and used rounded, as the twin does.
 */
export function gradcamppWeights(a: usize, g: usize, Z: i32, K: i32, scratch: usize, out: usize, eps: f64): void {
  const K4 = K & ~3;
  const zero = f64x2.splat(0);
  const two = f64x2.splat(2);
  const one = f64x2.splat(1);
  const vEps = f64x2.splat(eps);
  for (let k = 0; k < K4; k += 4) {
    let s0 = zero, s1 = zero;
    for (let p = 0; p < Z; p++) {
      const v = v128.load(a + f4(p * K + k));
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    const sumA = i32x4.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5);
    v128.store(scratch + f4(k), sumA);
    const a0 = f64x2.promote_low_f32x4(sumA);
    const a1 = f64x2.promote_low_f32x4(i32x4.shuffle(sumA, sumA, 2, 3, 0, 1));
    let w0 = zero, w1 = zero;
    for (let p = 0; p < Z; p++) {
      const gv = v128.load(g + f4(p * K + k));
      const g0 = f64x2.promote_low_f32x4(gv);
      const g1 = f64x2.promote_low_f32x4(i32x4.shuffle(gv, gv, 2, 3, 0, 1));
      const d0 = f64x2.add(two, f64x2.mul(a0, g0));
      const d1 = f64x2.add(two, f64x2.mul(a1, g1));
      const al0 = v128.and(f64x2.div(one, d0), v128.and(f64x2.ne(g0, zero), f64x2.ge(f64x2.abs(d0), vEps)));
      const al1 = v128.and(f64x2.div(one, d1), v128.and(f64x2.ne(g1, zero), f64x2.ge(f64x2.abs(d1), vEps)));
      w0 = f64x2.add(w0, f64x2.mul(al0, f64x2.max(g0, zero)));
      w1 = f64x2.add(w1, f64x2.mul(al1, f64x2.max(g1, zero)));
    }
    v128.store(out + f4(k), i32x4.shuffle(f32x4.demote_f64x2_zero(w0), f32x4.demote_f64x2_zero(w1), 0, 1, 4, 5));
  }
  for (let k = K4; k < K; k++) {
    let s: f64 = 0;
    for (let p = 0; p < Z; p++) s += <f64>load<f32>(a + f4(p * K + k));
    const sumA = <f32>s;
    store<f32>(scratch + f4(k), sumA);
    let w: f64 = 0;
    for (let p = 0; p < Z; p++) {
      const gv = <f64>load<f32>(g + f4(p * K + k));
      const d: f64 = 2 + <f64>sumA * gv;
      const alpha: f64 = gv != 0 && Math.abs(d) >= eps ? 1 / d : 0;
      w += alpha * Math.max(gv, 0);
    }
    store<f32>(out + f4(k), <f32>w);
  }
}
