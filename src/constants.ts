/**
 * Every numerical constant of the library lives here.
 */

/**
 * The one epsilon of the library.
 * - Grad-CAM++ (Chattopadhyay 2018, Eq. 19): alpha = 1 / (2 + sum_ab A * g) for g != 0;
 *   where |2 + sum_ab A * g| < EPS the position gets alpha = 0 (and alpha = 0 where g == 0).
 * - Min-max normalisation: a map whose range (max - min) is <= EPS * max (a constant or all-zero map)
 *   becomes all zeros, never NaN.
 */
export const EPS = 1e-7;

/** Methods are listed once, in src/methods/registry.ts; this is only the default. */
export const DEFAULT_METHOD = 'gradcam++';

/** Default opacity of the heatmap in overlay(). */
export const DEFAULT_OVERLAY_ALPHA = 0.5;

/**
 * Eigen-CAM's power iteration (src/kernels: eigencamMap): at most EIGEN_MAX_ITER iterations, stopping when no
 * component of the unit vector moves by EIGEN_TOL or more between two iterations. Its error shrinks as
 * (s2/s1)^2 per iteration (s1, s2 the first two singular values of the centred activations) and ends near
 * EIGEN_TOL / (1 - (s2/s1)^2): ~1e-5 of the map for random post-ReLU activations (s2^2/s1^2 ~ 0.95-0.98).
 */
export const EIGEN_MAX_ITER = 1000;
export const EIGEN_TOL = 1e-7;

/**
 * The wasm kernels keep at most this much memory between calls (bytes): a call that needs more (a huge
 * outputSize) grows the module memory, and the next smaller reserve(), or release(), moves the kernels to a fresh
 * instance, since a WebAssembly.Memory cannot shrink.
 */
export const KERNEL_MEMORY_KEEP_BYTES = 64 * 1024 * 1024;

/**
 * The seed of the digit scenes on which the model cards' accuracies are measured and the evaluation runs by
 * default (training reports its accuracies on it; `gradcam-wasm evaluate --seed` overrides it).
 */
export const EVAL_SEED = 20261126;
