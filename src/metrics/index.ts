/**
 * `gradcam-wasm/metrics`: score explanations on your own data. Pure functions over arrays and sizes (no
 * tfjs, no model: where a metric needs the model, it takes your numbers or a `score` callback).
 *
 * - faithfulness (Chattopadhyay et al. 2018, "Grad-CAM++", Tables 1, 2, 10): averageDrop,
 *   increaseInConfidence, winPercent / winStats (Win % with its tie rate), relativeDrop, winShares, mapMass (what E keeps)
 * - deletion / insertion AUC (Petsiuk et al. 2018, "RISE"): deletion, insertion, trapezoidAuc, gaussianBlur
 * - localisation (Grad-CAM++ Table 3; Score-CAM Sec. 5.2): loc (Loc(delta)), energyPointingGame, maskIoU
 * - instance coverage of multi-instance images: instanceCoverage
 * - consistency across backbones: pearson, thresholdIoU, meanPairwise
 * - statistics: summarize, pairedBootstrap (95 % CI of a paired mean difference), quantile
 * Maps are row-major width x height heatmaps in [0, 1] (Explanation.heatmap); masks are 0/1 arrays of the
 * same size; boxes are {x0, y0, x1, y1} pixel boxes with exclusive ends. Bad input (mismatched sizes, NaN,
 * empty regions, probabilities outside [0, 1]) throws InvalidInputError (code 'INVALID_INPUT').
 * The evaluation that feeds them digit scenes and models is src/eval/.
 */
export {
  LOC_DELTAS, WIN_TIE_TOLERANCE, COVERAGE_THRESHOLD, CONSISTENCY_DELTA, DEFAULT_PERTURBATION_STEPS,
  DEFAULT_BLUR_SIGMA, BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL, BOOTSTRAP_SEED,
} from './constants.js';
export {
  relativeDrop, mapMass, averageDrop, increaseInConfidence, winShares, winPercent, winStats, type WinStats,
} from './faithfulness.js';
export {
  deletion, insertion, perturbationOrder, trapezoidAuc, gaussianBlur,
  type ImageScorer, type Baseline, type PerturbationOptions, type PerturbationCurve,
} from './perturbation.js';
export { loc, energyPointingGame, maskIoU } from './localisation.js';
export { instanceCoverage, type Coverage } from './coverage.js';
export { pearson, thresholdIoU, meanPairwise, type PairwiseMean } from './consistency.js';
export { boxesMask, thresholdRegion, area, checkSize, checkSame, checkFinite, checkBoxes, type Box } from './regions.js';
export {
  summarize, pairedBootstrap, quantile, type Summary, type BootstrapOptions, type PairedDifference,
} from './stats.js';
export { GradCamError, InvalidInputError } from '../errors.js';
