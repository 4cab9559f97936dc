/**
 * The head's gradient written out by hand, for a head that is a chain of known layers (a LayersModel head
 * without skips): one forward pass without a tape (so tfjs's fused Dense runs, and no tape copies the kernels),
 * then the backward, layer by layer from dS/dlogits:
 *   Dense       y = act(x W + b):   dx = (dy ⊙ act'(y)) Wᵀ   with Wᵀ transposed once and cached (owned here)
 *   GlobalAveragePooling2D  y_k = (1/Z) Σ_ij x_ijk:   dx_ijk = dy_k / Z
 *               so target → GAP → Dense gives dS_c/dA_ijk = W[k,c] / Z exactly (methods-and-protocol.md)
 *   Flatten / Reshape: reshape;  Dropout family (inference): identity;  Activation / ReLU: ⊙ act'(y);
 *   BatchNormalization (inference, last axis): dy ⊙ γ / √(σ² + ε)
 * act' from the output y: relu 1[y > 0] (tfjs's Relu gradient: step(x), x > 0), sigmoid y(1 - y), tanh 1 - y²,
 * linear 1. Any other layer (or a Dense on a rank > 2 input): no chain, and src/plan/pass.ts uses tf.grad.
 * Agrees with tf.grad within 1e-5 relative (test/head-grad.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { SymTensor } from './graph.js';
import type { Plan } from './plan.js';

const IDENTITY = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);
const ACTIVATIONS = new Set(['linear', 'relu', 'sigmoid', 'tanh']);

interface LayerLike {
  getClassName(): string;
  apply(x: tf.Tensor, kw: { training: boolean }): tf.Tensor | tf.Tensor[];
  activation?: { getClassName(): string };
  kernel?: { read(): tf.Tensor };
  maxValue?: number | null;
  dataFormat?: string;
  axis?: number; scale?: boolean; center?: boolean; epsilon?: number;
  gamma?: { read(): tf.Tensor }; beta?: { read(): tf.Tensor };
  movingMean?: { read(): tf.Tensor }; movingVariance?: { read(): tf.Tensor };
}

/** One head step: the forward output, what else its backward reads, and the backward from dy (tfjs ops, no tape). */
interface Step { y: tf.Tensor; saved?: tf.Tensor[]; back(dy: tf.Tensor): tf.Tensor }
type StepFn = (x: tf.Tensor) => Step;

/** A forward pass of the head, kept for its backward passes; dispose() frees what it saved. */
export interface HeadRun {
  readonly logits: tf.Tensor2D;
  /** dS/dA [n, h, w, k] for dS/dlogits [n, numClasses]; the caller owns the result. */
  backward(dLogits: tf.Tensor2D): tf.Tensor4D;
  dispose(): void;
}

export interface HeadGrad {
  /** The head forward on A [n, h, w, k]; tensors saved for backward() until dispose(). */
  forward(a: tf.Tensor4D): HeadRun;
  /** Frees the cached transposed kernels. */
  dispose(): void;
}

const actName = (l: LayerLike) => l.activation?.getClassName().toLowerCase() ?? 'linear';

/** act'(y) ⊙ dy for the activations in ACTIVATIONS. */
function actBack(name: string, y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu': return tf.mul(dy, tf.step(y));
    case 'sigmoid': return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(y)));
    default: return dy;
  }
}

/** Wᵀ of a Dense kernel, transposed again only when the kernel's data changes (setWeights, training). */
function transposedKernel(kernel: { read(): tf.Tensor }, owned: Set<tf.Tensor>) {
  let source: object | null = null;
  let wt: tf.Tensor | null = null;
  return (): tf.Tensor => {
    const w = kernel.read();
    if (wt === null || source !== w.dataId || wt.isDisposed) {
      if (wt) { owned.delete(wt); wt.dispose(); }
      wt = tf.keep(tf.tidy(() => tf.transpose(w)));
      owned.add(wt);
      source = w.dataId;
    }
    return wt;
  };
}

function stepOf(t: SymTensor, linear: boolean, owned: Set<tf.Tensor>, cache: boolean): StepFn | null {
  const l = t.sourceLayer as unknown as LayerLike;
  const inRank = t.inputs[0]?.shape.length;
  const apply = (x: tf.Tensor) => l.apply(x, { training: false }) as tf.Tensor;
  switch (l.getClassName()) {
    case 'Dense': {
      const act = linear ? 'linear' : actName(l);
      if (inRank !== 2 || !ACTIVATIONS.has(act) || !l.kernel) return null;
      const kernel = l.kernel;
      const wt = cache ? transposedKernel(kernel, owned) : null;
      wt?.(); // created with the plan, not inside the first explanation
      // without the cache: dx = (W dᵀ)ᵀ, which tfjs-wasm runs ~1.6x faster than d Wᵀ (a transposed operand)
      const back = (d: tf.Tensor) => wt ? tf.matMul(d, wt()) : tf.transpose(tf.matMul(kernel.read(), tf.transpose(d)));
      return (x) => {
        const y = linear ? withLinear(l, () => apply(x)) : apply(x);
        return { y, back: (dy) => back(actBack(act, y, dy)) };
      };
    }
    case 'Activation': case 'ReLU': {
      const act = l.getClassName() === 'ReLU' ? (l.maxValue == null ? 'relu' : '') : actName(l);
      if (!ACTIVATIONS.has(act)) return null;
      return (x) => { const y = apply(x); return { y, back: (dy) => actBack(act, y, dy) }; };
    }
    case 'Flatten': case 'Reshape':
      if (l.dataFormat === 'channelsFirst') return null; // that Flatten transposes first
      return (x) => ({ y: apply(x), back: (dy) => tf.reshape(dy, x.shape) });
    case 'GlobalAveragePooling2D': {
      if (l.dataFormat !== 'channelsLast' || inRank !== 4) return null;
      return (x) => {
        const [n, h, w, k] = x.shape as [number, number, number, number];
        return { y: apply(x), back: (dy) => tf.broadcastTo(tf.reshape(tf.div(dy, h * w), [n, 1, 1, k]), x.shape) };
      };
    }
    case 'BatchNormalization': {
      if (!l.movingVariance || inRank == null || (l.axis ?? -1) !== -1 && l.axis !== inRank - 1) return null;
      return (x) => {
        // y = (x - mean) γ / √(var + ε) + β, so dy/dx = γ / √(var + ε) per channel (γ = 1 for scale: false)
        const inv = tf.rsqrt(tf.add(l.movingVariance!.read(), l.epsilon ?? 1e-3));
        const factor = l.scale && l.gamma ? tf.mul(inv, l.gamma.read()) : inv;
        let y: tf.Tensor;
        if (l.scale) y = apply(x);
        else {
          y = tf.mul(tf.sub(x, l.movingMean!.read()), factor);
          if (l.center && l.beta) y = tf.add(y, l.beta.read());
        }
        return { y, saved: [factor], back: (dy) => tf.mul(dy, factor) };
      };
    }
    default:
      return IDENTITY.has(l.getClassName()) ? (x) => ({ y: x, back: (dy) => dy }) : null;
  }
}

/** Runs `f` with the layer's activation linear (the fused softmax/sigmoid of the output layer: the logits). */
function withLinear<T>(l: LayerLike, f: () => T): T {
  const saved = l.activation;
  (l as { activation?: unknown }).activation = LINEAR;
  try { return f(); } finally { (l as { activation?: unknown }).activation = saved; }
}
const LINEAR = (tf.layers.activation({ activation: 'linear' }) as unknown as { activation: unknown }).activation;

/**
 * The hand-written head gradient of `plan`, or null when its head is not a chain of known layers. `cache`: keep
 * each Dense kernel transposed (a second copy of the head's kernels, made here: VGG16's FC head +470 MB) for the
 * fastest backward; without it the backward multiplies by W itself.
 */
export function makeHeadGrad(plan: Plan, cache = true): HeadGrad | null {
  const chain = plan.chain;
  if (!chain || chain.tensors.length === 0) return null;
  const owned = new Set<tf.Tensor>();
  const steps: StepFn[] = [];
  for (const t of chain.tensors) {
    const s = stepOf(t, t.sourceLayer === chain.linear, owned, cache);
    if (!s) { owned.forEach((w) => w.dispose()); return null; }
    steps.push(s);
  }
  return {
    forward(a) {
      const saved: Step[] = [];
      const kept = new Set<tf.Tensor>();
      const logits = tf.tidy(() => {
        let x: tf.Tensor = a;
        for (const f of steps) { const s = f(x); saved.push(s); x = s.y; }
        // keep what the backward passes read (every step's output and saved tensors; the input `a` is the caller's)
        for (const s of saved) for (const t of [s.y, ...(s.saved ?? [])]) if (t !== a) kept.add(tf.keep(t));
        return x as tf.Tensor2D;
      });
      return {
        logits,
        backward: (dLogits) => tf.tidy(() => {
          let d: tf.Tensor = dLogits;
          for (let i = saved.length - 1; i >= 0; i--) d = saved[i].back(d);
          return d as tf.Tensor4D;
        }),
        dispose: () => { tf.dispose([...kept]); kept.clear(); },
      };
    },
    dispose: () => { owned.forEach((w) => w.dispose()); owned.clear(); },
  };
}
