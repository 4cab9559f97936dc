import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * HiResCAM, Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional
 * neural networks", 2020 (arXiv:2011.08891): L_ij = sum_k g_ij^k A_ij^k (the gradient is not averaged over
 * space). With a GAP -> Dense head it equals Grad-CAM.
 *
 * @example
 * const [r] = await (await createExplainer(model, { layer: 'conv4' })).explain(image, { methods: ['hirescam'] });
 */
export const hirescam = {
  name: 'hirescam',
  title: 'HiResCAM',
  reference: 'Draelos & Carin 2020, arXiv:2011.08891',
  kind: 'elementwise',
  input: 'gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.hirescamMap(c.a, c.g, c.Z, c.K, c.out),
} as const satisfies Method;
