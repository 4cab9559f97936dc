/**
 * The evaluation: the Grad-CAM++ paper's protocol (Chattopadhyay et al., WACV 2018, Tables 1-3, 10), RISE's
 * deletion / insertion (Petsiuk et al. 2018) and the source report's three claims, on digit scenes with
 * ground truth (src/data/digit-scenes.ts), with paired bootstrap intervals for the comparison of two methods.
 *   ./table.ts        the metrics reported (each computed by src/metrics/)
 *   ./models.ts       loading and checking the models
 *   ./run.ts          the scene loop
 *   ./consistency.ts  cross-backbone consistency
 *   ./summary.ts      summaries and paired comparisons
 *   ./markdown.ts     JSON and Markdown
 * Progress is reported through `onProgress`; drawing it is the CLI's business (src/cli/evaluate.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useWasmBackend } from '../backend/index.js';
import { METHODS, ONE_PASS_METHOD_NAMES, getMethod, type MethodName } from '../methods/registry.js';
import type { Split } from '../data/index.js';
import { EVAL_SEED } from '../constants.js';
import { InvalidInputError } from '../errors.js';
import {
  LOC_DELTAS, COVERAGE_THRESHOLD, WIN_TIE_TOLERANCE, CONSISTENCY_DELTA, DEFAULT_PERTURBATION_STEPS, DEFAULT_BLUR_SIGMA,
  BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL, BOOTSTRAP_SEED,
} from '../metrics/index.js';
import { builtinModels, resolveModel } from '../node/zoo.js';
import { definitions } from './table.js';
import { loadEntry, toSpec, type LoadedModel } from './models.js';
import { runScenes } from './run.js';
import { methodResults, pairedComparisons } from './summary.js';
import { reportToJson, toMarkdown } from './markdown.js';
import type { EvaluateOptions, EvaluateResult, EvaluationReport, ModelSpec } from './types.js';

export * from './types.js';
export { METRICS, DELTA_KEYS, type MetricKey, type DeltaKey, type MetricDef } from './table.js';
export { reportToJson, toMarkdown, arrow } from './markdown.js';
export { EVAL_SEED };

function toSplit(s: EvaluateOptions['split']): Split {
  switch (s ?? 'single') {
    case 'single': case 'test-single': return 'test-single';
    case 'multi': case 'test-multi': return 'test-multi';
    default: throw new InvalidInputError(`split must be 'single' or 'multi'; got ${JSON.stringify(s)}.`);
  }
}

function requestedMethods(names: readonly string[] | undefined): MethodName[] {
  if (names && names.length === 0) throw new InvalidInputError('methods is empty; name at least one of ' + METHODS.map((m) => m.name).join(', ') + '.');
  const wanted = new Set((names ?? ONE_PASS_METHOD_NAMES).map((n) => getMethod(String(n).trim()).name));
  return METHODS.filter((m) => wanted.has(m.name)).map((m) => m.name as MethodName);
}

const isInt = (x: unknown, min: number): boolean => Number.isInteger(x) && (x as number) >= min;

/**
 * Runs the evaluation. Returns the report (also written as JSON when asked), its Markdown tables, and the
 * files written. Bad options are InvalidInputError / UnknownMethodError; a model that does not fit the
 * scenes (input size, not RGB, not 10 classes) is UnsupportedModelError. No tensor outlives the call.
 */
export async function evaluate(options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const t0 = performance.now();
  const split = toSplit(options.split);
  const n = options.n ?? 100;
  const seed = options.seed ?? EVAL_SEED;
  const nFig = options.out ? (options.figures ?? 4) : 0;
  const consistencyOn = options.consistencyOn ?? 'correct';
  const aucSteps = options.aucSteps ?? DEFAULT_PERTURBATION_STEPS;
  const resamples = options.bootstrap?.resamples ?? BOOTSTRAP_RESAMPLES;
  const bootSeed = options.bootstrap?.seed ?? BOOTSTRAP_SEED;
  if (consistencyOn !== 'correct' && consistencyOn !== 'all') {
    throw new InvalidInputError(`consistencyOn must be 'correct' or 'all'; got ${JSON.stringify(consistencyOn)}.`);
  }
  if (!isInt(n, 1)) throw new InvalidInputError(`n must be an integer >= 1; got ${n}.`);
  if (!Number.isSafeInteger(seed)) throw new InvalidInputError(`seed must be an integer; got ${seed}.`);
  if (!isInt(nFig, 0)) throw new InvalidInputError(`figures must be an integer >= 0; got ${options.figures}.`);
  if (options.size != null && !(isInt(options.size, 24) && options.size <= 1024)) {
    throw new InvalidInputError(`size must be an integer in [24, 1024] (pixels); got ${options.size}.`);
  }
  if (!isInt(aucSteps, 0)) throw new InvalidInputError(`aucSteps must be an integer >= 0 (0: no deletion / insertion); got ${aucSteps}.`);
  if (!isInt(resamples, 1)) throw new InvalidInputError(`bootstrap.resamples must be an integer >= 1; got ${resamples}.`);
  if (!Number.isSafeInteger(bootSeed)) throw new InvalidInputError(`bootstrap.seed must be an integer; got ${bootSeed}.`);
  if (options.onProgress != null && typeof options.onProgress !== 'function') throw new InvalidInputError('onProgress must be a function.');
  const methods = requestedMethods(options.methods);
  const compare = options.compare
    ? (options.compare.map((m) => getMethod(m).name) as [MethodName, MethodName])
    : (['gradcam++', 'gradcam'] as [MethodName, MethodName]);
  if (options.compare && (compare.length !== 2 || compare[0] === compare[1])) {
    throw new InvalidInputError(`compare must name two different methods; got ${JSON.stringify(options.compare)}.`);
  }
  const comparing = methods.includes(compare[0]) && methods.includes(compare[1]);
  if (options.compare && !comparing) throw new InvalidInputError(`compare names ${compare.join(' and ')}; both must be among the methods evaluated.`);
  const specs: ModelSpec[] = (options.models && options.models.length > 0 ? options.models : builtinModels('image').map((m) => m.name)).map(toSpec);
  if (specs.length === 0) {
    throw new InvalidInputError('No models: pass --model <built-in name or model.json path> (no built-in models are installed under models/).');
  }

  for (const s of specs) resolveModel(s.model); // every name resolves before anything loads
  await useWasmBackend();
  const taken = new Set<string>();
  const models: LoadedModel[] = [];
  try {
    for (const s of specs) models.push(await loadEntry(s, methods, taken, options.size));
    const out = await runScenes({
      split, n, seed, nFig, consistencyOn, methods, models, aucSteps, onProgress: options.onProgress,
      figDir: options.out ? path.resolve(options.out) : null,
    });
    for (const lm of models) lm.info.accuracy = (100 * lm.info.correct) / n;
    const report: EvaluationReport = {
      tool: 'gradcam-wasm evaluate',
      protocol: {
        split, scenes: n, seed, size: options.size ?? null, methods, deltas: [...LOC_DELTAS], coverageThreshold: COVERAGE_THRESHOLD,
        winTieTolerance: WIN_TIE_TOLERANCE, consistencyDelta: CONSISTENCY_DELTA, consistencyOn,
        perturbation: aucSteps > 0 ? { steps: aucSteps, deletionBaseline: 'zero', insertionBaseline: 'blur', blurSigma: DEFAULT_BLUR_SIGMA } : null,
        comparison: comparing ? { a: compare[0], b: compare[1], resamples, level: BOOTSTRAP_LEVEL, seed: bootSeed } : null,
        definitions: definitions(aucSteps > 0),
      },
      models: models.map((m) => m.info),
      results: methodResults(models, out.values, n, aucSteps > 0),
      comparisons: comparing ? pairedComparisons(models, out.values, out.images, aucSteps > 0, { a: compare[0], b: compare[1], resamples, seed: bootSeed }) : [],
      consistency: out.consistency.results(),
      consistencyComparisons: comparing ? out.consistency.compare(compare[0], compare[1], { resamples, seed: bootSeed }) : [],
      images: out.images,
      figures: out.figures,
      timing: {
        totalSeconds: (performance.now() - t0) / 1000,
        perModel: models.map((m) => ({
          model: m.name, secondsPerImage: m.time.total / 1000 / n, explainMs: m.time.explain / n,
          predictMs: m.time.predict / n, aucMs: m.time.auc / n, metricsMs: m.time.metrics / n,
        })),
      },
      environment: { node: process.version, tfjs: tf.version.tfjs, backend: tf.getBackend() },
    };
    const markdown = toMarkdown(report);
    const files = [...out.files];
    const figDir = options.out ? path.resolve(options.out) : null;
    const json = options.json ?? (figDir ? path.join(figDir, 'evaluation.json') : undefined);
    if (json) {
      mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
      writeFileSync(json, reportToJson(report));
      files.push(json);
    }
    if (figDir) {
      const md = path.join(figDir, 'evaluation.md');
      writeFileSync(md, markdown);
      files.push(md);
    }
    return { report, markdown, files };
  } finally {
    for (const m of models) { m.explainer.dispose(); m.model.dispose(); }
  }
}
