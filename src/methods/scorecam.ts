import { classOnly } from './applies.js';
import type { Method } from './types.js';

/**
 * Score-CAM, Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks",
 * CVPR Workshops 2020 (arXiv:1910.01279): M_k = A_k upsampled to the input and min-max normalised to [0,1];
 * w_k = softmax(f(X o M_k))_c, the class-c probability of the masked input (the authors' official code);
 * L = sum_k w_k A_k. K extra forward passes of the whole model, `batchSize` masked inputs at a time
 * (src/pipeline/masked.ts). pytorch-grad-cam takes the masked logits and a softmax over the channels instead.
 *
 * @example
 * const [r] = await (await createExplainer(model)).explain(image, { methods: ['scorecam'], batchSize: 16 });
 */
export const scorecam = {
  name: 'scorecam',
  title: 'Score-CAM',
  reference: 'Wang et al. 2020, CVPR Workshops, arXiv:1910.01279',
  kind: 'perturbation',
  input: 'masked-scores',
  applies: classOnly('Score-CAM', 'scorecam'),
  compute: (c) => c.out.set(c.scores),
} as const satisfies Method;
