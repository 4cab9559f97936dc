/**
 * A correct gradient of Unpack (tf.unstack) for one-frame clips, used only inside the library's own gradient pass.
 *
 * tfjs 4.22 hands an op's gradient function a single tensor, not an array, when the op has one output; its Unpack
 * gradient then calls tf.stack(dy) on that tensor and throws "Argument tensors passed to stack must be a `Tensor[]`".
 * tfjs-layers' TimeDistributed and recurrent layers unstack the time axis, so the gradient through any of them fails
 * for T = 1. `withCorrectUnpackGrad(fn)` registers a gradient that stacks [dy] in that case for the duration of one
 * synchronous call and restores tfjs's own in a finally block (like src/backend/max-pool-grad.ts), so the process's
 * tfjs state is unchanged afterwards.
 */
import * as tf from '@tensorflow/tfjs';

const fixed: tf.GradConfig = {
  kernelName: 'Unpack',
  gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const { axis } = attrs as unknown as { axis: number };
    return { value: () => tf.stack(Array.isArray(dy) ? dy : [dy], axis) };
  },
};

export function withCorrectUnpackGrad<T>(fn: () => T): T {
  const own = tf.getGradient('Unpack');
  tf.registerGradient(fixed);
  try {
    return fn();
  } finally {
    if (own) tf.registerGradient(own);
  }
}
