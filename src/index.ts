/**
 * gradcam-wasm: CAM, Grad-CAM and Grad-CAM++ for TensorFlow.js CNNs.
 */
// Registers the custom layers of the bundled models (Normalization of EfficientNet) before any model loads.
import './models/normalization.js';
export { explainWasm, createExplainer, Explainer, probabilities } from './explainer.js';
export type {
  Explanation, ExplainOptions, ExplainerOptions, ExplainRequest, ImageExplanations, OutputSize, Prediction,
  TargetFunction,
} from './explainer.js';
export { overlay, colorize, explanationMap, toRgba } from './render.js';
export type { OverlayOptions } from './render.js';
export { METHODS, METHOD_NAMES, getMethod } from './methods/registry.js';
export type { MethodName } from './methods/registry.js';
export type { Method } from './methods/types.js';
export { candidateLayers, isGraphModel, isLayersModel } from './model/plan.js';
export type { ExplainableModel } from './model/plan.js';
export { attachLabels, labelsOf } from './model/labels.js';
export { useWasmBackend, setWasmBackendPath, useFastTrainingKernels, WASM_FILES, type WasmBackendOptions } from './backend.js';
export { getKernels } from './kernels/index.js';
export type { Kernels } from './kernels/contract.js';
export type { ImageInput, ImageDataLike, Preprocess } from './image.js';
export * from './errors.js';
export { EPS, MAX_OUTPUT_PIXELS, MAX_INPUT_MAGNITUDE } from './constants.js';
