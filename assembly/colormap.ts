// Colour and image kernels: jet colormap, heatmap overlay, explanation map (AssemblyScript, SIMD).
// Twin: src/kernels/js/colormap.ts, which also defines the jet lookup table (JET_LUT): the host writes it into
// this module's memory once and passes its address as `lut` (256 RGBA entries, 1024 bytes), so the table
// has one definition.
//
// Quantisation of a heat value h to a table index, as OpenCV's conversion of a float image to uint8 does:
//   q = h * 255 in f32; q clamped to [0, 255] (NaN -> 0); index = round-half-to-even(q).
// Bytes of the overlay are rounded the same way (round half to even, like cv2.addWeighted), then clamped.
import { f4 } from './simd';

@inline function lutOffsets4(h: v128): v128 {
  let q = f32x4.mul(h, f32x4.splat(255));
  q = f32x4.pmax(f32x4.splat(0), q); // 0 < q ? q : 0   (NaN -> 0)
  q = f32x4.pmin(q, f32x4.splat(255)); // 255 < q ? 255 : q
  return i32x4.shl(i32x4.trunc_sat_f32x4_s(f32x4.nearest(q)), 2);
}

/** The scalar twin of lutOffsets4. */
@inline function lutOffset1(h: f32): usize {
  let q: f32 = h * <f32>255;
  q = <f32>0 < q ? q : 0;
  q = <f32>255 < q ? 255 : q;
  return <usize><i32>nearest<f32>(q) << 2;
}

@inline function gather4(lut: usize, o: v128): v128 {
  let v = v128.load32_lane(lut + <usize>i32x4.extract_lane(o, 0), f32x4.splat(0), 0);
  v = v128.load32_lane(lut + <usize>i32x4.extract_lane(o, 1), v, 1);
  v = v128.load32_lane(lut + <usize>i32x4.extract_lane(o, 2), v, 2);
  return v128.load32_lane(lut + <usize>i32x4.extract_lane(o, 3), v, 3);
}

/** out (n RGBA pixels, 4 bytes each) = jet(heat[p]), alpha 255 (the LUT holds it). */
export function colormap(heat: usize, n: i32, out: usize, lut: usize): void {
  const n4 = n & ~3;
  let p = 0;
  for (; p < n4; p += 4) {
    v128.store(out + f4(p), gather4(lut, lutOffsets4(v128.load(heat + f4(p)))));
  }
  for (; p < n; p++) {
    store<u32>(out + f4(p), load<u32>(lut + lutOffset1(load<f32>(heat + f4(p)))));
  }
}

/** One byte of the overlay: round-half-even((1 - alpha) * img + alpha * jet) clamped to 0..255 (NaN -> 0). */
@inline function blend1(img: u8, jet: u8, alpha: f32, a1: f32): u8 {
  const v = nearest<f32>(a1 * <f32>img + alpha * <f32>jet);
  return v > 0 ? (v < 255 ? <u8><i32>v : 255) : 0;
}

/** One pixel of four in f32x4 lanes (r, g, b, a) -> rounded i32x4 (out of range saturates later). */
@inline function blend4(img: v128, jet: v128, vAlpha: v128, vA1: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.add(
    f32x4.mul(vA1, f32x4.convert_i32x4_s(img)), f32x4.mul(vAlpha, f32x4.convert_i32x4_s(jet)))));
}

/**
 * out = (1 - alpha) * rgba + alpha * jet(heat) per pixel and RGB channel, rounded half to even and clamped
 * to 0..255; out alpha = 255 (the input alpha is ignored). n pixels, 4 bytes each.
 * Four pixels per step: 16 bytes widened to four f32x4 (one pixel each), blended, narrowed with saturation.
 */
export function overlay(rgba: usize, heat: usize, n: i32, alpha: f32, out: usize, lut: usize): void {
  const a1: f32 = <f32>1 - alpha;
  const vAlpha = f32x4.splat(alpha);
  const vA1 = f32x4.splat(a1);
  const opaque = i32x4.splat(0xff000000);
  const n4 = n & ~3;
  let p = 0;
  for (; p < n4; p += 4) {
    const img = v128.load(rgba + f4(p));
    const jet = gather4(lut, lutOffsets4(v128.load(heat + f4(p))));
    const imgLo = i16x8.extend_low_i8x16_u(img), imgHi = i16x8.extend_high_i8x16_u(img);
    const jetLo = i16x8.extend_low_i8x16_u(jet), jetHi = i16x8.extend_high_i8x16_u(jet);
    const q0 = blend4(i32x4.extend_low_i16x8_u(imgLo), i32x4.extend_low_i16x8_u(jetLo), vAlpha, vA1);
    const q1 = blend4(i32x4.extend_high_i16x8_u(imgLo), i32x4.extend_high_i16x8_u(jetLo), vAlpha, vA1);
    const q2 = blend4(i32x4.extend_low_i16x8_u(imgHi), i32x4.extend_low_i16x8_u(jetHi), vAlpha, vA1);
    const q3 = blend4(i32x4.extend_high_i16x8_u(imgHi), i32x4.extend_high_i16x8_u(jetHi), vAlpha, vA1);
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
    v128.store(out + f4(p), v128.or(bytes, opaque));
  }
  for (; p < n; p++) {
    const src = rgba + f4(p);
    const jet = lut + lutOffset1(load<f32>(heat + f4(p)));
    const dst = out + f4(p);
    store<u8>(dst, blend1(load<u8>(src), load<u8>(jet), alpha, a1));
    store<u8>(dst, blend1(load<u8>(src, 1), load<u8>(jet, 1), alpha, a1), 1);
    store<u8>(dst, blend1(load<u8>(src, 2), load<u8>(jet, 2), alpha, a1), 2);
    store<u8>(dst, 255, 3);
  }
}

/**
 * The explanation map of the Grad-CAM++ paper's faithfulness protocol, E = L o I:
 * out[p*C + c] = img[p*C + c] * heat[p]  (n pixels, C channels, f32).
 * SIMD for C = 1, 3 (four pixels = three vectors, heat spread by shuffles) and 4; a scalar loop otherwise.
 */
export function explanationMap(img: usize, heat: usize, n: i32, C: i32, out: usize): void {
  const n4 = n & ~3;
  let p = 0;
  if (C == 1) {
    for (; p < n4; p += 4) {
      v128.store(out + f4(p), f32x4.mul(v128.load(img + f4(p)), v128.load(heat + f4(p))));
    }
  } else if (C == 3) {
    for (; p < n4; p += 4) {
      const h = v128.load(heat + f4(p));
      const o = f4(p * 3);
      v128.store(out + o, f32x4.mul(v128.load(img + o), f32x4.shuffle(h, h, 0, 0, 0, 1)));
      v128.store(out + o, f32x4.mul(v128.load(img + o, 16), f32x4.shuffle(h, h, 1, 1, 2, 2)), 16);
      v128.store(out + o, f32x4.mul(v128.load(img + o, 32), f32x4.shuffle(h, h, 2, 3, 3, 3)), 32);
    }
  } else if (C == 4) {
    for (; p < n; p++) {
      const o = f4(p * 4);
      v128.store(out + o, f32x4.mul(v128.load(img + o), v128.load32_splat(heat + f4(p))));
    }
  }
  for (; p < n; p++) {
    const hv = load<f32>(heat + f4(p));
    for (let c = 0; c < C; c++) {
      const o = f4(p * C + c);
      store<f32>(out + o, load<f32>(img + o) * hv);
    }
  }
}
