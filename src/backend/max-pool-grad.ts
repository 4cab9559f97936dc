/**
 * A correct MaxPoolGrad for the tfjs wasm backend, used only inside the library's own gradient passes.
 *
 * tfjs-backend-wasm 4.22's MaxPoolGrad (and MaxPoolWithArgmax) start each window's running maximum at
 * FLT_MIN (1.18e-38, the smallest positive float) instead of -Infinity: a window whose values are all
 * <= 1.18e-38 — every window of zeros behind a ReLU, every all-negative window — gets its gradient dropped
 * or sent to the wrong position (measured: 95 of 200 random ReLU'd 4x4x3 inputs lose gradient; for
 * [-4,-3,-2,-1] it goes to the -4). The cpu backend, TensorFlow and PyTorch send dy to the FIRST maximum of
 * the window (row-major), which is what this kernel does. Grad-CAM's weights sum the gradient over every
 * position, including the zeros of dead windows, so the bug moves Grad-CAM / Grad-CAM++ maps of any target
 * followed by max pooling (VGG16's block5_conv3 -> block5_pool).
 *
 * The library never replaces a tfjs kernel for the process: `withCorrectMaxPoolGrad(fn)` swaps this kernel
 * in for the duration of one synchronous call (a tf.grad) and restores tfjs's own in a finally block, so no
 * other code can observe the swap. Training opts in for the whole run (src/node/train.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';

/** The geometry of one 2-D pooling, as tfjs's computePool2DInfo gives it. */
export interface PoolGeometry {
  batchSize: number; inHeight: number; inWidth: number; channels: number; outHeight: number; outWidth: number;
  strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number;
  effectiveFilterHeight: number; effectiveFilterWidth: number; padTop: number; padLeft: number;
}

/**
 * dx[first argmax of each window] += dy[window], NHWC, dx zero-filled here. Windows are clipped to the input
 * (padding never wins); ties go to the first position in row-major order; a NaN never wins unless the whole
 * window is NaN (then the first position gets dy, as nothing else can).
 */
export function maxPoolGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, p: PoolGeometry): void {
  dx.fill(0);
  const C = p.channels;
  for (let b = 0; b < p.batchSize; b++) {
    const xb = b * p.inHeight * p.inWidth * C, yb = b * p.outHeight * p.outWidth * C;
    for (let yr = 0; yr < p.outHeight; yr++) {
      const r0 = yr * p.strideHeight - p.padTop;
      for (let yc = 0; yc < p.outWidth; yc++) {
        const c0 = yc * p.strideWidth - p.padLeft;
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity, at = -1;
          for (let fr = 0; fr < p.effectiveFilterHeight; fr += p.dilationHeight) {
            const r = r0 + fr;
            if (r < 0 || r >= p.inHeight) continue;
            for (let fc = 0; fc < p.effectiveFilterWidth; fc += p.dilationWidth) {
              const c = c0 + fc;
              if (c < 0 || c >= p.inWidth) continue;
              const i = xb + (r * p.inWidth + c) * C + ch;
              const v = x[i]!;
              if (at < 0 || v > best || (best !== best && v === v)) { best = v; at = i; }
            }
          }
          if (at >= 0) dx[at] += dy[yb + (yr * p.outWidth + yc) * C + ch]!;
        }
      }
    }
  }
}

interface WasmBackendLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

const config: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const be = backend as unknown as WasmBackendLike;
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const x = be.readSync(input.dataId), g = be.readSync(dy.dataId);
    const out = be.makeOutput(input.shape, 'float32');
    maxPoolGradInto(x, g, be.typedArrayFromHeap(out), {
      batchSize: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, channels: info.inChannels,
      outHeight: info.outHeight, outWidth: info.outWidth, strideHeight: info.strideHeight, strideWidth: info.strideWidth,
      dilationHeight: info.dilationHeight, dilationWidth: info.dilationWidth,
      effectiveFilterHeight: info.effectiveFilterHeight, effectiveFilterWidth: info.effectiveFilterWidth,
      padTop: info.padInfo.top, padLeft: info.padInfo.left,
    });
    return out;
  },
};

/** Runs `fn` (synchronous: a tf.grad) with the correct MaxPoolGrad on the wasm backend, then restores tfjs's. */
export function withCorrectMaxPoolGrad<T>(fn: () => T): T {
  if (tf.getBackend() !== 'wasm') return fn();
  const own = tf.getKernel('MaxPoolGrad', 'wasm');
  if (own === config) return fn();
  if (own) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel(config);
  try {
    return fn();
  } finally {
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    if (own) tf.registerKernel(own);
  }
}

/** For training only (opt-in, for the whole process): the correct MaxPoolGrad stays registered. */
export function registerCorrectMaxPoolGrad(): void {
  if (tf.getKernel('MaxPoolGrad', 'wasm') === config) return;
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel(config);
}
