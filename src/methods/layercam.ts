import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * Layer-CAM, Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for Localization",
 * IEEE TIP 2021: L_ij = sum_k ReLU(g_ij^k) A_ij^k (each position weighted by its own positive gradient).
 * With a GAP -> Dense head it equals Grad-CAM without the channels of negative weight.
 *
 * @example
 * const [r] = await (await createExplainer(model, { layer: ['conv2', 'conv4'] })).explain(image, { methods: ['layercam'] });
 */
export const layercam = {
  name: 'layercam',
  title: 'Layer-CAM',
  reference: 'Jiang et al. 2021, IEEE TIP 30:5875',
  kind: 'elementwise',
  input: 'gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.layercamMap(c.a, c.g, c.Z, c.K, c.out),
} as const satisfies Method;
