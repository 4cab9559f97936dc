// Eigen-CAM (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/eigencam.ts. Layout: see weights.ts.
import { f4, hsum } from './simd';

/** sum_k (x[k] - mx[k]) * (y[k] - my[k]) over n floats (my may equal mx). */
@inline function centredDot(x: usize, y: usize, mean: usize, n: i32): f32 {
  const n4 = n & ~3;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= n4; k += 8) {
    const m0 = v128.load(mean + f4(k)), m1 = v128.load(mean + f4(k), 16);
    s0 = f32x4.add(s0, f32x4.mul(f32x4.sub(v128.load(x + f4(k)), m0), f32x4.sub(v128.load(y + f4(k)), m0)));
    s1 = f32x4.add(s1, f32x4.mul(f32x4.sub(v128.load(x + f4(k), 16), m1), f32x4.sub(v128.load(y + f4(k), 16), m1)));
  }
  for (; k < n4; k += 4) {
    const m0 = v128.load(mean + f4(k));
    s0 = f32x4.add(s0, f32x4.mul(f32x4.sub(v128.load(x + f4(k)), m0), f32x4.sub(v128.load(y + f4(k)), m0)));
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; k < n; k++) {
    const m = load<f32>(mean + f4(k));
    s += (load<f32>(x + f4(k)) - m) * (load<f32>(y + f4(k)) - m);
  }
  return s;
}

/** y = M x for a symmetric n x n row-major M; returns ||y||_2. */
function matVec(M: usize, x: usize, y: usize, n: i32): f32 {
  const n4 = n & ~3;
  let ss: f32 = 0;
  for (let i = 0; i < n; i++) {
    const row = M + f4(i * n);
    let s0 = f32x4.splat(0);
    let k = 0;
    for (; k < n4; k += 4) s0 = f32x4.add(s0, f32x4.mul(v128.load(row + f4(k)), v128.load(x + f4(k))));
    let s = hsum(s0);
    for (; k < n; k++) s += load<f32>(row + f4(k)) * load<f32>(x + f4(k));
    store<f32>(y + f4(i), s);
    ss += s * s;
  }
  return Mathf.sqrt(ss);
}

/**
 * The deterministic start vector of the power iteration: x[i] = u_i / ||u||, u_i in [-1, 1) from a 32-bit
 * xorshift (seed 0x9e3779b9, x ^= x << 13; x ^= x >> 17; x ^= x << 5; u = x / 2^31 - 1). Integer steps, so the
 * twin draws the same numbers. Not all-ones: the Gram matrix of centred data has the all-ones vector in its
 * null space.
 */
function startVector(x: usize, n: i32): void {
  let s: u32 = 0x9e3779b9;
  let ss: f32 = 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    const u: f32 = <f32>(<f64>s / 2147483648.0 - 1.0);
    store<f32>(x + f4(i), u);
    ss += u * u;
  }
  const inv: f32 = <f32>1 / Mathf.sqrt(ss);
  for (let i = 0; i < n; i++) store<f32>(x + f4(i), load<f32>(x + f4(i)) * inv);
}

/**
 * Power iteration on the symmetric positive semi-definite n x n matrix M (row-major at M): x <- M x / ||M x||
 * from startVector, until max_i |x_new[i] - x[i]| < tol or maxIter iterations. The result (unit norm) is left
 * in x (y is scratch). Returns false if M x == 0 (M = 0: no principal direction).
 */
function powerIteration(M: usize, n: i32, x: usize, y: usize, maxIter: i32, tol: f32): bool {
  startVector(x, n);
  for (let it = 0; it < maxIter; it++) {
    const norm = matVec(M, x, y, n);
    if (!(norm > 0)) return false;
    const inv: f32 = <f32>1 / norm;
    let change: f32 = 0;
    for (let i = 0; i < n; i++) {
      const v: f32 = load<f32>(y + f4(i)) * inv;
      change = Mathf.max(change, Mathf.abs(v - load<f32>(x + f4(i))));
      store<f32>(x + f4(i), v);
    }
    if (change < tol) break;
  }
  return true;
}

/**
 * Eigen-CAM (Muhammad & Yeasin, IJCNN 2020, arXiv 2008.00299): the projection of the centred activations on
 * their first principal direction. With C = A - mean (rows = the Z positions, columns = the K channels, each
 * column centred), v = the unit first right singular vector of C (the top eigenvector of the K x K covariance
 * C^T C), out[p] = (C v)[p] = sum_k (a[p*K+k] - mean[k]) * v[k]. This is the map before the shared ReLU.
 *
 * Computed in the smaller dimension m = min(Z, K): if Z <= K, the top eigenvector u of the Z x Z Gram matrix
 * C C^T gives v = C^T u / ||C^T u|| (the same v); otherwise power iteration runs on C^T C directly. Both by
 * powerIteration (deterministic start, at most maxIter iterations, stop when no component of the unit vector
 * moves by tol or more; the host passes EIGEN_MAX_ITER and EIGEN_TOL of src/constants.ts).
 *
 * Sign (an SVD's is arbitrary): out is negated if needed so that it correlates positively with the channel-mean
 * map r[p] = (1/K) sum_k a[p*K+k], i.e. sum_p out[p] * (r[p] - mean(r)) >= 0; if that sum is exactly 0, the
 * sign that makes the first largest |out[p]| positive. Constant channels (C = 0), Z = 1 and
 * a rank-0 input give an all-zero map.
 *
 * scratch: m*m + 2*m + 2*K floats, m = min(Z, K) (channel means, the m x m matrix, two m-vectors, v).
 * Tolerance (tests): 1e-5 of the largest |out| against a float64 Jacobi eigensolver with a clear gap between
 * the first two singular values, 1e-4 for random post-ReLU activations (s2^2/s1^2 ~ 0.95; measured 1e-5). The
 * power iteration's error shrinks as (s2/s1)^2 per step; its stop (no component moving by EIGEN_TOL) leaves an
 * error of about EIGEN_TOL / (1 - (s2/s1)^2), so nearly equal s1 and s2 (an ill-defined direction, for any
 * solver) converge slowly, at most EIGEN_MAX_ITER iterations of m*m multiply-adds.
 */
export function eigencamMap(a: usize, Z: i32, K: i32, scratch: usize, out: usize, maxIter: i32, tol: f32): void {
  const m = Z <= K ? Z : K;
  const mean = scratch;
  const M = mean + f4(K);
  const x = M + f4(m * m);
  const y = x + f4(m);
  const v = y + f4(m);
  const K4 = K & ~3;

  // Channel means.
  for (let k = 0; k < K; k++) store<f32>(mean + f4(k), 0);
  for (let p = 0; p < Z; p++) {
    const row = a + f4(p * K);
    let k = 0;
    for (; k < K4; k += 4) v128.store(mean + f4(k), f32x4.add(v128.load(mean + f4(k)), v128.load(row + f4(k))));
    for (; k < K; k++) store<f32>(mean + f4(k), load<f32>(mean + f4(k)) + load<f32>(row + f4(k)));
  }
  const invZ: f32 = <f32>1 / <f32>Z;
  for (let k = 0; k < K; k++) store<f32>(mean + f4(k), load<f32>(mean + f4(k)) * invZ);

  if (Z <= K) {
    // Gram matrix G[p,q] = <C_p, C_q>, symmetric.
    for (let p = 0; p < Z; p++) {
      for (let q = p; q < Z; q++) {
        const s = centredDot(a + f4(p * K), a + f4(q * K), mean, K);
        store<f32>(M + f4(p * Z + q), s);
        store<f32>(M + f4(q * Z + p), s);
      }
    }
  } else {
    // Covariance C^T C, by rank-1 updates over positions (x holds the centred row).
    for (let i = 0; i < K * K; i++) store<f32>(M + f4(i), 0);
    for (let p = 0; p < Z; p++) {
      const row = a + f4(p * K);
      for (let k = 0; k < K; k++) store<f32>(x + f4(k), load<f32>(row + f4(k)) - load<f32>(mean + f4(k)));
      for (let k = 0; k < K; k++) {
        const ck = f32x4.splat(load<f32>(x + f4(k)));
        const ckS = load<f32>(x + f4(k));
        const mr = M + f4(k * K);
        let l = 0;
        for (; l < K4; l += 4) v128.store(mr + f4(l), f32x4.add(v128.load(mr + f4(l)), f32x4.mul(ck, v128.load(x + f4(l)))));
        for (; l < K; l++) store<f32>(mr + f4(l), load<f32>(mr + f4(l)) + ckS * load<f32>(x + f4(l)));
      }
    }
  }

  let ok = powerIteration(M, m, x, y, maxIter, tol);
  if (ok) {
    if (Z <= K) {
      // v = C^T u / ||C^T u||, u = x.
      for (let k = 0; k < K; k++) store<f32>(v + f4(k), 0);
      for (let p = 0; p < Z; p++) {
        const row = a + f4(p * K);
        const up = f32x4.splat(load<f32>(x + f4(p)));
        const upS = load<f32>(x + f4(p));
        let k = 0;
        for (; k < K4; k += 4) {
          const c = f32x4.sub(v128.load(row + f4(k)), v128.load(mean + f4(k)));
          v128.store(v + f4(k), f32x4.add(v128.load(v + f4(k)), f32x4.mul(up, c)));
        }
        for (; k < K; k++) store<f32>(v + f4(k), load<f32>(v + f4(k)) + upS * (load<f32>(row + f4(k)) - load<f32>(mean + f4(k))));
      }
      let ss: f32 = 0;
      for (let k = 0; k < K; k++) ss += load<f32>(v + f4(k)) * load<f32>(v + f4(k));
      const norm = Mathf.sqrt(ss);
      ok = norm > 0;
      const inv: f32 = ok ? <f32>1 / norm : 0;
      for (let k = 0; k < K; k++) store<f32>(v + f4(k), load<f32>(v + f4(k)) * inv);
    } else {
      for (let k = 0; k < K; k++) store<f32>(v + f4(k), load<f32>(x + f4(k)));
    }
  }
  if (!ok) {
    for (let p = 0; p < Z; p++) store<f32>(out + f4(p), 0);
    return;
  }

  // Projection out = C v, with the channel-mean map for the sign.
  let meanOfMeans: f32 = 0;
  for (let k = 0; k < K; k++) meanOfMeans += load<f32>(mean + f4(k));
  meanOfMeans /= <f32>K;
  const invK: f32 = <f32>1 / <f32>K;
  let corr: f32 = 0;
  for (let p = 0; p < Z; p++) {
    const row = a + f4(p * K);
    let s0 = f32x4.splat(0), r0 = f32x4.splat(0);
    let k = 0;
    for (; k < K4; k += 4) {
      const av = v128.load(row + f4(k));
      s0 = f32x4.add(s0, f32x4.mul(f32x4.sub(av, v128.load(mean + f4(k))), v128.load(v + f4(k))));
      r0 = f32x4.add(r0, av);
    }
    let s = hsum(s0), r = hsum(r0);
    for (; k < K; k++) {
      const av = load<f32>(row + f4(k));
      s += (av - load<f32>(mean + f4(k))) * load<f32>(v + f4(k));
      r += av;
    }
    store<f32>(out + f4(p), s);
    corr += s * (r * invK - meanOfMeans);
  }
  let flip = corr < 0;
  if (corr == 0) {
    let best: f32 = 0, bestVal: f32 = 0;
    for (let p = 0; p < Z; p++) {
      const o = load<f32>(out + f4(p));
      if (Mathf.abs(o) > best) { best = Mathf.abs(o); bestVal = o; }
    }
    flip = bestVal < 0;
  }
  if (flip) for (let p = 0; p < Z; p++) store<f32>(out + f4(p), -load<f32>(out + f4(p)));
}
