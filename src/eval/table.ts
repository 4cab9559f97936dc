/**
 * THE table of the evaluation's metrics: what each one is called in the report, which way is better, how
 * it is printed, and its per-image value, always computed by a function of src/metrics/ (no metric maths
 * here). Adding a metric to the evaluation is one entry; the runner, the summaries, the paired
 * comparisons, the JSON and the Markdown iterate over this table.
 */
import {
  energyPointingGame, loc, mapMass, maskIoU, COVERAGE_THRESHOLD, DEFAULT_BLUR_SIGMA, CONSISTENCY_DELTA, WIN_TIE_TOLERANCE, LOC_DELTAS,
  type Coverage,
} from '../metrics/index.js';

/** What the runner knows about one (image, model, method) when the table reads it. */
export interface ImageContext {
  /** p(c | I), p(c | E), E = L o I. */
  y: number;
  o: number;
  /** relativeDrop(y, o), in [0, 1]. */
  drop: number;
  /** This method's share of the image's win among the model's methods (winShares), and whether it shared it. */
  share: number;
  tied: boolean;
  /** The heatmap at the scene's resolution, row-major S x S, in [0, 1]. */
  map: Float32Array;
  /** Union of the instance boxes, union of the instance masks (0/1, S x S). */
  region: Uint8Array;
  mask: Uint8Array;
  /** instanceCoverage of the map with the instance boxes. */
  coverage: Coverage;
  /** Deletion / insertion AUC (undefined when the curves are off). */
  deletion?: number;
  insertion?: number;
}

export interface MetricDef {
  readonly key: string;
  /** Column title in the Markdown table (for per-delta metrics, suffixed with the delta). */
  readonly title: string;
  /** 'neither': a description of the maps, not a quality (no arrow; a paired difference says which is larger). */
  readonly better: 'lower' | 'higher' | 'neither';
  /** Decimals in the Markdown table. */
  readonly digits: number;
  /** One value per LOC_DELTAS entry. */
  readonly perDelta: boolean;
  /** Only when the deletion / insertion curves run. */
  readonly needsCurves?: boolean;
  /** Printed in its own column of the main table (false: JSON only, or folded into another column). */
  readonly column: boolean;
  readonly definition: string;
  value(x: ImageContext, delta: number): number;
}

export const METRICS = [
  {
    key: 'averageDrop', title: 'Avg Drop', better: 'lower', digits: 2, perDelta: false, column: true,
    definition: 'Average Drop % = 100/N sum max(0, Y - O)/Y; Y = p(c | I), O = p(c | E), E = heatmap o I (Chattopadhyay 2018, Tables 1, 2, 10).',
    value: (x) => 100 * x.drop,
  },
  {
    key: 'increase', title: 'Incr', better: 'higher', digits: 2, perDelta: false, column: true,
    definition: '% Increase in Confidence = 100/N #{O > Y}.',
    value: (x) => (x.o > x.y ? 100 : 0),
  },
  {
    key: 'win', title: 'Win (ties)', better: 'higher', digits: 2, perDelta: false, column: true,
    definition: `Win % = 100/N sum of per-image shares: the methods with drop <= min drop + ${WIN_TIE_TOLERANCE} share the win equally; ` +
      'in brackets the tie rate (% of images where the method shares the win). The paired comparison recomputes it between its two methods only.',
    value: (x) => 100 * x.share,
  },
  {
    key: 'winTies', title: 'Win ties', better: 'lower', digits: 1, perDelta: false, column: false,
    definition: '% of images on which the method shares the win (ties make Win % uninformative).',
    value: (x) => (x.tied ? 100 : 0),
  },
  {
    key: 'deletion', title: 'Del AUC', better: 'lower', digits: 3, perDelta: false, column: true, needsCurves: true,
    definition: 'Deletion AUC (Petsiuk 2018, RISE): p(c) as the hottest pixels are set to 0 (black in the scene\'s [0,1] pixels, then mapped to the model\'s range), trapezoid area over the fraction of pixels removed.',
    value: (x) => x.deletion!,
  },
  {
    key: 'insertion', title: 'Ins AUC', better: 'higher', digits: 3, perDelta: false, column: true, needsCurves: true,
    definition: `Insertion AUC (RISE): p(c) as the hottest pixels are copied onto the image blurred with a Gaussian of sigma ${DEFAULT_BLUR_SIGMA} px, trapezoid area over the fraction inserted.`,
    value: (x) => x.insertion!,
  },
  {
    key: 'mass', title: 'Mass', better: 'neither', digits: 1, perDelta: false, column: true,
    definition: 'Map mass % = 100 mean_p L(p): how much of the image E = L o I keeps (a broader map keeps more of the scene, ' +
      'which by itself lowers Average Drop; descriptive, neither direction is better).',
    value: (x) => 100 * mapMass(x.map),
  },
  {
    key: 'loc', title: 'Loc', better: 'higher', digits: 3, perDelta: true, column: true,
    definition: 'Loc(d) = sum_{p in B} L_d(p) / (|B| + sum_{p not in B} L_d(p)), L_d = L where L > d else 0, B = union of the instance boxes (Chattopadhyay 2018, Table 3).',
    value: (x, d) => loc(x.map, x.region, d),
  },
  {
    key: 'ebpg', title: 'EBPG', better: 'higher', digits: 1, perDelta: false, column: true,
    definition: 'Energy pointing game = 100 sum_{p in B} L(p) / sum_p L(p), B = union of boxes (Wang 2020, Score-CAM).',
    value: (x) => 100 * energyPointingGame(x.map, x.region),
  },
  {
    key: 'ebpgMask', title: 'EBPG mask', better: 'higher', digits: 1, perDelta: false, column: false,
    definition: 'The energy pointing game inside the union of the instance masks (ink pixels).',
    value: (x) => 100 * energyPointingGame(x.map, x.mask),
  },
  {
    key: 'iou', title: 'IoU', better: 'higher', digits: 3, perDelta: true, column: true,
    definition: 'IoU(d) = |{L > d} n M| / |{L > d} u M|, M = union of the instance masks.',
    value: (x, d) => maskIoU(x.map, x.mask, d),
  },
  {
    key: 'coverage', title: 'Cover', better: 'higher', digits: 1, perDelta: false, column: true,
    definition: `An instance is covered when max over its box of L >= ${COVERAGE_THRESHOLD} * max over the image of L; coverage = % of instances covered per image.`,
    value: (x) => 100 * x.coverage.share,
  },
  {
    key: 'allCovered', title: 'All cov.', better: 'higher', digits: 1, perDelta: false, column: true,
    definition: '% of images with every instance covered.',
    value: (x) => (x.coverage.all ? 100 : 0),
  },
] as const satisfies readonly MetricDef[];

export type MetricKey = (typeof METRICS)[number]['key'];
export type DeltaKey = '0' | '0.25' | '0.5';
export const DELTA_KEYS = LOC_DELTAS.map(String) as DeltaKey[];

/** The metrics a run reports (the deletion / insertion ones only when the curves run). */
export function activeMetrics(curves: boolean): readonly MetricDef[] {
  return METRICS.filter((m) => curves || !('needsCurves' in m && m.needsCurves));
}

/** Every definition of the report's protocol: the table's, plus what is not a column. */
export function definitions(curves: boolean): Record<string, string> {
  return {
    class: 'c = the top-1 prediction on the full image I (also for misclassified scenes).',
    ...Object.fromEntries(activeMetrics(curves).map((m) => [m.key, m.definition])),
    consistency: `Per method, per image, per pair of models of the same input size (and the same kind of layer: default or given) ` +
      `that both classify the image correctly (consistencyOn 'correct', the default; 'all': every image): Pearson r of the heatmaps and IoU of {L > ${CONSISTENCY_DELTA}}; averaged over pairs, then over images.`,
    comparison: 'Paired difference a - b per image (same image, same model), mean over images with a 95 % percentile bootstrap interval over images; ' +
      'a verdict only where the interval excludes 0.',
    maps: 'All maps are Explanation.heatmap: min-max normalised, bilinearly upsampled to the image size, in [0, 1].',
  };
}
