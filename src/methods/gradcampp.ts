import type { Method } from './types.js';

/**
 * Grad-CAM++, Chattopadhyay et al., WACV 2018, Eq. 19 (source report Eq. 14, 2, 7), with Y = exp(S):
 *   alpha_ij^k = g^2 / (2 g^2 + sum_ab A_ab^k g^3) = 1 / (2 + sum_ab A_ab^k g)   (g = dS/dA_ij^k != 0)
 *   w_k = sum_ij alpha_ij^k ReLU(dS/dA_ij^k)
 * exp(S) cancels in alpha and multiplies every w_k by the same positive factor, which the min-max
 * normalisation removes; it is never computed (it overflows float32 for S > ~88).
 * Guards (src/constants.ts EPS): alpha = 0 where g == 0 or |2 + sum A g| < EPS.
 * The singularity 2 + sum A g = 0 exists only where sum A < 0 (a target with negative activations, e.g.
 * no ReLU after it): next to it alpha reaches 1/EPS = 1e7 and that position dominates its channel's weight.
 * Both kernels compute alpha and the weights in float64 (the wasm one in f64x2), so they take the same
 * side of the guard and agree bit for bit; prefer a target after a ReLU, where 2 + sum A g >= 2.
 */
export const gradcampp = {
  name: 'gradcam++',
  title: 'Grad-CAM++',
  reference: 'Chattopadhyay et al. 2018, WACV, arXiv:1710.11063, Eq. 19',
  needsGradients: true,
  needsCamHead: false,
  channelWeights: (c) => c.kernels.gradcamppWeights(c.a, c.g, c.Z, c.K, c.scratch, c.out),
} as const satisfies Method;
