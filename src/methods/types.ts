import type { Kernels } from '../kernels/contract.js';
import type { Plan } from '../plan/plan.js';

/**
 * How a method forms its map before the shared tail (ReLU -> min-max -> bilinear upsampling):
 * - 'channel': channel weights w_k, then L = sum_k w_k A_k (CAM, Grad-CAM, Grad-CAM++, XGrad-CAM, Smooth Grad-CAM++);
 * - 'elementwise': L straight from A and g, position by position (HiResCAM, Layer-CAM, Grad-CAM element-wise);
 * - 'activation': L from A alone (Eigen-CAM);
 * - 'perturbation': w_k from extra forward passes of the whole model, then L = sum_k w_k A_k (Score-CAM).
 */
export type MethodKind = 'channel' | 'elementwise' | 'activation' | 'perturbation';

/**
 * What the pipeline computes for a method besides the target activation A (each at most once per target,
 * shared by every method that reads it):
 * - 'activations': nothing more; 'cam-head': the final linear layer's kernel (CAM);
 * - 'gradients': g = dS/dA from one head pass under tf.grad;
 * - 'noisy-gradients': the sums of g, g^2, g^3 over `samples` noisy copies of the input (Smooth Grad-CAM++);
 * - 'masked-scores': the class probability of the input masked by each upsampled channel (Score-CAM).
 */
export type MethodInput = 'activations' | 'cam-head' | 'gradients' | 'noisy-gradients' | 'masked-scores';

/** What a method's hook sees: HWC views in kernel memory (a[p*K + k], Z = H*W positions, K channels). */
export interface MethodContext {
  readonly kernels: Kernels;
  readonly a: Float32Array;
  /** dS/dA (input 'gradients'); empty otherwise. */
  readonly g: Float32Array;
  /** Sums over the noisy copies of g, g^2, g^3 (input 'noisy-gradients'); empty otherwise. */
  readonly d1: Float32Array;
  readonly d2: Float32Array;
  readonly d3: Float32Array;
  /** How many noisy copies d1..d3 sum over. */
  readonly samples: number;
  /** The K masked-input class probabilities (input 'masked-scores'); empty otherwise. */
  readonly scores: Float32Array;
  readonly Z: number;
  readonly K: number;
  /** Scratch space: at least max(K, eigencamScratchLength(Z, K)) floats. */
  readonly scratch: Float32Array;
  /** The explained class; -1 for a function target. */
  readonly classIndex: number;
  /** The CAM Dense kernel [K, numClasses] row-major (input 'cam-head'); empty otherwise. */
  readonly denseKernel: Float32Array;
  readonly numClasses: number;
  /** Where the hook writes: K channel weights ('channel', 'perturbation') or the Z-position map ('elementwise', 'activation'). */
  readonly out: Float32Array;
}

/** What is explained: a class (its logit) or a user function of the logits. */
export type TargetKind = 'class' | 'function';

/**
 * One explanation method: one file in src/methods/ and one line in registry.ts. The pipeline
 * (src/pipeline/) dispatches on `kind` once and computes `input` for it; the method only writes its hook's output.
 */
export interface Method {
  /** The name used in options, the CLI and reports. */
  readonly name: string;
  /** A human title for figures and tables. */
  readonly title: string;
  /** The paper, with its equation. */
  readonly reference: string;
  readonly kind: MethodKind;
  readonly input: MethodInput;
  /**
   * true if the method can explain this plan's target for this kind of target, else the reason it cannot
   * (a sentence that says what to use instead). The one rule: the API, CLI, demo and evaluation all ask it.
   */
  applies(plan: Plan, target?: TargetKind): true | string;
  /**
   * The hook: 'channel' and 'perturbation' write K weights into ctx.out (the pipeline then takes
   * sum_k w_k A_k); 'elementwise' and 'activation' write the Z-position map into ctx.out.
   */
  compute(ctx: MethodContext): void;
}

export type { Plan };
