/** Training only: the fast path of Sum (./reduce.ts). */
import type { KernelFunc } from '@tensorflow/tfjs';
import { fastReduce } from './reduce.js';

export const fastSum = (original: KernelFunc): KernelFunc => fastReduce(original, false);
