/**
 * Evaluation metrics, pure functions over arrays and sizes (no tfjs). One file per family:
 * faithfulness (Average Drop, Increase in Confidence, Win %), localisation (Loc, energy pointing game,
 * IoU), coverage (instances of a multi-instance image), consistency (across backbones).
 * The runner that feeds them model outputs is src/node/evaluate.ts.
 */
export { LOC_DELTAS, WIN_TIE_TOLERANCE, COVERAGE_THRESHOLD, CONSISTENCY_DELTA } from './constants.js';
export { relativeDrop, averageDrop, increaseInConfidence, winShares, winPercent } from './faithfulness.js';
export { loc, energyPointingGame, maskIoU } from './localisation.js';
export { instanceCoverage, type Coverage } from './coverage.js';
export { pearson, thresholdIoU, meanPairwise, type PairwiseMean } from './consistency.js';
export { boxesMask, thresholdRegion, area, checkSize, type Box } from './regions.js';
export { summarize, type Summary } from './stats.js';
