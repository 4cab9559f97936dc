/**
 * Every constant of the evaluation metrics, in one place (the library's own constants, such as EPS, are
 * in src/constants.ts).
 */

/** The thresholds delta of the paper's localisation table (Chattopadhyay et al. 2018, Table 3). */
export const LOC_DELTAS = [0, 0.25, 0.5] as const;

/**
 * Two methods whose relative drops max(0, Y - O)/Y differ by at most this tie in Win % (absolute, in the
 * units of the relative drop: 1e-4 = 0.01 percentage points of Average Drop). It absorbs float32 noise
 * between maps that are equal in exact arithmetic (CAM and Grad-CAM on a GAP -> Dense head agree to
 * ~1e-5 after normalisation).
 */
export const WIN_TIE_TOLERANCE = 1e-4;

/**
 * An instance is covered when the hottest pixel inside its box reaches at least this fraction of the
 * hottest pixel of the whole map: it would survive the paper's delta = 0.5 threshold applied relative to
 * the map's own peak.
 */
export const COVERAGE_THRESHOLD = 0.5;

/** The threshold of the IoU between the heatmaps of two backbones (cross-backbone consistency). */
export const CONSISTENCY_DELTA = 0.5;

/**
 * Deletion / insertion (Petsiuk et al., "RISE", BMVC 2018, Sec. 4.1): the number of steps from 0 % to 100 %
 * of the pixels. The curve has STEPS + 1 points (fractions k / STEPS of the pixels, k = 0..STEPS, each
 * rounded to whole pixels). RISE removes 224 pixels per step on 224 x 224 images (224 steps); 16 steps keep
 * the evaluation affordable on two cores and move a trapezoid AUC by well under 0.01 on smooth curves.
 */
export const DEFAULT_PERTURBATION_STEPS = 16;

/**
 * The Gaussian blur of the insertion baseline, standard deviation in pixels (RISE's code blurs with a
 * Gaussian kernel of sigma 5, size 11 on 224 x 224 images). Truncated at 3 sigma, edges replicated.
 */
export const DEFAULT_BLUR_SIGMA = 5;

/** The bootstrap of the paired differences: resamples (B) and the confidence level. */
export const BOOTSTRAP_RESAMPLES = 2000;
export const BOOTSTRAP_LEVEL = 0.95;
/** The seed of the bootstrap when none is given (any fixed value: the interval must be reproducible). */
export const BOOTSTRAP_SEED = 1;
