import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * XGrad-CAM, Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs",
 * BMVC 2020 (arXiv:2008.02312): w_k = sum_ij g_ij^k A_ij^k / (sum_ij A_ij^k + EPS), L = sum_k w_k A_k.
 * With a GAP -> Dense head (g constant per channel) it equals Grad-CAM wherever sum_ij A^k > 0.
 *
 * @example
 * const [r] = await (await createExplainer(model, { layer: 'conv4' })).explain(image, { methods: ['xgradcam'] });
 */
export const xgradcam = {
  name: 'xgradcam',
  title: 'XGrad-CAM',
  reference: 'Fu et al. 2020, BMVC, arXiv:2008.02312',
  kind: 'channel',
  input: 'gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.xgradcamWeights(c.a, c.g, c.Z, c.K, c.scratch, c.out),
} as const satisfies Method;
