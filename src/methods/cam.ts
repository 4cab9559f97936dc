import type { Method } from './types.js';

/**
 * CAM, Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016, Eq. 2:
 * M_c(i,j) = sum_k w_k^c A_k(i,j), with w^c the column of class c of the Dense layer that follows
 * global average pooling. No gradients.
 */
export const cam = {
  name: 'cam',
  title: 'CAM',
  reference: 'Zhou et al. 2016, CVPR, arXiv:1512.04150, Eq. 2',
  needsGradients: false,
  needsCamHead: true,
  channelWeights: (c) => c.kernels.camWeights(c.denseKernel, c.K, c.numClasses, c.classIndex, c.out),
} as const satisfies Method;
