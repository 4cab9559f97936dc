import type { Method } from './types.js';

/**
 * Grad-CAM, Selvaraju et al., ICCV 2017, Eq. 1: w_k^c = (1/Z) sum_ij dS^c/dA^k_ij, with S^c the logit.
 * With a GAP -> Dense head, dS/dA = kernel[k,c]/Z everywhere, so Grad-CAM equals CAM up to a positive factor.
 */
export const gradcam = {
  name: 'gradcam',
  title: 'Grad-CAM',
  reference: 'Selvaraju et al. 2017, ICCV, arXiv:1610.02391, Eq. 1',
  needsGradients: true,
  needsCamHead: false,
  channelWeights: (c) => c.kernels.gradcamWeights(c.g, c.Z, c.K, c.out),
} as const satisfies Method;
