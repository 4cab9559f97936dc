import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * Grad-CAM, Selvaraju et al., ICCV 2017, Eq. 1: w_k^c = (1/Z) sum_ij dS^c/dA^k_ij, with S^c the logit;
 * L = sum_k w_k A_k. With a GAP -> Dense head, dS/dA = kernel[k,c]/Z everywhere, so Grad-CAM equals CAM up to a
 * positive factor.
 *
 * @example
 * const [r] = await (await createExplainer(model)).explain(image, { methods: ['gradcam'] });
 */
export const gradcam = {
  name: 'gradcam',
  title: 'Grad-CAM',
  reference: 'Selvaraju et al. 2017, ICCV, arXiv:1610.02391, Eq. 1',
  kind: 'channel',
  input: 'gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.gradcamWeights(c.g, c.Z, c.K, c.out),
} as const satisfies Method;
