/**
 * gradcam-wasm: CAM, Grad-CAM and Grad-CAM++ for TensorFlow.js CNNs.
 */
// Registers the custom layers of the bundled models (Normalization of EfficientNet) before any model loads.
import './models/normalization.js';
export { explainWasm, createExplainer, Explainer, probabilities } from './explainer.js';
export type {
  Explanation, ExplainOptions, ExplainerOptions, ExplainRequest, ImageExplanations, OutputSize, Prediction,
} from './explainer.js';
export { overlay, colorize, explanationMap, toRgba } from './render.js';
export type { OverlayOptions } from './render.js';
export { METHODS, METHOD_NAMES, getMethod } from './methods/registry.js';
export type { MethodName } from './methods/registry.js';
export type { Method } from './methods/types.js';
export { candidateLayers } from './model/plan.js';
export { useWasmBackend, setWasmBackendPath, useFastTrainingKernels, WASM_FILES, type WasmBackendOptions } from './backend.js';
export { getKernels } from './bindings/index.js';
export type { Kernels } from './bindings/types.js';
export type { ImageInput, ImageDataLike, Preprocess } from './image.js';
export * from './errors.js';
export { EPS } from './constants.js';
