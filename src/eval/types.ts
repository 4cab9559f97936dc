/**
 * The evaluation's options and its report (JSON-serialisable). The metrics themselves are in
 * src/metrics/; which ones the evaluation reports, and how, is the table in ./table.ts.
 */
import type { MethodName } from '../methods/registry.js';
import type { Split } from '../data/index.js';
import type { InputRange } from '../card.js';
import type { PairedDifference, Summary } from '../metrics/index.js';
import type { DeltaKey, MetricKey } from './table.js';

export type EvalSplit = 'single' | 'multi';

/** A model to evaluate: a built-in name (models/<name>/) or a model.json path, at its default or a given layer. */
export interface ModelSpec {
  model: string;
  /** Target layer (default: the card's targetLayer, else the explainer's automatic choice). */
  layer?: string;
  /** Name in the report (default: the model's name, with `@layer` when a layer is given). */
  name?: string;
}

/** Progress of a run: one tick per (scene, model). */
export interface EvalProgress { done: number; total: number; scene: number; model: string }

export interface EvaluateOptions {
  /**
   * Models: built-in names or model.json paths (a string may be `name@layer`), or ModelSpecs; the same model
   * may appear twice at two layers (the paper's layer and a finer one side by side). Default: every built-in.
   */
  models?: readonly (string | ModelSpec)[];
  /** Default: every one-pass method of the registry (ONE_PASS_METHOD_NAMES: all but Score-CAM and Smooth Grad-CAM++). A method that does not apply to a model is reported n/a. */
  methods?: readonly string[];
  /** 'single' (test-single, one instance) or 'multi' (test-multi, 2-3 instances); default 'single'. */
  split?: EvalSplit | 'test-single' | 'test-multi';
  /** Number of scenes (indices 0..n-1 of the split); default 100. */
  n?: number;
  /** Seed of the digit scenes; default EVAL_SEED (the one of the model cards' accuracies). */
  seed?: number;
  /**
   * Scene size S (S x S pixels). Default: each model's own input size. When given, every model must take
   * S x S inputs (a model that does not is refused with UnsupportedModelError).
   */
  size?: number;
  /** Steps of the deletion / insertion curves (RISE); default DEFAULT_PERTURBATION_STEPS; 0 skips them. */
  aucSteps?: number;
  /** The paired comparison [a, b] (difference a - b); default ['gradcam++', 'gradcam'] when both run. */
  compare?: readonly [string, string];
  /** Bootstrap resamples (default 2000) and seed (default BOOTSTRAP_SEED) of the paired intervals. */
  bootstrap?: { resamples?: number; seed?: number };
  /** Write the JSON report here (default: <out>/evaluation.json when `out` is given). */
  json?: string;
  /** Folder for the PNG figures (and evaluation.json / evaluation.md); default: no files. */
  out?: string;
  /** Scenes drawn in the figures (the first ones); default 4; 0 draws none. */
  figures?: number;
  /**
   * Images that count for cross-backbone consistency: 'correct' (default) = a pair of models counts on an
   * image when both classify it correctly (the report's premise, Sec. 4.1.1); 'all' = every image.
   */
  consistencyOn?: 'correct' | 'all';
  /** Called after each (scene, model); the library draws nothing itself (the CLI draws a bar). */
  onProgress?: (p: EvalProgress) => void;
}

export interface ModelInfo {
  name: string;
  file: string;
  inputShape: [number, number, number];
  params: number;
  layer: string;
  /** Whether the layer was given (ModelSpec.layer / name@layer) rather than the default. */
  layerGiven: boolean;
  camSize: [number, number];
  outputActivation: string;
  /** The pixel range the model is fed (scenes are in [0,1]; from the card's preprocessing, default 0,1). */
  inputRange: InputRange;
  methods: { method: MethodName; applicable: boolean; reason?: string }[];
  /** % of scenes whose top-1 prediction is the scene's label. */
  accuracy: number;
  correct: number;
}

/** One Summary per metric of the table; metrics with a threshold delta have one per delta. */
export type MetricSummaries = { [K in MetricKey]?: Summary | Record<DeltaKey, Summary> };

export interface MethodResult {
  model: string;
  method: MethodName;
  applicable: boolean;
  /** Why the method does not apply (applicable = false). */
  reason?: string;
  /** Scenes evaluated. */
  n: number;
  /** %, lower is better. */
  averageDrop?: Summary;
  /** %, higher is better. */
  increase?: Summary;
  /** %, among the applicable methods of this model, ties split equally. */
  win?: Summary;
  /** % of images on which this method shares the win with another (the tie rate of its Win %). */
  winTies?: Summary;
  /** Deletion AUC (RISE; lower is better) and insertion AUC (higher is better); absent with aucSteps 0. */
  deletion?: Summary;
  insertion?: Summary;
  /** %, mean of the map over the image (how much of the scene E keeps; descriptive). */
  mass?: Summary;
  /** The paper's Loc at each delta (fraction). */
  loc?: Record<DeltaKey, Summary>;
  /** Energy pointing game, % of map energy inside the union of boxes. */
  ebpg?: Summary;
  /** The same inside the union of instance masks (ink pixels). */
  ebpgMask?: Summary;
  /** IoU of the map thresholded at delta with the union of instance masks (fraction). */
  iou?: Record<DeltaKey, Summary>;
  /** %, share of instances covered, per image. */
  coverage?: Summary;
  /** %, images where every instance is covered. */
  allCovered?: Summary;
}

/** The paired difference a - b of one metric on one model, over the images, with its bootstrap interval. */
export interface PairedResult {
  model: string;
  metric: MetricKey;
  delta?: DeltaKey;
  a: MethodName;
  b: MethodName;
  meanA: number;
  meanB: number;
  difference: PairedDifference;
  /** Only where the interval excludes 0: which method the metric favours. */
  verdict?: string;
}

export interface ConsistencyResult {
  method: MethodName;
  /** Input size of the compared models (only models of one size see the same scenes). */
  size: number;
  /** 'default': models at their default layer; 'given': models at a layer given by name. */
  layers: 'default' | 'given';
  models: string[];
  /** Per image: the mean over model pairs (both correct on the image, see consistencyOn) of Pearson r; summarised over images. */
  pearson: Summary;
  /** The same for the IoU of the heatmaps thresholded at CONSISTENCY_DELTA. */
  iou: Summary;
  pairs: { a: string; b: string; pearson: Summary; iou: Summary }[];
}

/** Consistency of method a minus that of method b on the same scenes (per-image means of the pairs), paired bootstrap. */
export interface ConsistencyDifference {
  size: number;
  layers: 'default' | 'given';
  models: string[];
  a: MethodName;
  b: MethodName;
  pearson: PairedDifference;
  iou: PairedDifference;
}

export interface ImageMethodRecord {
  /** p(c | E). */
  o: number;
  /** The relative drop max(0, Y - O) / Y. */
  drop: number;
  covered: boolean[];
  /** Every metric of the table on this image (per delta: one value per LOC_DELTAS entry). */
  values: { [K in MetricKey]?: number | number[] };
}

export interface ImageRecord {
  index: number;
  label: number;
  instances: number;
  models: Record<string, { predicted: number; correct: boolean; y: number; methods: Record<string, ImageMethodRecord> }>;
}

export interface FigureInfo { file: string; kind: 'backbones' | 'instances'; rows: string[]; columns: string[] }

export interface EvaluationReport {
  tool: 'gradcam-wasm evaluate';
  protocol: {
    split: Split;
    scenes: number;
    seed: number;
    /** Scene size when given (else each model's input size). */
    size: number | null;
    methods: MethodName[];
    deltas: number[];
    coverageThreshold: number;
    winTieTolerance: number;
    consistencyDelta: number;
    consistencyOn: 'correct' | 'all';
    perturbation: { steps: number; deletionBaseline: 'zero'; insertionBaseline: 'blur'; blurSigma: number } | null;
    comparison: { a: MethodName; b: MethodName; resamples: number; level: number; seed: number } | null;
    definitions: Record<string, string>;
  };
  models: ModelInfo[];
  results: MethodResult[];
  comparisons: PairedResult[];
  consistency: ConsistencyResult[];
  /** With a comparison: method a's consistency minus method b's, per group of models. */
  consistencyComparisons: ConsistencyDifference[];
  images: ImageRecord[];
  figures: FigureInfo[];
  timing: {
    totalSeconds: number;
    perModel: { model: string; secondsPerImage: number; explainMs: number; predictMs: number; aucMs: number; metricsMs: number }[];
  };
  environment: { node: string; tfjs: string; backend: string };
}

export interface EvaluateResult {
  report: EvaluationReport;
  markdown: string;
  /** Files written. */
  files: string[];
}
