import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * Smooth Grad-CAM++, Omeiza et al., "Smooth Grad-CAM++: An Enhanced Inference Level Visualization Technique
 * for Deep Convolutional Neural Network Models", 2019 (arXiv:1908.01224): over n noisy copies X + N(0, sigma^2)
 * of the input, D1, D2, D3 = the means of g, g^2, g^3; alpha = D2 / (2 D2 + sum_ab A_ab D3);
 * w_k = sum_ij alpha_ij ReLU(D1_ij); L = sum_k w_k A_k, with A from the clean input. Options `samples`
 * (default 16), `noise` (sigma as a fraction of the input range, default 0.15), `seed` (default 0): the same
 * seed gives the same map; noise 0 gives Grad-CAM++. n extra body + gradient passes (src/pipeline/smooth.ts).
 *
 * @example
 * const [r] = await (await createExplainer(model)).explain(image, { methods: ['smoothgradcam++'], samples: 8, seed: 1 });
 */
export const smoothgradcampp = {
  name: 'smoothgradcam++',
  title: 'Smooth Grad-CAM++',
  reference: 'Omeiza et al. 2019, arXiv:1908.01224',
  kind: 'channel',
  input: 'noisy-gradients',
  applies: anyTarget,
  compute: (c) => c.kernels.smoothgradcamppWeights(c.a, c.d1, c.d2, c.d3, c.Z, c.K, c.samples, c.scratch, c.out),
} as const satisfies Method;
