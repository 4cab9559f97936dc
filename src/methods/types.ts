import type { Kernels } from '../kernels/contract.js';
import type { Plan } from '../model/plan.js';

/** What a method sees: the target activation A and the gradients g, both HWC views in kernel memory. */
export interface WeightsContext {
  readonly kernels: Kernels;
  /** A[p*K + k], Z = H*W positions, K channels. */
  readonly a: Float32Array;
  /** dS_c/dA[p*K + k] (the logit's gradient); empty for methods without gradients. */
  readonly g: Float32Array;
  readonly Z: number;
  readonly K: number;
  /** K floats of scratch space. */
  readonly scratch: Float32Array;
  /** The explained class. */
  readonly classIndex: number;
  /** The CAM Dense kernel [K, numClasses] row-major, in kernel memory (only for methods with needsCamHead). */
  readonly denseKernel: Float32Array;
  readonly numClasses: number;
  /** Where the K channel weights go. */
  readonly out: Float32Array;
}

/**
 * One explanation method = one hook: the channel weights w[k]. The pipeline (weighted sum -> ReLU ->
 * min-max -> bilinear upsampling) is written once, in src/explainer.ts.
 */
export interface Method {
  /** The name used in options, the CLI and reports. */
  readonly name: string;
  /** A human title for figures and tables. */
  readonly title: string;
  /** The paper, with its equation. */
  readonly reference: string;
  readonly needsGradients: boolean;
  /** Needs target -> GAP -> Dense (CAM). */
  readonly needsCamHead: boolean;
  /** Writes w[k] into ctx.out. */
  channelWeights(ctx: WeightsContext): void;
}

export type { Plan };
