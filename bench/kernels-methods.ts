// The kernels of the methods past the paper, for the kernels bench (bench/kernels.bench.ts): one runner per
// kernel over resident regions, AS ('wasm') vs its TS twin ('js'), on the bench's layer shapes.
// - scorecamMasks: channelPlanes + normalizePlanes of the K channel maps at the layer's size (the upsampling of
//   the masks is resizeBilinear, timed in the main table).
// - fuseMaps: three 224x224 layer maps.
// - smoothgradcamppAccumulate: one noisy copy's gradient into the running sums.
import { eigencamScratchLength, type Kernels } from '../src/kernels/index.js';

export const METHOD_KERNELS = ['xgradcamWeights', 'hirescamMap', 'gradcamElementwiseMap', 'layercamMap', 'eigencamMap',
  'smoothgradcamppAccumulate', 'smoothgradcamppWeights', 'scorecamMasks', 'fuseMaps'] as const;
export type MethodKernel = (typeof METHOD_KERNELS)[number];

export interface MethodShape { h: number; w: number; k: number }

/** Closures running each kernel once, and the output each one writes (for the wasm-vs-js agreement). */
export function methodRunners(k: Kernels, s: MethodShape, a: Float32Array, g: Float32Array, out: [number, number]):
  { run: Record<MethodKernel, () => void>; output: Record<MethodKernel, () => Float32Array> } {
  const Z = s.h * s.w, K = s.k, n = out[0] * out[1];
  const r = k.reserve({
    a: Z * K, g: Z * K, d1: Z * K, d2: Z * K, d3: Z * K, planes: Z * K, scratch: Math.max(K, eigencamScratchLength(Z, K)),
    w: K, map: Z, maps: 3 * n, fused: n,
  });
  const f = r.f32;
  f.a.set(a);
  f.g.set(g);
  f.d1.fill(0); f.d2.fill(0); f.d3.fill(0); f.planes.fill(0);   // region contents are unspecified: start the sums at 0
  // Sums of two copies (g and 0.5 g), so the weights see realistic D1, D2, D3.
  for (const c of [1, 0.5]) for (let i = 0; i < Z * K; i++) { const v = c * g[i]; f.d1[i] += v; f.d2[i] += v * v; f.d3[i] += v * v * v; }
  for (let i = 0; i < 3 * n; i++) f.maps[i] = ((i * 2654435761) % 1000) / 1000;
  const run: Record<MethodKernel, () => void> = {
    xgradcamWeights: () => k.xgradcamWeights(f.a, f.g, Z, K, f.scratch, f.w),
    hirescamMap: () => k.hirescamMap(f.a, f.g, Z, K, f.map),
    gradcamElementwiseMap: () => k.gradcamElementwiseMap(f.a, f.g, Z, K, f.map),
    layercamMap: () => k.layercamMap(f.a, f.g, Z, K, f.map),
    eigencamMap: () => k.eigencamMap(f.a, Z, K, f.scratch, f.map),
    // Into the planes region (its values are irrelevant here), so the sums used by the weights stay put.
    smoothgradcamppAccumulate: () => k.smoothgradcamppAccumulate(f.g, Z * K, f.planes, f.planes, f.planes),
    smoothgradcamppWeights: () => k.smoothgradcamppWeights(f.a, f.d1, f.d2, f.d3, Z, K, 2, f.scratch, f.w),
    scorecamMasks: () => { k.channelPlanes(f.a, Z, K, f.planes); k.normalizePlanes(f.planes, Z, K); },
    fuseMaps: () => k.fuseMaps(f.maps, n, 3, f.fused),
  };
  const output: Record<MethodKernel, () => Float32Array> = {
    xgradcamWeights: () => f.w, hirescamMap: () => f.map, gradcamElementwiseMap: () => f.map, layercamMap: () => f.map,
    eigencamMap: () => f.map, smoothgradcamppAccumulate: () => f.planes, smoothgradcamppWeights: () => f.w,
    scorecamMasks: () => f.planes, fuseMaps: () => f.fused,
  };
  return { run, output };
}

/** max |x - y| / max |y|. */
export function relDiff(x: Float32Array, y: Float32Array): number {
  let scale = 0, d = 0;
  for (let i = 0; i < y.length; i++) { scale = Math.max(scale, Math.abs(y[i])); d = Math.max(d, Math.abs(x[i] - y[i])); }
  return scale > 0 ? d / scale : d;
}
