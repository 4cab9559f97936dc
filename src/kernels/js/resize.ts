/**
 * Bilinear resize of one channel with half-pixel centres: the plain-TypeScript twin of assembly/resize.ts.
 * Same convention and operation order as the tfjs cpu kernel of
 * tf.image.resizeBilinear(x, size, alignCorners = false, halfPixelCenters = true); coordinates in float64.
 */

/** Source coordinate of output index `i` along an axis of `n` inputs resized to `N` outputs. */
function sourceCoord(i: number, n: number, N: number): { i0: number; i1: number; t: number } {
  const f = (i + 0.5) * (n / N) - 0.5;
  const i0 = Math.max(Math.floor(f), 0);
  const i1 = Math.min(Math.ceil(f), n - 1);
  return { i0, i1, t: f - i0 };
}

/** dst (H x W, row-major) = src (h x w, row-major) resized bilinearly with half-pixel centres. */
export function resizeBilinear(src: Float32Array, h: number, w: number, dst: Float32Array, H: number, W: number): void {
  for (let r = 0; r < H; r++) {
    const y = sourceCoord(r, h, H);
    for (let c = 0; c < W; c++) {
      const x = sourceCoord(c, w, W);
      const tl = src[y.i0 * w + x.i0], tr = src[y.i0 * w + x.i1];
      const bl = src[y.i1 * w + x.i0], br = src[y.i1 * w + x.i1];
      const top = tl + (tr - tl) * x.t;
      const bottom = bl + (br - bl) * x.t;
      dst[r * W + c] = top + (bottom - top) * y.t;
    }
  }
}
