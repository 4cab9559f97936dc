/** Training only: the fast path of Mean (./reduce.ts). */
import type { KernelFunc } from '@tensorflow/tfjs';
import { fastReduce } from './reduce.js';

export const fastMean = (original: KernelFunc): KernelFunc => fastReduce(original, true);
