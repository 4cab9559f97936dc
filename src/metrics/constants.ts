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
