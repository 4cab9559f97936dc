// Bilinear resize of one channel with half-pixel centres (AssemblyScript, f32x4 SIMD). Twin: src/kernels/js/resize.ts.
//
// Convention (tf.image.resizeBilinear(x, size, alignCorners = false, halfPixelCenters = true), TF2's
// tf.image.resize, OpenCV's cv2.resize INTER_LINEAR), per axis, for output index r of R from n inputs:
//   f  = (r + 0.5) * (n / R) - 0.5
//   r0 = max(floor(f), 0),  r1 = min(ceil(f), n - 1),  t = f - r0
// and the value is  top = tl + (tr - tl) * tx;  bottom = bl + (br - bl) * tx;  top + (bottom - top) * ty,
// the same operation order as tfjs's cpu kernel. At the borders r0 == r1, so t is irrelevant there (it can be
// negative): the edge value is repeated. Coordinates are computed in f32 (XNNPACK, used by the tfjs wasm
// backend, also does); the TypeScript twin uses f64 (like the tfjs cpu backend). Measured against the tfjs
// wasm backend: bit-identical for 7x7 and 14x14 -> 224x224, within ~1e-6 relative for other sizes; the
// tests hold both implementations to 1e-5.
import { f4 } from './simd';

/** Source row (or column) coordinate of output index i: f = (i + 0.5) * scale - 0.5, in f32. */
@inline function coord(i: i32, scale: f32): f32 {
  return (<f32>i + <f32>0.5) * scale - <f32>0.5;
}
@inline function lo(f: f32): i32 {
  return max<i32>(<i32>Mathf.floor(f), 0);
}
@inline function hi(f: f32, n: i32): i32 {
  return min<i32>(<i32>Mathf.ceil(f), n - 1);
}

/**
 * One row of horizontal interpolation: out[c] = left + (right - left) * tx for c in [0, W), from the source
 * row `row` (w floats). Four columns per step: coordinates in f32x4, the two neighbours gathered with lane loads.
 * This is the "top = tl + (tr - tl) * tx" of tfjs for one source row.
 */
function hrow(row: usize, w: i32, out: usize, W: i32, sx: f32): void {
  const W4 = W & ~3;
  const vHalf = f32x4.splat(0.5);
  const vsx = f32x4.splat(sx);
  const lanes = f32x4(0, 1, 2, 3);
  const iZero = i32x4.splat(0);
  const iLast = i32x4.splat(w - 1);
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c < W4; c += 4) {
    const fx = f32x4.sub(f32x4.mul(f32x4.add(f32x4.add(f32x4.splat(<f32>c), lanes), vHalf), vsx), vHalf);
    const x0 = i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.floor(fx)), iZero);
    const x1 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.ceil(fx)), iLast);
    const tx = f32x4.sub(fx, f32x4.convert_i32x4_s(x0));
    const o0 = i32x4.shl(x0, 2);
    const o1 = i32x4.shl(x1, 2);
    let l = v128.load32_lane(row + <usize>i32x4.extract_lane(o0, 0), zero, 0);
    l = v128.load32_lane(row + <usize>i32x4.extract_lane(o0, 1), l, 1);
    l = v128.load32_lane(row + <usize>i32x4.extract_lane(o0, 2), l, 2);
    l = v128.load32_lane(row + <usize>i32x4.extract_lane(o0, 3), l, 3);
    let r = v128.load32_lane(row + <usize>i32x4.extract_lane(o1, 0), zero, 0);
    r = v128.load32_lane(row + <usize>i32x4.extract_lane(o1, 1), r, 1);
    r = v128.load32_lane(row + <usize>i32x4.extract_lane(o1, 2), r, 2);
    r = v128.load32_lane(row + <usize>i32x4.extract_lane(o1, 3), r, 3);
    v128.store(out + f4(c), f32x4.add(l, f32x4.mul(f32x4.sub(r, l), tx)));
  }
  for (; c < W; c++) {
    const fx = coord(c, sx);
    const x0 = lo(fx);
    const tx: f32 = fx - <f32>x0;
    const l = load<f32>(row + f4(x0)), r = load<f32>(row + f4(hi(fx, w)));
    store<f32>(out + f4(c), l + (r - l) * tx);
  }
}

/** out[c] = top[c] + (bottom[c] - top[c]) * ty for c in [0, W); out may be top or bottom (element-wise in place). */
function vlerp(top: usize, bottom: usize, out: usize, W: i32, ty: f32): void {
  const W4 = W & ~3;
  const vty = f32x4.splat(ty);
  let c = 0;
  for (; c < W4; c += 4) {
    const t = v128.load(top + f4(c));
    v128.store(out + f4(c), f32x4.add(t, f32x4.mul(f32x4.sub(v128.load(bottom + f4(c)), t), vty)));
  }
  for (; c < W; c++) {
    const t = load<f32>(top + f4(c));
    store<f32>(out + f4(c), t + (load<f32>(bottom + f4(c)) - t) * ty);
  }
}

/** The last output row r >= from whose top source row is y (rows of one top source row are contiguous). */
@inline function lastRowOf(y: i32, from: i32, H: i32, sy: f32): i32 {
  let r = from;
  while (r + 1 < H && lo(coord(r + 1, sy)) == y) r++;
  return r;
}

/**
 * dst (H x W, row-major) = bilinear resize of src (h x w, row-major), half-pixel centres.
 *
 * Vertical upsampling (H >= h; every source row is then the top row of at least one output row, and the top
 * row index steps by 0 or 1): separable, in dst itself, no scratch. Pass 1 interpolates each source row y
 * horizontally (hrow) into the last output row that uses it; pass 2 makes each output row from two of those
 * rows (vlerp), in increasing order, so a stored row is overwritten only by its own last use (in place).
 * The gathers run h times per column instead of 2H times.
 * Otherwise (vertical downsampling): per output row, two hrow-like gathers and the blend, column by column.
 * Both do exactly tfjs's operations in tfjs's order, so they give the same bits.
 */
export function resizeBilinear(src: usize, h: i32, w: i32, dst: usize, H: i32, W: i32): void {
  if (h <= 0 || w <= 0 || H <= 0 || W <= 0) return;
  const sy: f32 = <f32>h / <f32>H;
  const sx: f32 = <f32>w / <f32>W;
  const rowBytes = f4(W);

  let separable = H >= h && lo(coord(0, sy)) == 0 && lo(coord(H - 1, sy)) == h - 1;
  for (let r = 1; separable && r < H; r++) {
    const step = lo(coord(r, sy)) - lo(coord(r - 1, sy));
    separable = step == 0 || step == 1;
  }

  if (separable) {
    // Pass 1: source row y -> output row last(y), horizontally interpolated.
    for (let r = 0; r < H; r++) {
      const y = lo(coord(r, sy));
      if (r + 1 == H || lo(coord(r + 1, sy)) != y) hrow(src + f4(y * w), w, dst + <usize>r * rowBytes, W, sx);
    }
    // Pass 2: by groups of output rows sharing their top source row y (stored at row `end`); the bottom row
    // is y or y + 1 (stored at the end of the next group).
    let r = 0;
    while (r < H) {
      const fy0 = coord(r, sy);
      const y = lo(fy0);
      const end = lastRowOf(y, r, H, sy);
      const nextEnd = end + 1 < H ? lastRowOf(y + 1, end + 1, H, sy) : end;
      const topRow = dst + <usize>end * rowBytes;
      for (; r <= end; r++) {
        const fy = coord(r, sy);
        const ty: f32 = fy - <f32>y;
        const bottomRow = hi(fy, h) == y ? topRow : dst + <usize>nextEnd * rowBytes;
        vlerp(topRow, bottomRow, dst + <usize>r * rowBytes, W, ty);
      }
    }
    return;
  }

  for (let r = 0; r < H; r++) {
    const fy = coord(r, sy);
    const y0 = lo(fy);
    const ty: f32 = fy - <f32>y0;
    const top = src + f4(y0 * w);
    const bot = src + f4(hi(fy, h) * w);
    const out = dst + <usize>r * rowBytes;
    gatherRow(top, bot, w, out, W, sx, ty);
  }
}

/** One output row from two source rows (vertical downsampling path): hrow of each, then the blend. */
function gatherRow(top: usize, bot: usize, w: i32, out: usize, W: i32, sx: f32, ty: f32): void {
  const W4 = W & ~3;
  const vHalf = f32x4.splat(0.5);
  const vsx = f32x4.splat(sx);
  const vty = f32x4.splat(ty);
  const lanes = f32x4(0, 1, 2, 3);
  const iZero = i32x4.splat(0);
  const iLast = i32x4.splat(w - 1);
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c < W4; c += 4) {
    const fx = f32x4.sub(f32x4.mul(f32x4.add(f32x4.add(f32x4.splat(<f32>c), lanes), vHalf), vsx), vHalf);
    const x0 = i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.floor(fx)), iZero);
    const x1 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.ceil(fx)), iLast);
    const tx = f32x4.sub(fx, f32x4.convert_i32x4_s(x0));
    const o0 = i32x4.shl(x0, 2);
    const o1 = i32x4.shl(x1, 2);
    const l0 = <usize>i32x4.extract_lane(o0, 0), l1 = <usize>i32x4.extract_lane(o0, 1);
    const l2 = <usize>i32x4.extract_lane(o0, 2), l3 = <usize>i32x4.extract_lane(o0, 3);
    const r0 = <usize>i32x4.extract_lane(o1, 0), r1 = <usize>i32x4.extract_lane(o1, 1);
    const r2 = <usize>i32x4.extract_lane(o1, 2), r3 = <usize>i32x4.extract_lane(o1, 3);
    let tl = v128.load32_lane(top + l0, zero, 0);
    tl = v128.load32_lane(top + l1, tl, 1);
    tl = v128.load32_lane(top + l2, tl, 2);
    tl = v128.load32_lane(top + l3, tl, 3);
    let tr = v128.load32_lane(top + r0, zero, 0);
    tr = v128.load32_lane(top + r1, tr, 1);
    tr = v128.load32_lane(top + r2, tr, 2);
    tr = v128.load32_lane(top + r3, tr, 3);
    let bl = v128.load32_lane(bot + l0, zero, 0);
    bl = v128.load32_lane(bot + l1, bl, 1);
    bl = v128.load32_lane(bot + l2, bl, 2);
    bl = v128.load32_lane(bot + l3, bl, 3);
    let br = v128.load32_lane(bot + r0, zero, 0);
    br = v128.load32_lane(bot + r1, br, 1);
    br = v128.load32_lane(bot + r2, br, 2);
    br = v128.load32_lane(bot + r3, br, 3);
    const t = f32x4.add(tl, f32x4.mul(f32x4.sub(tr, tl), tx));
    const b = f32x4.add(bl, f32x4.mul(f32x4.sub(br, bl), tx));
    v128.store(out + f4(c), f32x4.add(t, f32x4.mul(f32x4.sub(b, t), vty)));
  }
  for (; c < W; c++) {
    const fx = coord(c, sx);
    const x0 = lo(fx), x1 = hi(fx, w);
    const tx: f32 = fx - <f32>x0;
    const tl = load<f32>(top + f4(x0)), tr = load<f32>(top + f4(x1));
    const bl = load<f32>(bot + f4(x0)), br = load<f32>(bot + f4(x1));
    const t: f32 = tl + (tr - tl) * tx;
    const b: f32 = bl + (br - bl) * tx;
    store<f32>(out + f4(c), t + (b - t) * ty);
  }
}
