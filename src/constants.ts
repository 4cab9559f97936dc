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

/**
 * Smooth Grad-CAM++ (Omeiza et al. 2019, arXiv:1908.01224): the default number of noisy copies, the noise's
 * standard deviation as a fraction of the input range (max - min of the model input after preprocess; 0.15 is
 * in the 10-20 % band SmoothGrad, Smilkov et al. 2017, found best), and the default seed of the noise.
 */
export const SMOOTH_SAMPLES = 16;
export const SMOOTH_NOISE = 0.15;
export const SMOOTH_SEED = 0;

/** Score-CAM (Wang et al. 2020): masked inputs per forward pass, by default. */
export const SCORECAM_BATCH_SIZE = 32;

/**
 * explain([images]): images per batched pass (one body pass and one head gradient for the whole batch). Larger
 * lists run in chunks of this size, which bounds the memory: the body pass keeps its intermediate activations
 * until it ends (VGG16 at 224: ~64 MB per image).
 */
export const EXPLAIN_BATCH_SIZE = 8;

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
 * The largest heatmap (outputSize, or the image size by default) in pixels: 8192 x 8192 (256 MiB of float32
 * in the kernels for the duration of the call; see KERNEL_MEMORY_KEEP_BYTES for what stays after it). For larger
 * displays, explain at a smaller size and upscale the heatmap.
 */
export const MAX_OUTPUT_PIXELS = 8192 * 8192;

/**
 * The largest magnitude a model input value (after preprocess) may have: 1e15. Real image models take pixels
 * in [0,1], [-1,1] or [0,255]; values near float32's limit (3.4e38) overflow inside the model, where
 * max-pooling and ReLU can turn the NaN back into ordinary numbers and a normal-looking but meaningless map.
 * 1e15 leaves a factor of 1e23 for the gains of the layers before float32 overflows.
 */
export const MAX_INPUT_MAGNITUDE = 1e15;

/**
 * The seed of the digit scenes on which the model cards' accuracies are measured and the evaluation runs by
 * default (training reports its accuracies on it; `gradcam-wasm evaluate --seed` overrides it).
 */
export const EVAL_SEED = 20261126;

/**
 * Clip files (gradcam-wasm/node readClip, `gradcam-wasm explain --clip`): at most MAX_CLIP_FRAMES frames, and
 * at most MAX_OUTPUT_PIXELS pixels over all frames (256 MiB of RGBA). An animated figure shows each frame for
 * CLIP_FRAME_DELAY_MS (the bundled 10-frame clips loop in 3 s).
 */
export const MAX_CLIP_FRAMES = 256;
export const CLIP_FRAME_DELAY_MS = 300;
