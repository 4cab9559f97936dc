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
 * The largest heatmap (outputSize, or the image size by default) in pixels: 8192 x 8192. The kernels keep
 * their memory for reuse, so one huge request would hold it for the rest of the process; explain at a
 * smaller size and upscale the heatmap instead.
 */
export const MAX_OUTPUT_PIXELS = 8192 * 8192;

/**
 * The largest magnitude a model input value (after preprocess) may have: 1e15. Real image models take pixels
 * in [0,1], [-1,1] or [0,255]; values near float32's limit (3.4e38) overflow inside the model, where
 * max-pooling and ReLU can turn the NaN back into ordinary numbers and a normal-looking but meaningless map.
 * 1e15 leaves a factor of 1e23 for the gains of the layers before float32 overflows.
 */
export const MAX_INPUT_MAGNITUDE = 1e15;
