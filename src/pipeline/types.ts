/** What an explanation returns, per image: shared by the Explainer (src/explainer.ts) and the batch pipeline (src/pipeline/batch.ts). */
import type { KernelPath } from '../kernels/index.js';
import type { MethodName } from '../methods/registry.js';

export interface Explanation {
  readonly method: MethodName;
  /** The explained class; -1 for a function target. */
  readonly classIndex: number;
  /** The class name, when labels are known (undefined for a function target). */
  readonly label?: string;
  /** The explained score S: the class score before softmax/sigmoid, or the target function's value. */
  readonly logit: number;
  /** softmax (or sigmoid, for a sigmoid output) of the logits at classIndex; NaN for a function target (no class). */
  readonly probability: number;
  /** The target layer; several fused layers are joined by '+'. */
  readonly layer: string;
  /** The target layers (one, or the fused ones). */
  readonly layers: readonly string[];
  /** The low-resolution map (for fused layers: the fused map at the output size) after ReLU, min-max normalised to [0,1], row-major camHeight x camWidth. */
  readonly cam: Float32Array;
  readonly camWidth: number;
  readonly camHeight: number;
  /** `cam` upsampled (bilinear, half-pixel centres) to width x height, in [0,1]. */
  readonly heatmap: Float32Array;
  readonly width: number;
  readonly height: number;
  /** The K channel weights w_k^c ('channel' and 'perturbation' methods, one layer); empty otherwise. */
  readonly weights: Float32Array;
}

export interface Prediction { classIndex: number; logit: number; probability: number; label?: string }

export interface ImageExplanations {
  readonly layer: string;
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
  /** The top-5 classes, highest first. */
  readonly top: Prediction[];
  /** One per (class, method), classes in the order explained. */
  readonly explanations: Explanation[];
  /**
   * Milliseconds: input preparation, forward (the body, and the head's forward when the classes are chosen from the
   * logits), gradients (the head's backward; with the head's forward when no logits were needed first; the noisy and
   * masked passes), kernels (maps), total. Images explained in one batch share its passes: each gets 1/n of them.
   */
  readonly timings: {
    prepare: number; forward: number; gradients: number; maps: number; total: number;
    /** How activations and gradients reached the kernels: read in place in tfjs-wasm's heap, or copied once. */
    path: KernelPath;
  };
  /** The explanation of one method (and class; default the first explained; -1 for a function target). */
  get(method: MethodName, classIndex?: number): Explanation | undefined;
}
