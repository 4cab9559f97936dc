/**
 * Jet colormap, heatmap overlay and the explanation map: the plain-TypeScript twin of assembly/colormap.ts,
 * and the one definition of the jet lookup table (the wasm kernels read JET_LUT from their memory).
 *
 * Byte-exact rules (the wasm kernels do the same float32 operations, so both give identical bytes):
 * - heat -> table index, as OpenCV's conversion of a float image to uint8: q = fround(heat * 255), clamped to
 *   [0, 255] (NaN -> 0), rounded half to even (cvRound / saturate_cast).
 * - overlay byte = round-half-even(fround(fround((1 - alpha) * img) + fround(alpha * jet))), clamped to 0..255
 *   (as cv2.addWeighted(img, 1 - alpha, jet, alpha, 0) rounds).
 */

/** Rounds to the nearest integer, ties to even (IEEE roundTiesToEven, wasm f32.nearest, cvRound). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * OpenCV's COLORMAP_JET as 256 RGBA entries (alpha 255), equal to
 * cv2.applyColorMap(np.arange(256, dtype=np.uint8), cv2.COLORMAP_JET) (BGR there) for all 768 colour bytes
 * (checked against OpenCV 4.6.0; test/kernels.test.ts pins endpoints, samples and a hash of the whole table).
 *
 * How OpenCV builds it (modules/imgproc/src/colormap.cpp, class Jet): GNU Octave's jet(256), i.e. per channel
 * the ramp v(x) = clamp(min(4x - c, d - 4x), 0, 1) at x = i/255, with (c, d) = (1.5, 4.5) for red,
 * (0.5, 3.5) for green and (-0.5, 2.5) for blue, stored as a float32 table Y; re-sampled at its own float32
 * nodes X = linspace(0, 1, 256) by linear interpolation in float32, Y[i-1] + (X[i] - X[i-1]) * (Y[i] - Y[i-1])
 * / (X[i] - X[i-1]); then converted with * 255 and round half to even. Every 255 * v(i/255) is an exact
 * k + 0.5, so the float32 rounding of those steps decides each byte; they are reproduced here. (The plain
 * formula with ties-to-even would differ from OpenCV in one byte: blue of entry 159, 2 instead of 1.)
 */
export function jetLut(): Uint8Array {
  const f = Math.fround;
  const step = f(1 / 255);
  const X = (i: number) => f(i * step);
  const ramp = (i: number, c: number, d: number) => f(Math.min(1, Math.max(0, Math.min(4 * i / 255 - c, d - 4 * i / 255))));
  const toByte = (v: number) => Math.min(255, Math.max(0, roundHalfEven(f(v * 255))));
  const lut = new Uint8Array(1024);
  const channels: Array<[number, number]> = [[1.5, 4.5], [0.5, 3.5], [-0.5, 2.5]];
  channels.forEach(([c, d], ch) => {
    lut[ch] = toByte(ramp(0, c, d));
    for (let i = 1; i < 256; i++) {
      const y0 = ramp(i - 1, c, d), y1 = ramp(i, c, d);
      const dx = f(X(i) - X(i - 1));
      lut[4 * i + ch] = toByte(f(y0 + f(f(dx * f(y1 - y0)) / dx)));
    }
  });
  for (let i = 0; i < 256; i++) lut[4 * i + 3] = 255;
  return lut;
}

/** The jet table, RGBA, 256 entries (1024 bytes). */
export const JET_LUT: Uint8Array = jetLut();

/** Table index (0..255) of a heat value: round-half-even(clamp(fround(heat * 255), 0, 255)), NaN -> 0. */
export function jetIndex(heat: number): number {
  let q = Math.fround(heat * 255);
  q = 0 < q ? q : 0;
  q = 255 < q ? 255 : q;
  return roundHalfEven(q);
}

/** jet(heat) as RGBA bytes (alpha 255), n pixels. */
export function colormap(heat: Float32Array, n: number, out: Uint8Array): void {
  for (let p = 0; p < n; p++) {
    const j = 4 * jetIndex(heat[p]);
    for (let ch = 0; ch < 4; ch++) out[4 * p + ch] = JET_LUT[j + ch];
  }
}

/** out = (1 - alpha) * rgba + alpha * jet(heat) per RGB channel (float32, ties to even, clamped); alpha byte 255. */
export function overlay(rgba: Uint8Array, heat: Float32Array, n: number, alpha: number, out: Uint8Array): void {
  const f = Math.fround;
  const a = f(alpha);
  const a1 = f(1 - a);
  for (let p = 0; p < n; p++) {
    const j = 4 * jetIndex(heat[p]);
    for (let ch = 0; ch < 3; ch++) {
      const v = roundHalfEven(f(f(a1 * rgba[4 * p + ch]) + f(a * JET_LUT[j + ch])));
      out[4 * p + ch] = v > 0 ? (v < 255 ? v : 255) : 0;
    }
    out[4 * p + 3] = 255;
  }
}

/** The explanation map E = L o I of the faithfulness protocol: out[p*C + c] = img[p*C + c] * heat[p]. */
export function explanationMap(img: Float32Array, heat: Float32Array, n: number, C: number, out: Float32Array): void {
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < C; c++) out[p * C + c] = img[p * C + c] * heat[p];
  }
}
