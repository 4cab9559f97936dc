// One table of kernel cases (the pipeline's kernels, the kernel table and the memory policy), run against both
// implementations of src/kernels/contract.ts: the AssemblyScript SIMD kernels ('wasm') and their
// plain-TypeScript twins ('js'); the runner and its conventions: test/helpers/kernel-cases.ts. Oracles here:
// hand-computed values, tf.image.resizeBilinear(x, [H, W], false, true) on the tfjs wasm backend, and the 'js'
// twin for random inputs. The kernels of the methods past the paper: test/kernels-methods.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useWasmBackend } from '../src/backend/index.js';
import { createKernels, getKernels, KERNEL_NAMES, KERNEL_TABLE, type Kernels } from '../src/kernels/index.js';
import { gradcamppAlphaOf, twins } from '../src/kernels/js/index.js';
import { PARSED } from '../src/kernels/table.js';
import { KERNEL_MEMORY_KEEP_BYTES } from '../src/constants.js';
import { InvalidInputError } from '../src/errors.js';
import { bytes, close, f32, fill, runCases, uniform, zeros, type Arr, type Case } from './helpers/kernel-cases.js';

async function tfResize(src: Arr, h: number, w: number, H: number, W: number): Promise<number[]> {
  await useWasmBackend();
  return tf.tidy(() => Array.from(
    tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(src), [1, h, w, 1]), [H, W], false, true).dataSync()));
}

/** FNV-1a over bytes. */
function fnv1a(values: Iterable<number>): number {
  let h = 0x811c9dc5;
  for (const v of values) { h ^= v; h = Math.imul(h, 0x01000193) >>> 0; }
  return h;
}

// OpenCV 4.6.0 cv2.applyColorMap(np.arange(256, dtype=np.uint8), cv2.COLORMAP_JET), as RGB (OpenCV gives BGR).
const CV_JET: Record<number, [number, number, number]> = {
  0: [0, 0, 128], 1: [0, 0, 132], 2: [0, 0, 136], 31: [0, 0, 252], 32: [0, 0, 255], 33: [0, 4, 255],
  95: [0, 252, 255], 96: [2, 255, 254], 127: [126, 255, 130], 128: [130, 255, 126], 159: [254, 255, 1],
  160: [255, 252, 0], 223: [255, 0, 0], 224: [252, 0, 0], 254: [132, 0, 0], 255: [128, 0, 0],
};
/** FNV-1a of the 768 RGB bytes of that whole table (entries 0..255, R, G, B each). */
const CV_JET_FNV1A = 0xa872a6cc;
const rgba = (i: number) => [...CV_JET[i], 255];

// ------------------------------------------------------------------------------------------------ cases
const cases: Case[] = [];

// --- camWeights
cases.push({
  name: 'camWeights: column c of a K x numClasses kernel (K=5, 3 classes)',
  f32: { kernel: Array.from({ length: 15 }, (_, i) => i + 1), out: 5 },
  run: (k, r) => k.camWeights(r.f32.kernel, 5, 3, 2, r.f32.out),
  expect: { out: [3, 6, 9, 12, 15] }, tol: 0,
});

// --- gradcamWeights
cases.push({
  name: 'gradcamWeights: spatial mean per channel (Z=2, K=5: SIMD block + tail)',
  f32: { g: [1, 2, 3, 4, 5, 3, 4, 5, 6, 7], out: 5 },
  run: (k, r) => k.gradcamWeights(r.f32.g, 2, 5, r.f32.out),
  expect: { out: [2, 3, 4, 5, 6] }, tol: 0,
});
cases.push({
  name: 'gradcamWeights: K=7, Z=3, g[p,k] = p - k  -> mean 1 - k',
  f32: { g: Array.from({ length: 21 }, (_, i) => Math.floor(i / 7) - (i % 7)), out: 7 },
  run: (k, r) => k.gradcamWeights(r.f32.g, 3, 7, r.f32.out),
  expect: { out: [1, 0, -1, -2, -3, -4, -5] }, tol: 1e-6,
});

// --- Grad-CAM++ weights with g constant per channel: alpha = 1 / (2 + sumA * g) exactly.
// Z=4, K=5. a[p,k] = ak[k] at every p, so sumA[k] = 4 * ak[k]; g[p,k] = gk[k] at every p.
// (alpha itself is not part of the contract: gradcamppAlphaOf of the twin is tested below, the kernels through
// their weights, with positive g wherever a guard must act, so that ReLU(g) does not hide it.)
{
  const ak = [3, 1, -2, 0.5, 4], gk = [0.25, 0, 0.25, -0.5, 0.125];
  // sumA = [12, 4, -8, 2, 16]; 2 + sumA*g = [5, 2 (g == 0), 0 (denominator 0, g > 0), 1, 4]
  const a = Array.from({ length: 20 }, (_, i) => ak[i % 5]);
  const g = Array.from({ length: 20 }, (_, i) => gk[i % 5]);
  cases.push({
    name: 'gradcamppWeights: constant g per channel -> Z * alpha * max(g, 0); g == 0 and a zero denominator -> 0 (K=5)',
    f32: { a, g, scratch: 5, w: 5 },
    run: (k, r) => k.gradcamppWeights(r.f32.a, r.f32.g, 4, 5, r.f32.scratch, r.f32.w),
    // k0: 4 * (1/5) * 0.25; k1: g == 0; k2: alpha 0 (denominator 0; without the guard: Infinity); k3: g < 0;
    // k4: 4 * 0.25 * 0.125
    expect: { w: [0.2, 0, 0, 0, 0.125], scratch: [12, 4, -8, 2, 16] }, tol: 1e-7,
  });
}
{
  // K=7 (SIMD block of 4 + tail of 3), Z=2: different g per position; alpha = 1/(2 + sumA*g) per element, with
  // zero g and zero denominators (g > 0) in the SIMD block and in the tail.
  const a = [1, -2, 3, 4, 5, -6, 7, 1, 0, 1, 0, 1, 2, 1]; // sumA = [2, -2, 4, 4, 6, -4, 8]
  const g = [0.5, 1, 0, 0.25, 1, 0.5, 0.125, 0.25, 0.5, -0.5, 0, 0, 0.25, -0.25];
  const sumA = [2, -2, 4, 4, 6, -4, 8];
  const alpha = g.map((gv, i) => (gv === 0 || 2 + sumA[i % 7] * gv === 0) ? 0 : 1 / (2 + sumA[i % 7] * gv));
  // position 0: d = [3, 0 (-> 0), g=0, 3, 8, 0 (-> 0), 3]; position 1: d = [2.5, 1, 0 (g < 0), g=0, 2.5, 1, 0 (g < 0)]
  const w = [0, 1, 2, 3, 4, 5, 6].map((k) => [0, 1].reduce((s, p) => s + alpha[p * 7 + k] * Math.max(g[p * 7 + k], 0), 0));
  cases.push({
    name: 'gradcamppWeights: K=7 with zero g and zero denominators (g > 0) in the SIMD block and the tail',
    f32: { a, g, scratch: 7, w: 7 },
    run: (k, r) => k.gradcamppWeights(r.f32.a, r.f32.g, 2, 7, r.f32.scratch, r.f32.w),
    expect: { w, scratch: sumA }, tol: 1e-7,
  });
}
test('gradcamppAlphaOf (the twin\'s alpha): 1/(2 + sumA g); 0 where g == 0 or |2 + sumA g| < EPS', () => {
  assert.is(gradcamppAlphaOf(12, 0.25), 0.2);
  assert.is(gradcamppAlphaOf(12, 0), 0);
  assert.is(gradcamppAlphaOf(-8, 0.25), 0);
  assert.is(gradcamppAlphaOf(-8, 0.25 + 1e-9), 0); // |d| = 8e-9 < EPS
  assert.is(gradcamppAlphaOf(2, -0.5), 1);
});

// --- Zero gradients through the whole map pipeline: all-zero map, no NaN.
{
  const Z = 9, K = 7;
  cases.push({
    name: 'zero gradients: Grad-CAM and Grad-CAM++ weights, map, upsampled map are all 0 (no NaN)',
    f32: { a: uniform(Z * K, 0, 2, 1), g: zeros(Z * K), scratch: K, wpp: K, wg: K, map: Z, up: 64 },
    run: (k, r) => {
      const { a, g, scratch, wpp, wg, map, up } = r.f32;
      k.gradcamppWeights(a, g, Z, K, scratch, wpp);
      k.gradcamWeights(g, Z, K, wg);
      k.weightedSum(a, wpp, Z, K, map);
      k.reluNormalize(map, Z);
      k.resizeBilinear(map, 3, 3, up, 8, 8);
    },
    expect: { wpp: zeros(K), wg: zeros(K), map: zeros(Z), up: zeros(64) }, tol: 0,
  });
}

// --- weightedSum
cases.push({
  name: 'weightedSum: K=5 (SIMD block + tail)',
  f32: { a: [1, 2, 3, 4, 5, 0, 1, 0, 1, 0], w: [1, 1, 1, 1, 2], out: 2 },
  run: (k, r) => k.weightedSum(r.f32.a, r.f32.w, 2, 5, r.f32.out),
  expect: { out: [20, 2] }, tol: 0,
});
for (const K of [7, 19, 35]) {
  // a[p,k] = p + 1, w[k] = k + 1: out[p] = (p + 1) * K (K + 1) / 2. K=19, 35: 16-wide blocks, 4-wide, tail.
  cases.push({
    name: `weightedSum: K=${K}, out[p] = (p + 1) * sum(w)`,
    f32: { a: Array.from({ length: 3 * K }, (_, i) => Math.floor(i / K) + 1), w: Array.from({ length: K }, (_, k) => k + 1), out: 3 },
    run: (k, r) => k.weightedSum(r.f32.a, r.f32.w, 3, K, r.f32.out),
    expect: { out: [1, 2, 3].map((p) => p * K * (K + 1) / 2) }, tol: 0,
  });
}

// --- reluNormalize
const norm = (name: string, x: Arr, expected: Arr) => cases.push({
  name: `reluNormalize: ${name}`, f32: { x }, run: (k, r) => k.reluNormalize(r.f32.x, x.length), expect: { x: expected }, tol: 0,
});
norm('constant map (eps path) -> zeros, n=7', fill(7, 3), zeros(7));
norm('constant map -> zeros, n=8', fill(8, 0.25), zeros(8));
norm('all zeros -> zeros', zeros(6), zeros(6));
norm('negative map -> ReLU -> zeros', [-1, -2, -0.5, -3, -4], zeros(5));
norm('ReLU then min-max, min 0', [-1, 0, 2, 4, 1, 3, -5], [0, 0, 0.5, 1, 0.25, 0.75, 0]);
norm('min-max with min > 0', [2, 3, 4, 6, 10], [0, 0.125, 0.25, 0.5, 1]);
// The eps is relative (range <= EPS * max): a range of one float32 ulp at 1000 (6.1e-5) is a constant map...
norm('range 6.1e-5 at 1000 (< EPS * max) -> zeros', [1000, 1000 + 2 ** -14, 1000, 1000, 1000 + 2 ** -14], zeros(5));
// ... while a range of ~1e-6 at 1 (> EPS * max = 1e-7) is normalised.
norm('range 9.5e-7 at 1 (> EPS * max) -> normalised', [1, f32(1 + 2 ** -20), 1, 1, 1], [0, 1, 0, 0, 0]);
cases.push({
  name: 'reluNormalize: only the first n values are touched',
  f32: { x: [4, -1, 2, 9, 9] }, run: (k, r) => k.reluNormalize(r.f32.x, 3), expect: { x: [1, 0, 0.5, 9, 9] }, tol: 0,
});

// --- resizeBilinear: hand-computed
cases.push({
  name: 'resizeBilinear: 1x1 -> 5x7 is constant',
  f32: { src: [3.5], dst: 35 }, run: (k, r) => k.resizeBilinear(r.f32.src, 1, 1, r.f32.dst, 5, 7),
  expect: { dst: fill(35, 3.5) }, tol: 0,
});
cases.push({
  // Half-pixel centres, scale 1/2: source coordinates -0.25, 0.25, 0.75, 1.25 -> weights of the second
  // row/column 0, 0.25, 0.75, 1 (clamped at the borders). value = 8 * wy + 4 * wx.
  name: 'resizeBilinear: 2x2 -> 4x4 by hand',
  f32: { src: [0, 4, 8, 12], dst: 16 }, run: (k, r) => k.resizeBilinear(r.f32.src, 2, 2, r.f32.dst, 4, 4),
  expect: { dst: [0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12] }, tol: 0,
});
cases.push({
  // Scale 2: source coordinate 2i + 0.5 -> the mean of each 2x2 block.
  name: 'resizeBilinear: 4x4 -> 2x2 by hand (block means)',
  f32: { src: Array.from({ length: 16 }, (_, i) => i), dst: 4 },
  run: (k, r) => k.resizeBilinear(r.f32.src, 4, 4, r.f32.dst, 2, 2),
  expect: { dst: [2.5, 4.5, 10.5, 12.5] }, tol: 0,
});
// --- resizeBilinear against tf.image.resizeBilinear(x, size, false, true) on the tfjs wasm backend.
// Upsampling (H >= h) takes the separable path of the AS kernel, downsampling the gather path: both are here,
// with the edge cases H == h and H == h + 1.
for (const [h, w, H, W, seed] of [[7, 7, 224, 224, 11], [14, 14, 224, 224, 12], [3, 5, 17, 9, 13], [6, 4, 6, 9, 16],
  [5, 5, 6, 6, 17], [20, 30, 7, 11, 14], [9, 6, 4, 4, 15]]) {
  const src = uniform(h * w, -1, 3, seed);
  cases.push({
    name: `resizeBilinear ${h}x${w} -> ${H}x${W} equals tf.image.resizeBilinear(halfPixelCenters) (wasm backend)`,
    f32: { src, dst: H * W },
    run: (k, r) => k.resizeBilinear(r.f32.src, h, w, r.f32.dst, H, W),
    expect: async () => ({ dst: await tfResize(src, h, w, H, W) }), tol: 1e-5,
  });
}

// --- colormap (OpenCV COLORMAP_JET)
cases.push({
  name: 'colormap: jet(0), jet(1), jet(0.5) and samples equal OpenCV bytes; clamping; NaN -> jet(0)',
  f32: { heat: [0, 1, 0.5, -0.3, 1.7, NaN, 159 / 255, 96 / 255, 32 / 255] },
  u8: { out: 36 },
  run: (k, r) => k.colormap(r.f32.heat, 9, r.u8.out),
  // heat 0, 1, 0.5, clamped -0.3 -> 0 and 1.7 -> 1, NaN -> 0, then table entries 159, 96, 32
  expect: { out: [0, 255, 128, 0, 255, 0, 159, 96, 32].flatMap(rgba) }, tol: 0,
});
cases.push({
  name: 'colormap: the whole table equals OpenCV 4.6 COLORMAP_JET (FNV-1a of its 768 RGB bytes), alpha 255',
  custom: (k) => {
    const r = k.reserve({ heat: 256 }, { out: 1024 });
    r.f32.heat.set(Array.from({ length: 256 }, (_, i) => i / 255));
    k.colormap(r.f32.heat, 256, r.u8.out);
    const out = r.u8.out;
    const rgb = Array.from({ length: 768 }, (_, i) => out[4 * Math.floor(i / 3) + (i % 3)]);
    for (const i of Object.keys(CV_JET).map(Number)) assert.equal(Array.from(out.subarray(4 * i, 4 * i + 4)), rgba(i), `entry ${i}`);
    assert.ok(Array.from({ length: 256 }, (_, i) => out[4 * i + 3]).every((v) => v === 255), 'alpha 255');
    assert.is(fnv1a(rgb).toString(16), CV_JET_FNV1A.toString(16), 'FNV-1a of the RGB bytes');
  },
});

// --- overlay: round((1 - alpha) * img + alpha * jet), ties to even, alpha byte 255.
{
  const img = [100, 50, 200, 7, 100, 50, 200, 7, 1, 3, 5, 0, 255, 255, 255, 255, 1, 3, 5, 0];
  const heat = [0, 1, 1, 0.5, 1];
  cases.push({
    name: 'overlay alpha 0.5: by hand, ties to even in the SIMD block and the tail (n=5)',
    f32: { heat }, u8: { img, out: 20 },
    run: (k, r) => k.overlay(r.u8.img, r.f32.heat, 5, 0.5, r.u8.out),
    // jet(0) = (0,0,128), jet(1) = (128,0,0), jet(0.5) = (130,255,126)
    // (1,3,5) with (128,0,0): 64.5 -> 64, 1.5 -> 2, 2.5 -> 2; (255,255,255) with (130,255,126): 192.5 -> 192, 190.5 -> 190
    expect: { out: [50, 25, 164, 255, 114, 25, 100, 255, 64, 2, 2, 255, 192, 255, 190, 255, 64, 2, 2, 255] }, tol: 0,
  });
  cases.push({
    name: 'overlay alpha 0 -> the image (alpha byte 255), alpha 1 -> jet',
    f32: { heat }, u8: { img, out0: 20, out1: 20 },
    run: (k, r) => {
      k.overlay(r.u8.img, r.f32.heat, 5, 0, r.u8.out0);
      k.overlay(r.u8.img, r.f32.heat, 5, 1, r.u8.out1);
    },
    expect: {
      out0: img.map((v, i) => (i % 4 === 3 ? 255 : v)),
      out1: [0, 255, 255, 128, 255].flatMap((i) => rgba(i)),
    }, tol: 0,
  });
}

// --- explanationMap: out[p*C + c] = img[p*C + c] * heat[p]
for (const [C, n] of [[3, 5], [1, 6], [4, 5], [2, 3]]) {
  const img = Array.from({ length: n * C }, (_, i) => i + 1);
  const heat = Array.from({ length: n }, (_, p) => [0.5, 0.25, 1, 0, 2][p % 5]);
  cases.push({
    name: `explanationMap: C=${C}, n=${n}`,
    f32: { img, heat, out: n * C },
    run: (k, r) => k.explanationMap(r.f32.img, r.f32.heat, n, C, r.f32.out),
    expect: { out: img.map((v, i) => v * heat[Math.floor(i / C)]) }, tol: 0,
  });
}

// --- random inputs: wasm equals the js twin (1e-5 relative for floats, bit-exact for bytes and products).
for (const [Z, K] of [[49, 2048], [196, 512], [9, 7], [13, 5]]) {
  const s = Z * K;
  // Realistic magnitudes: post-ReLU activations, small logit gradients of both signs.
  const a = uniform(Z * K, 0, 1, s + 1), g = uniform(Z * K, -1e-3, 1e-3, s + 2), w = uniform(K, -1, 1, s + 3);
  cases.push({
    name: `random Z=${Z} K=${K}: gradcam, gradcam++ weights, weighted sum, relu-normalise match js`,
    f32: { a, g, w, wg: K, wpp: K, scratch: K, map: Z, map2: Z },
    run: (k, r) => {
      const { a, g, w, wg, wpp, scratch, map, map2 } = r.f32;
      k.gradcamWeights(g, Z, K, wg);
      k.gradcamppWeights(a, g, Z, K, scratch, wpp);
      k.weightedSum(a, w, Z, K, map);
      k.weightedSum(a, wpp, Z, K, map2);
      k.reluNormalize(map2, Z);
    },
    sameAsJs: ['wg', 'scratch', 'wpp', 'map', 'map2'], tol: 1e-5, only: 'wasm',
  });
}
{
  const K = 7, Z = 16; // larger gradients: alpha far from 1/2, some denominators near 0 excluded by a >= 0.
  const a = uniform(Z * K, 0, 2, 91), g = uniform(Z * K, -0.05, 0.05, 92);
  cases.push({
    name: 'random K=7 with larger gradients: gradcam++ weights match js',
    f32: { a, g, scratch: K, wpp: K },
    run: (k, r) => k.gradcamppWeights(r.f32.a, r.f32.g, Z, K, r.f32.scratch, r.f32.wpp),
    sameAsJs: ['wpp'], tol: 1e-5, only: 'wasm',
  });
}
for (const n of [7, 196, 50176]) {
  cases.push({
    name: `random reluNormalize n=${n} matches js`,
    f32: { x: uniform(n, -2, 5, n) }, run: (k, r) => k.reluNormalize(r.f32.x, n),
    sameAsJs: ['x'], tol: 1e-5, only: 'wasm',
  });
}
for (const [h, w, H, W] of [[7, 7, 224, 224], [5, 3, 9, 17], [31, 17, 6, 5], [8, 3, 9, 2]]) {
  cases.push({
    name: `random resizeBilinear ${h}x${w} -> ${H}x${W} matches js`,
    f32: { src: uniform(h * w, -1, 1, h * W), dst: H * W },
    run: (k, r) => k.resizeBilinear(r.f32.src, h, w, r.f32.dst, H, W),
    sameAsJs: ['dst'], tol: 1e-5, only: 'wasm',
  });
}
{
  const n = 1003;
  const heat = uniform(n, -0.1, 1.1, 7);
  const heatNaN = heat.slice();
  heatNaN[5] = NaN; heatNaN[6] = 0.5; heatNaN[1001] = NaN;
  cases.push({
    name: 'random colormap, overlay (alpha 0.37) and explanationMap (C=1,2,3,4) match js bit for bit (n=1003)',
    f32: { heat, heatNaN, img1: uniform(n, 0, 1, 8), img2: uniform(2 * n, 0, 1, 9), img3: uniform(3 * n, 0, 1, 10), img4: uniform(4 * n, 0, 255, 11), e1: n, e2: 2 * n, e3: 3 * n, e4: 4 * n },
    u8: { rgba: bytes(4 * n, 12), jet: 4 * n, over: 4 * n },
    run: (k, r) => {
      const { heat, heatNaN, img1, img2, img3, img4, e1, e2, e3, e4 } = r.f32;
      k.colormap(heatNaN, n, r.u8.jet);
      k.overlay(r.u8.rgba, heatNaN, n, 0.37, r.u8.over);
      k.explanationMap(img1, heat, n, 1, e1);
      k.explanationMap(img2, heat, n, 2, e2);
      k.explanationMap(img3, heat, n, 3, e3);
      k.explanationMap(img4, heat, n, 4, e4);
    },
    sameAsJs: ['jet', 'over', 'e1', 'e2', 'e3', 'e4'], tol: 0, only: 'wasm',
  });
}
cases.push({
  name: 'random camWeights K=2048, 10 classes matches js bit for bit',
  f32: { kernel: uniform(20480, -1, 1, 5), out: 2048 },
  run: (k, r) => k.camWeights(r.f32.kernel, 2048, 10, 7, r.f32.out),
  sameAsJs: ['out'], tol: 0, only: 'wasm',
});

// --- reserve(): growth, kept data, stale views, argument checks.
cases.push({
  name: 'reserve: after growing past the current memory, old data is re-reserved intact and kernels still work',
  custom: async (_shared, kind, path) => {
    const k = await createKernels(kind, kind === 'wasm' ? path : undefined); // its own regions
    const pattern = Float32Array.from({ length: 1000 }, (_, i) => (i % 10) - 4.5); // Z=100, K=10
    const r1 = k.reserve({ g: 1000, out: 10 });
    r1.f32.g.set(pattern);
    const before = r1.f32.g.buffer.byteLength;
    const big = 8 << 20; // 32 MiB of floats, far past the initial memory
    const r2 = k.reserve({ g: 1000, out: 10, big });
    assert.is(r2.f32.big.length, big);
    r2.f32.big[big - 1] = 7;
    assert.is(r2.f32.big[big - 1], 7);
    assert.equal(Array.from(r2.f32.g), Array.from(pattern), 'data kept across the growth');
    if (kind === 'wasm') {
      // (zero-copy: the regions are in tfjs-wasm's heap, which may already have room; test/zero-copy.test.ts grows it)
      if (path === 'one-copy') assert.ok(r2.f32.g.buffer.byteLength >= before + 4 * big, 'the memory grew');
      // Views from before the growth are detached (zero-copy: regions of an earlier reserve() refuse to be read).
      assert.throws(() => k.gradcamWeights(r1.f32.g, 100, 10, r2.f32.out), /not a view over this wasm kernels' current memory|earlier reserve\(\)/);
    }
    k.gradcamWeights(r2.f32.g, 100, 10, r2.f32.out);
    close(r2.f32.out, [-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5], 0, 'after growth');
    const r3 = k.reserve({ g: 1000, out: 10 }); // smaller again: same layout, same data
    assert.equal(Array.from(r3.f32.g), Array.from(pattern), 'data kept when re-reserved');
    k.resizeBilinear(r3.f32.g, 1, 2, r3.f32.out, 1, 4); // [-4.5, -3.5] -> 1x4
    close(r3.f32.out.subarray(0, 4), [-4.5, -4.25, -3.75, -3.5], 0, 'resize after re-reserve');
  },
});
cases.push({
  name: 'argument checks: too-short views, bad sizes and foreign views throw InvalidInputError',
  custom: (k, kind) => {
    const r = k.reserve({ g: 12, out: 3, short: 2, heat: 4 }, { img: 16, px: 16 });
    assert.throws(() => k.gradcamWeights(r.f32.g, 4, 3, r.f32.short), /out has 2 elements but needs at least 3/);
    assert.throws(() => k.gradcamWeights(r.f32.g, 5, 3, r.f32.out), /g has 12 elements but needs at least 15/);
    assert.throws(() => k.gradcamWeights(r.f32.g, 1.5, 3, r.f32.out), /Z must be an integer >= 1/);
    assert.throws(() => k.camWeights(r.f32.g, 3, 4, 4, r.f32.out), /class 4 is out of range 0..3/);
    assert.throws(() => k.overlay(r.u8.img, r.f32.heat, 4, 1.5, r.u8.px), /alpha must be in \[0, 1\]/);
    assert.throws(() => k.reserve({ x: -1 }), /integer >= 0/);
    assert.throws(() => k.colormap(r.f32.heat, 4, r.f32.g as unknown as Uint8Array), /out must be a Uint8Array/);
    assert.throws(() => k.reluNormalize(r.u8.img as unknown as Float32Array, 4), /x must be a Float32Array/);
    try { k.resizeBilinear(r.f32.g, 4, 4, r.f32.out, 1, 3); assert.unreachable('no throw'); } catch (e) {
      assert.instance(e, InvalidInputError);
    }
    if (kind === 'wasm') {
      const foreign = new Float32Array(12);
      assert.throws(() => k.gradcamWeights(foreign, 4, 3, r.f32.out), /g is not a view over this wasm kernels' current memory/);
    }
  },
});


// --- Memory: one huge reserve() does not keep its memory (KERNEL_MEMORY_KEEP_BYTES).
const HUGE = (KERNEL_MEMORY_KEEP_BYTES >> 2) + (16 << 20); // floats: 64 MiB over the limit
cases.push({
  name: 'memory: after a huge reserve(), a small reserve() returns to a small memory, keeping the leading regions',
  custom: async (_shared, kind, path) => {
    const k = await createKernels(kind, kind === 'wasm' ? path : undefined);
    const pattern = Float32Array.from({ length: 1000 }, (_, i) => (i % 10) - 4.5);
    k.reserve({ g: 1000, out: 10 }).f32.g.set(pattern);
    const baseline = k.memoryBytes;
    assert.ok(baseline < 1 << 20, `baseline ${baseline}`);
    const r2 = k.reserve({ g: 1000, out: 10, big: HUGE });
    r2.f32.big[HUGE - 1] = 7;
    assert.ok(k.memoryBytes >= 4 * HUGE, `grew to ${k.memoryBytes}`);
    const r3 = k.reserve({ g: 1000, out: 10 });
    assert.ok(k.memoryBytes <= baseline + (1 << 20), `back near the baseline: ${k.memoryBytes} vs ${baseline}`);
    assert.equal(Array.from(r3.f32.g), Array.from(pattern), 'leading regions kept across the move');
    if (kind === 'wasm') {
      assert.throws(() => k.gradcamWeights(r2.f32.g, 100, 10, r3.f32.out), /not a view over this wasm kernels' current memory|earlier reserve\(\)/);
    }
    k.gradcamWeights(r3.f32.g, 100, 10, r3.f32.out);
    close(r3.f32.out, [-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5], 0, 'kernels work after the move');
    // Again, with time for the spare instance to be made asynchronously, and release() instead of a reserve().
    k.reserve({ big: HUGE });
    await new Promise((resolve) => setTimeout(resolve, 50));
    k.release();
    assert.ok(k.memoryBytes <= baseline + (1 << 20), `release(): ${k.memoryBytes}`);
    const r4 = k.reserve({ x: 5 });
    r4.f32.x.set([1, 2, 3, 4, 5]);
    k.reluNormalize(r4.f32.x, 5);
    close(r4.f32.x, [0, 0.25, 0.5, 0.75, 1], 0, 'kernels work after release()');
    k.release(); // below the limit: a no-op for 'wasm', the views stay valid
    if (kind === 'wasm') k.reluNormalize(r4.f32.x, 5);
  },
});
test('memory: the process gives the pages of a huge call back (rss, child process with gc)', () => {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const script = `
    import { createKernels } from './src/kernels/index.js';
    import v8 from 'node:v8'; import vm from 'node:vm';
    v8.setFlagsFromString('--expose-gc'); const gc = vm.runInNewContext('gc');
    const rss = () => process.memoryUsage().rss;
    const k = await createKernels('wasm');
    k.reserve({ a: 1000 }); gc();
    const before = rss();
    k.reserve({ a: 1000, big: ${HUGE} }).f32.big.fill(1);
    const big = rss();
    k.reserve({ a: 1000 });
    for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
    console.log(JSON.stringify({ before, big, after: rss() }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(run.status, 0, run.stderr);
  const { before, big, after } = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.ok(big - before > 3 * HUGE, `the huge call was resident: ${before} -> ${big}`);
  assert.ok(after - before < 32 << 20, `rss back near its baseline: ${before} -> ${big} -> ${after}`);
});

// --- The table: one entry per kernel, matching the contract, the twins and the module's exports.
test('the kernel table lists every kernel of the contract, with the twins\' and the exports\' arities', async () => {
  const k = await getKernels('wasm');
  const fns = Object.keys(k).filter((n) => typeof (k as unknown as Record<string, unknown>)[n] === 'function' && !['reserve', 'release', 'input', 'inputView'].includes(n));
  assert.equal([...fns].sort(), [...KERNEL_NAMES].sort());
  assert.equal(Object.keys(twins).sort(), [...KERNEL_NAMES].sort());
  for (const name of KERNEL_NAMES) {
    assert.is(twins[name].length, PARSED[name].params.length, `${name}: twin arity vs table "${KERNEL_TABLE[name].params}"`);
  }
  assert.not.ok(KERNEL_NAMES.includes('gradcamppAlpha' as never), 'gradcamppAlpha is not part of the contract');
});

runCases(cases);
test.run();
