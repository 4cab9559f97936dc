// Weighted sum of the activation channels and ReLU + min-max normalisation (AssemblyScript, f32x4 SIMD).
// Layout and conventions: see weights.ts. Twin: src/kernels/js/combine.ts.
import { f4, hsum, hmin, hmax } from './simd';

/**
 * out[p] = sum_k w[k] * a[p*K + k]  (the map before the ReLU: Eq. 7 of the report, Selvaraju 2017 Eq. 2).
 * Per position: four f32x4 accumulators over blocks of 16 channels (independent add chains), then blocks of 4,
 * then a scalar tail for K % 4.
 */
export function weightedSum(a: usize, w: usize, Z: i32, K: i32, out: usize): void {
  const K16 = K & ~15;
  const K4 = K & ~3;
  for (let p = 0; p < Z; p++) {
    const row = a + f4(p * K);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let k = 0;
    for (; k < K16; k += 16) {
      const ra = row + f4(k), rw = w + f4(k);
      s0 = f32x4.add(s0, f32x4.mul(v128.load(ra), v128.load(rw)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(ra, 16), v128.load(rw, 16)));
      s2 = f32x4.add(s2, f32x4.mul(v128.load(ra, 32), v128.load(rw, 32)));
      s3 = f32x4.add(s3, f32x4.mul(v128.load(ra, 48), v128.load(rw, 48)));
    }
    for (; k < K4; k += 4) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load(row + f4(k)), v128.load(w + f4(k))));
    }
    let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    for (; k < K; k++) s += load<f32>(row + f4(k)) * load<f32>(w + f4(k));
    store<f32>(out + f4(p), s);
  }
}

/**
 * In place over x[0..n): x = max(x, 0), then min-max to [0, 1]: (x - min) / (max - min).
 * Where max - min <= eps * max (a constant map, all zeros, or all negative before the ReLU) every value
 * becomes 0: never NaN for finite input. The largest value becomes exactly 1 (a division, not a reciprocal).
 * `eps` is EPS of src/constants.ts, passed in by the host.
 */
export function reluNormalize(x: usize, n: i32, eps: f32): void {
  if (n <= 0) return;
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  let vmin = f32x4.splat(Infinity);
  let vmax = zero;
  for (let i = 0; i < n4; i += 4) {
    const o = x + f4(i);
    const v = f32x4.max(v128.load(o), zero);
    v128.store(o, v);
    vmin = f32x4.min(vmin, v);
    vmax = f32x4.max(vmax, v);
  }
  let mn = hmin(vmin);
  let mx = hmax(vmax);
  for (let i = n4; i < n; i++) {
    const o = x + f4(i);
    const v = Mathf.max(load<f32>(o), 0);
    store<f32>(o, v);
    mn = Mathf.min(mn, v);
    mx = Mathf.max(mx, v);
  }
  const range: f32 = mx - mn;
  if (!(range > eps * mx)) {
    for (let i = 0; i < n4; i += 4) v128.store(x + f4(i), zero);
    for (let i = n4; i < n; i++) store<f32>(x + f4(i), 0);
    return;
  }
  const vmn = f32x4.splat(mn);
  const vrange = f32x4.splat(range);
  for (let i = 0; i < n4; i += 4) {
    const o = x + f4(i);
    v128.store(o, f32x4.div(f32x4.sub(v128.load(o), vmn), vrange));
  }
  for (let i = n4; i < n; i++) {
    const o = x + f4(i);
    store<f32>(o, (load<f32>(o) - mn) / range);
  }
}
