// Helpers every kernel file shares (inlined; not exported by the module: assembly/index.ts lists the exports).

/** Byte offset of float index i. */
@inline export function f4(i: i32): usize {
  return <usize>i << 2;
}

/** Sum of the four lanes, as (l0 + l1) + (l2 + l3). */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Smallest of the four lanes. */
@inline export function hmin(v: v128): f32 {
  return Mathf.min(Mathf.min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    Mathf.min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** Largest of the four lanes. */
@inline export function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}
