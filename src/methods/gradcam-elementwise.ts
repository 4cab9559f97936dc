import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise, after HiResCAM, Draelos & Carin 2020,
 * arXiv:2011.08891): L_ij = sum_k ReLU(g_ij^k A_ij^k): only the positive products count.
 *
 * @example
 * const [r] = await (await createExplainer(model, { layer: 'conv4' })).explain(image, { methods: ['gradcam-elementwise'] });
 */
export const gradcamElementwise = {
  name: 'gradcam-elementwise',
  title: 'Grad-CAM element-wise',
  reference: 'Draelos & Carin 2020, arXiv:2011.08891 (element-wise variant)',
  kind: 'elementwise',
  input: 'gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.gradcamElementwiseMap(c.a, c.g, c.Z, c.K, c.out),
} as const satisfies Method;
