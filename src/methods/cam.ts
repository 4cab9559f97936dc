import { camHead } from './applies.js';
import type { Method } from './types.js';

/**
 * CAM, Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016, Eq. 2:
 * M_c(i,j) = sum_k w_k^c A_k(i,j), with w^c the column of class c of the Dense layer that follows
 * global average pooling. No gradients. Applies only to target -> GAP -> Dense (class scores).
 *
 * @example
 * const [r] = await (await createExplainer(model)).explain(image, { methods: ['cam'] });
 * r.get('cam').heatmap; // Float32Array in [0,1]
 */
export const cam = {
  name: 'cam',
  title: 'CAM',
  reference: 'Zhou et al. 2016, CVPR, arXiv:1512.04150, Eq. 2',
  kind: 'channel',
  input: 'cam-head',
  applies: camHead,
  compute: (c) => c.kernels.camWeights(c.denseKernel, c.K, c.numClasses, c.classIndex, c.out),
} as const satisfies Method;
