/**
 * The kernel contract. Two implementations share it: the AssemblyScript SIMD module (kind 'wasm',
 * src/bindings/) and its plain-TypeScript twin (kind 'js', src/reference/). One table of test cases
 * runs against both.
 *
 * Layout: activations and gradients are channel-last (HWC), as tfjs gives them:
 * a[p * K + k] with p = i * W + j the position (Z = H * W positions) and k the channel (K channels).
 * All kernels are pure: they read their inputs and write only into `out` (or in place where stated);
 * they allocate nothing.
 */
export interface Regions {
  f32: Record<string, Float32Array>;
  u8: Record<string, Uint8Array>;
}

export interface Kernels {
  readonly kind: 'wasm' | 'js';

  /**
   * Float32 and byte regions of the given lengths (16-byte aligned), reused across calls; for 'wasm'
   * they are views over the module's memory (grown when needed). Views from an earlier reserve() are
   * invalid after the next one. Kernels of kind 'wasm' only accept views from their own reserve()
   * (anything else, including a view detached by a growth, throws InvalidInputError).
   * Regions are laid out in the order given (f32, then u8): a call whose leading regions have the same
   * names and lengths as the previous call's gets them back with their data; other contents are unspecified.
   * Every kernel checks sizes against the views' lengths and throws InvalidInputError, never reads past them.
   */
  reserve(f32: Record<string, number>, u8?: Record<string, number>): Regions;

  /** CAM (Zhou 2016, Eq. 2 there): out[k] = kernel[k * numClasses + c] (the Dense kernel column of class c). */
  camWeights(kernel: Float32Array, K: number, numClasses: number, c: number, out: Float32Array): void;

  /** Grad-CAM (Selvaraju 2017, Eq. 1): out[k] = (1/Z) * sum_p g[p*K + k]. */
  gradcamWeights(g: Float32Array, Z: number, K: number, out: Float32Array): void;

  /**
   * Grad-CAM++ (Chattopadhyay 2018, Eq. 19, with the logit S; exp(S) cancels in alpha and scales all
   * weights by one positive factor, so it is dropped):
   *   sumA[k] = sum_p a[p*K+k]                         (written to scratch, K floats)
   *   alpha[p,k] = 0 if g == 0 or |2 + sumA[k]*g| < EPS, else 1 / (2 + sumA[k] * g)
   *   out[k] = sum_p alpha[p,k] * max(g[p*K+k], 0)
   */
  gradcamppWeights(a: Float32Array, g: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void;

  /** The alpha[p*K + k] of gradcamppWeights (Z*K floats), for tests and inspection. */
  gradcamppAlpha(a: Float32Array, g: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void;

  /** out[p] = sum_k w[k] * a[p*K + k]   (Eq. 7 of the report before the ReLU). */
  weightedSum(a: Float32Array, w: Float32Array, Z: number, K: number, out: Float32Array): void;

  /**
   * In place over x[0..n): x = max(x, 0); then min-max to [0,1]: (x - min) / (max - min).
   * If max - min <= EPS * max (a constant map, or all zeros) every value becomes 0. Never NaN for finite input.
   */
  reluNormalize(x: Float32Array, n: number): void;

  /**
   * Bilinear resize of one channel h x w -> H x W with half-pixel centres; equals
   * tf.image.resizeBilinear(x, [H, W], false, true) (and OpenCV's cv2.resize INTER_LINEAR).
   */
  resizeBilinear(src: Float32Array, h: number, w: number, dst: Float32Array, H: number, W: number): void;

  /**
   * Heatmap over an image: out = (1 - alpha) * rgb + alpha * jet(heat), per pixel, RGBA bytes
   * (n pixels, 4 bytes each; out alpha channel = 255). jet = OpenCV COLORMAP_JET. alpha in [0, 1].
   * Computed in float32, rounded half to even (as cv2.addWeighted), clamped to 0..255: 'wasm' and 'js'
   * give identical bytes.
   */
  overlay(rgba: Uint8Array, heat: Float32Array, n: number, alpha: number, out: Uint8Array): void;

  /**
   * jet(heat) as RGBA bytes (alpha 255): entry round-half-even(clamp(heat * 255, 0, 255)) (NaN -> 0) of
   * OpenCV's 256-entry COLORMAP_JET table (src/reference/colormap.ts: JET_LUT, byte-exact to OpenCV 4.6).
   */
  colormap(heat: Float32Array, n: number, out: Uint8Array): void;

  /** The protocol's explanation map E = L o I: out[p*C + c] = img[p*C + c] * heat[p]. */
  explanationMap(img: Float32Array, heat: Float32Array, n: number, C: number, out: Float32Array): void;
}
