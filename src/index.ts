/**
 * gradcam-wasm: CAM, Grad-CAM, Grad-CAM++ and the methods past the paper (docs/methods.md) for TensorFlow.js CNNs.
 */
// Registers the custom layers of the bundled models (Normalization of EfficientNet) before any model loads.
import './models/normalization.js';
export { explainWasm, createExplainer, Explainer, probabilities } from './explainer.js';
export type {
  Explanation, ExplainOptions, ExplainerOptions, ExplainRequest, ImageExplanations, OutputSize, PassOptions, Prediction,
  TargetFunction,
} from './explainer.js';
export { explainSequence, SEQUENCE_METHOD_NAMES, sequenceCandidates } from './sequence/index.js';
export type { ClipInput, SequenceExplanation, SequenceOptions } from './sequence/index.js';
export { overlay, colorize, explanationMap, toRgba } from './render.js';
export type { OverlayOptions } from './render.js';
export { METHODS, METHOD_NAMES, getMethod } from './methods/registry.js';
export type { MethodName } from './methods/registry.js';
export type { Method, MethodContext, MethodInput, MethodKind, TargetKind } from './methods/types.js';
export { candidateLayers, isGraphModel, isLayersModel } from './plan/plan.js';
export type { ExplainableModel } from './plan/plan.js';
export { attachLabels, labelsOf } from './plan/labels.js';
export { useWasmBackend, setWasmBackendPath, useFastTrainingKernels, WASM_FILES, type WasmBackendOptions } from './backend/index.js';
export { getKernels } from './kernels/index.js';
export type { Kernels } from './kernels/contract.js';
export type { ImageInput, ImageDataLike, Preprocess } from './image.js';
export * from './errors.js';
export { EPS, MAX_OUTPUT_PIXELS, MAX_INPUT_MAGNITUDE } from './constants.js';
