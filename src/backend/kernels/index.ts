/**
 * The tfjs 'wasm' backend (4.22) lacks the gradient kernels of convolutions' filters, of depthwise
 * convolutions and of gather; this folder composes them from kernels it has (one kernel per file, the
 * arithmetic in XNNPACK through the backend's own Conv2D / DepthwiseConv2dNative / BatchMatMul kernels).
 *
 * - registerMissingWasmKernels(): registers ONLY kernels the backend does not have (checked with
 *   tf.getKernel; an existing kernel, tfjs's or the app's, is never replaced). useWasmBackend() calls it.
 * - useFastTrainingKernels(): opt-in, for training scripts: faster Conv2DBackpropInput, Tile, Sum,
 *   Mean, Unpack, Pack and Transpose in place of tfjs's own (which stay correct, only slow for a conv-net training step). Returns a
 *   function that puts tfjs's own kernels back. The library never calls it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm'; // registers the wasm kernels these compose and wrap
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { BACKEND } from './ops.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.js';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.js';
import { fastConv2DBackpropInput } from './training/Conv2DBackpropInput.js';
import { fastTile } from './training/Tile.js';
import { fastSum } from './training/Sum.js';
import { fastMean } from './training/Mean.js';
import { fastPack, fastTranspose, fastUnpack } from './training/layout.js';

/** The kernels the wasm backend lacks, as tfjs kernel configs. */
export const MISSING_WASM_KERNELS: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  unsortedSegmentSumConfig,
];
export const MISSING_WASM_KERNEL_NAMES: readonly string[] = MISSING_WASM_KERNELS.map((k) => k.kernelName);

/**
 * Registers each kernel of MISSING_WASM_KERNELS that the wasm backend does not have yet (a later tfjs
 * that ships one, or an app that registered its own, keeps it). Returns the names registered now.
 * Needs no initialised backend. Idempotent.
 */
export function registerMissingWasmKernels(): string[] {
  const added: string[] = [];
  for (const k of MISSING_WASM_KERNELS) {
    if (tf.getKernel(k.kernelName, BACKEND)) continue;
    tf.registerKernel(k);
    added.push(k.kernelName);
  }
  return added;
}

/** Training-only replacements: kernel name -> the fast kernel made from tfjs's own. */
const FAST_TRAINING: Readonly<Record<string, (original: KernelFunc) => KernelFunc>> = {
  [tf.Conv2DBackpropInput]: fastConv2DBackpropInput,
  [tf.Tile]: fastTile,
  [tf.Sum]: fastSum,
  [tf.Mean]: fastMean,
  // recurrent layers (ConvLSTM): tfjs-layers' rnn() transposes, unstacks and stacks every step
  [tf.Unpack]: fastUnpack,
  [tf.Pack]: fastPack,
  [tf.Transpose]: fastTranspose,
};
export const FAST_TRAINING_KERNEL_NAMES: readonly string[] = Object.keys(FAST_TRAINING);

let active: { restore: () => void } | null = null;

/**
 * Opt-in for training a conv net on the wasm backend (about 2x faster steps with batch norm): replaces
 * the wasm Conv2DBackpropInput with phase-split XNNPACK convs and gives Tile, and Sum / Mean over a run
 * of leading axes, fast paths (other cases go to tfjs's kernels). Process-wide, like any tfjs kernel
 * registration: call it in a training script, not in a library. Returns `restore()`, which puts tfjs's
 * own kernel configs back (the same objects). A second call while active returns the same restore.
 */
export function useFastTrainingKernels(): () => void {
  if (active) return active.restore;
  const swapped: { original: KernelConfig; fast: KernelConfig }[] = [];
  for (const [name, make] of Object.entries(FAST_TRAINING)) {
    const original = tf.getKernel(name, BACKEND);
    if (!original) continue;
    // keeps the original setupFunc, which still runs if the backend is initialised after this call
    const fast: KernelConfig = { ...original, kernelFunc: make(original.kernelFunc) };
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(fast);
    swapped.push({ original, fast });
  }
  const state = {
    restore: () => {
      if (active !== state) return;
      for (const { original, fast } of swapped) {
        // only where our kernel is still the registered one (someone else's replacement stays)
        if (tf.getKernel(original.kernelName, BACKEND) !== fast) continue;
        tf.unregisterKernel(original.kernelName, BACKEND);
        tf.registerKernel(original);
      }
      active = null;
    },
  };
  active = state;
  return state.restore;
}

/** Whether useFastTrainingKernels() is in effect. */
export function fastTrainingKernelsActive(): boolean {
  return active !== null;
}
