import { anyTarget } from './applies.js';
import type { Method } from './types.js';

/**
 * Eigen-CAM, Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components", IJCNN 2020
 * (arXiv:2008.00299): L = C v, with C the target activation as a Z x K matrix (rows = positions, columns =
 * channels), each channel centred, and v its first right singular vector (power iteration in the kernel).
 * The sign of v is fixed so that L correlates positively with the channel-mean map (the SVD's own sign is
 * arbitrary). No gradients and no class: every target gets the same map.
 *
 * @example
 * const [r] = await (await createExplainer(model)).explain(image, { methods: ['eigencam'] });
 */
export const eigencam = {
  name: 'eigencam',
  title: 'Eigen-CAM',
  reference: 'Muhammad & Yeasin 2020, IJCNN, arXiv:2008.00299',
  kind: 'activation',
  input: 'activations',
  applies: anyTarget,
  compute: (c) => c.kernels.eigencamMap(c.a, c.Z, c.K, c.scratch, c.out),
} as const satisfies Method;
