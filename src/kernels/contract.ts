/**
 * The kernel contract. Two implementations share it: the AssemblyScript SIMD module (kind 'wasm',
 * src/kernels/wasm/) and its plain-TypeScript twin (kind 'js', src/kernels/js/). The argument shapes of every
 * kernel are written once, in the table of src/kernels/table.ts: the one checking wrapper (checks.ts), the wasm
 * binding and the export list of the module are derived from it. One table of test cases runs against both.
 *
 * Layout: activations and gradients are channel-last (HWC), as tfjs gives them:
 * a[p * K + k] with p = i * W + j the position (Z = H * W positions) and k the channel (K channels).
 * All kernels are pure: they read their inputs and write only into their outputs and scratch (or in place
 * where stated); they allocate nothing. Every view passed must come from the latest reserve() of the same
 * Kernels object; sizes are checked against the views' lengths (InvalidInputError, never a read past them).
 *
 * How a method uses them (the pipeline runs weightedSum / the map kernel, then reluNormalize, then
 * resizeBilinear, for every method):
 * - 'channel' methods write K weights into w, then weightedSum(a, w, Z, K, cam): camWeights, gradcamWeights,
 *   gradcamppWeights, xgradcamWeights, smoothgradcamppWeights (after smoothgradcamppAccumulate per noisy copy).
 * - 'elementwise' methods write the map directly: hirescamMap, gradcamElementwiseMap, layercamMap.
 * - 'activation' (A only): eigencamMap.
 * - 'perturbation' (Score-CAM): channelPlanes, resizeBilinear per plane, normalizePlanes, explanationMap per
 *   mask, the host's forward passes give w, then weightedSum.
 * - several target layers: each layer's heat map (after reluNormalize + resizeBilinear), then fuseMaps.
 */
export interface Regions {
  f32: Record<string, Float32Array>;
  u8: Record<string, Uint8Array>;
}

import type * as tf from '@tensorflow/tfjs';

export type KernelKind = 'wasm' | 'js';

/**
 * How tensors reach the kernels. 'zero-copy': the 'wasm' kernels import tfjs-wasm's memory and read a tensor of
 * that backend in place (src/kernels/wasm/heap-arena.ts). 'one-copy': the kernels own their memory ('wasm' on a
 * backend other than tfjs-wasm, or where its heap is not reachable) or are the 'js' twins: input() copies once.
 */
export type KernelPath = 'zero-copy' | 'one-copy';

/** The kernels themselves (the table of src/kernels/table.ts lists the same names, with their argument sizes). */
export interface KernelOps {
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

  /**
   * XGrad-CAM (Fu et al. 2020, arXiv 2008.02312): scratch[k] = sumA[k] = sum_p a[p*K+k];
   * out[k] = sum_p g[p*K+k] a[p*K+k] / (sumA[k] + EPS); 0 where sumA[k] + EPS == 0.
   */
  xgradcamWeights(a: Float32Array, g: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void;

  /** HiResCAM (Draelos & Carin 2020, arXiv 2011.08891): out[p] = sum_k g[p*K+k] a[p*K+k] (the map before ReLU). */
  hirescamMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void;

  /** Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): out[p] = sum_k max(g[p*K+k] a[p*K+k], 0). */
  gradcamElementwiseMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void;

  /** Layer-CAM (Jiang et al. 2021): out[p] = sum_k max(g[p*K+k], 0) a[p*K+k]. */
  layercamMap(a: Float32Array, g: Float32Array, Z: number, K: number, out: Float32Array): void;

  /**
   * Eigen-CAM (Muhammad & Yeasin 2020, arXiv 2008.00299): out = C v, C = a with each channel centred (rows =
   * positions, columns = channels), v = its first right singular vector, by power iteration (deterministic
   * start, EIGEN_MAX_ITER / EIGEN_TOL of src/constants.ts) on the smaller of C^T C and C C^T. Sign: out
   * correlates positively with the channel-mean map (1/K) sum_k a[p*K+k]. All zeros if C = 0 (e.g. Z = 1).
   * scratch: m*m + 2*m + 2*K floats, m = min(Z, K) (eigencamScratchLength).
   */
  eigencamMap(a: Float32Array, Z: number, K: number, scratch: Float32Array, out: Float32Array): void;

  /** Smooth Grad-CAM++ running sums over noisy copies: d1 += g, d2 += g^2, d3 += g^3 (n floats; zero them first). */
  smoothgradcamppAccumulate(g: Float32Array, n: number, d1: Float32Array, d2: Float32Array, d3: Float32Array): void;

  /**
   * Smooth Grad-CAM++ (Omeiza et al. 2019, arXiv 1908.01224) from the sums of `samples` copies:
   * scratch[k] = sumA[k]; alpha = d2 / (2 d2 + sumA d3) (0 where d2 == 0 or |2 + sumA d3/d2| < EPS);
   * out[k] = sum_p alpha * max(d1 / samples, 0). samples = 1 gives gradcamppWeights exactly.
   */
  smoothgradcamppWeights(a: Float32Array, d1: Float32Array, d2: Float32Array, d3: Float32Array, Z: number, K: number,
    samples: number, scratch: Float32Array, out: Float32Array): void;

  /** Score-CAM: out[k*Z + p] = a[p*K + k] (the K channel maps as planes of Z floats, for resizeBilinear). */
  channelPlanes(a: Float32Array, Z: number, K: number, out: Float32Array): void;

  /**
   * Score-CAM (Wang et al. 2020, arXiv 1910.01279): in place, each of `count` planes of n floats min-max
   * normalised to [0, 1]; a plane with range <= EPS * max(|min|, |max|) becomes zeros. No ReLU.
   */
  normalizePlanes(x: Float32Array, n: number, count: number): void;

  /**
   * Multi-layer fusion: out = reluNormalize(mean of `count` maps of n floats, consecutive in maps), the maps
   * being each layer's ReLU'd, normalised, upsampled map (pytorch-grad-cam's convention).
   */
  fuseMaps(maps: Float32Array, n: number, count: number, out: Float32Array): void;

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
   * Sequences: T frames of h x w (src[t*h*w + p]) each resized as resizeBilinear to H x W (dst[t*H*W + q]).
   * (The channel weights over time are the image kernels with Z = T*h*w positions: see src/sequence/.)
   */
  resizeFrames(src: Float32Array, T: number, h: number, w: number, dst: Float32Array, H: number, W: number): void;

  /**
   * Sequences: the per-frame importance of a non-negative map of T frames of n floats:
   * out[t] = sum_p x[t*n + p] / sum_{t',p} x[t'*n + p] (sums to 1); all zeros where the total is not > 0.
   * Float64 sums in ascending order in both kinds: identical float32 results.
   */
  frameProfile(x: Float32Array, T: number, n: number, out: Float32Array): void;

  /**
   * Heatmap over an image: out = (1 - alpha) * rgb + alpha * jet(heat), per pixel, RGBA bytes
   * (n pixels, 4 bytes each; out alpha channel = 255). jet = OpenCV COLORMAP_JET. alpha in [0, 1].
   * Computed in float32, rounded half to even (as cv2.addWeighted), clamped to 0..255: 'wasm' and 'js'
   * give identical bytes.
   */
  overlay(rgba: Uint8Array, heat: Float32Array, n: number, alpha: number, out: Uint8Array): void;

  /**
   * jet(heat) as RGBA bytes (alpha 255): entry round-half-even(clamp(heat * 255, 0, 255)) (NaN -> 0) of
   * OpenCV's 256-entry COLORMAP_JET table (src/kernels/js/colormap.ts: JET_LUT, byte-exact to OpenCV 4.6).
   */
  colormap(heat: Float32Array, n: number, out: Uint8Array): void;

  /** The protocol's explanation map E = L o I: out[p*C + c] = img[p*C + c] * heat[p]. */
  explanationMap(img: Float32Array, heat: Float32Array, n: number, C: number, out: Float32Array): void;
}

/** The index-th of `of` equal slices of a tensor along its first axis (image `index` of a batch of `of`). */
export interface TensorPart { readonly index: number; readonly of: number }

export interface Kernels extends KernelOps {
  readonly kind: KernelKind;
  /** Chosen once, when the kernels object is made (getKernels: from the active tfjs backend). */
  readonly path: KernelPath;

  /**
   * A float32 tensor's data as a view for the kernels, remembered under `slot` (e.g. 'a', 'g') until the next
   * input() of that slot, reserve() or release(). 'zero-copy': the view aliases the tensor's own bytes in
   * tfjs-wasm's heap (nothing copied; the data is held even if the tensor is disposed); `dst` is not used and may
   * be empty. 'one-copy': the data is copied into `dst` (a region of the latest reserve(), t.size floats), which
   * is returned. Kernels only read inputs: never write into the returned view.
   * `part`: only the index-th of `of` equal slices along the first axis (image i of a batch [n, ...]; `dst` then
   * holds t.size / of floats); zero-copy: a view at that slice's offset, still nothing copied.
   */
  input(slot: string, t: tf.Tensor, dst: Float32Array, part?: TensorPart): Float32Array;

  /**
   * The view of the latest input() of `slot`, re-taken over the current memory (tfjs-wasm may grow its memory in
   * any tfjs op, which detaches earlier views); null if the slot holds nothing.
   */
  inputView(slot: string): Float32Array | null;

  /**
   * Float32 and byte regions of the given lengths (16-byte aligned), reused across calls; for 'wasm'
   * they are views over the module's memory ('zero-copy': one block of tfjs-wasm's heap, and each region is a
   * getter that re-takes its view after tfjs grew its memory: read r.f32.x again after any tfjs op instead of
   * keeping the view). Views from an earlier reserve() are invalid after the next one
   * (or after release()). Kernels of kind 'wasm' only accept views over their current memory (regions, inputs; anything
   * else, including a view detached by a growth, throws InvalidInputError).
   * Regions are laid out in the order given (f32, then u8): a call whose leading regions have the same
   * names and lengths as the previous call's gets them back with their data; other contents are unspecified.
   *
   * Memory: 'wasm' grows its memory when the regions do not fit. Above KERNEL_MEMORY_KEEP_BYTES
   * (src/constants.ts) it does not keep it: the next reserve() that fits under that size, or release(), moves
   * the kernels to a fresh module instance with a small memory (a WebAssembly.Memory cannot shrink), so one
   * huge call does not pin its memory for the life of the process. 'js' keeps only the regions of the latest
   * reserve(). 'zero-copy' mallocs the regions in tfjs-wasm's heap and frees them the same way (that memory
   * is tfjs's: it cannot shrink either, but tfjs reuses the freed bytes).
   */
  reserve(f32: Record<string, number>, u8?: Record<string, number>): Regions;

  /**
   * Gives back the memory held for regions above KERNEL_MEMORY_KEEP_BYTES ('wasm': a fresh instance;
   * 'zero-copy': _free; 'js': drops the regions), and lets go of every input(). Views of earlier reserve() calls become invalid. Call it after a call that
   * needed huge regions (a large outputSize), once its outputs are copied out.
   */
  release(): void;

  /**
   * Bytes currently held for regions ('wasm' one-copy: the size of the module memory; 'zero-copy': the bytes
   * malloc'd in tfjs-wasm's heap).
   */
  readonly memoryBytes: number;
}
