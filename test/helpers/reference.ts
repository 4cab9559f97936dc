/**
 * Float64 references for the tests, written from the papers' formulas with no code shared with src/.
 * A and g are HWC arrays (Z positions x K channels).
 */
export function normalise(map: Float64Array): Float64Array {
  const r = map.map((v) => Math.max(v, 0));
  let lo = Infinity, hi = -Infinity;
  for (const v of r) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return hi - lo > 1e-7 * hi && hi > 0 ? r.map((v) => (v - lo) / (hi - lo)) : r.map(() => 0);
}

export function weightedMap(A: ArrayLike<number>, w: ArrayLike<number>, Z: number, K: number): Float64Array {
  const m = new Float64Array(Z);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) m[p] += w[k] * A[p * K + k];
  return m;
}

export function gradcamRef(A: ArrayLike<number>, g: ArrayLike<number>, Z: number, K: number): Float64Array {
  const w = new Float64Array(K);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) w[k] += g[p * K + k] / Z;
  return normalise(weightedMap(A, w, Z, K));
}

/** Grad-CAM++, paper Eq. 19 with the logit: alpha = g^2 / (2 g^2 + sumA g^3), alpha = 0 where g = 0. */
export function gradcamppRef(A: ArrayLike<number>, g: ArrayLike<number>, Z: number, K: number): Float64Array {
  const sumA = new Float64Array(K);
  for (let p = 0; p < Z; p++) for (let k = 0; k < K; k++) sumA[k] += A[p * K + k];
  const w = new Float64Array(K);
  for (let p = 0; p < Z; p++) {
    for (let k = 0; k < K; k++) {
      const gi = g[p * K + k];
      const den = 2 * gi * gi + sumA[k] * gi * gi * gi;
      const alpha = gi === 0 || den === 0 ? 0 : (gi * gi) / den;
      w[k] += alpha * Math.max(gi, 0);
    }
  }
  return normalise(weightedMap(A, w, Z, K));
}

export function camRef(A: ArrayLike<number>, kernel: ArrayLike<number>, numClasses: number, c: number, Z: number, K: number): Float64Array {
  const w = new Float64Array(K);
  for (let k = 0; k < K; k++) w[k] = kernel[k * numClasses + c];
  return normalise(weightedMap(A, w, Z, K));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
