// The kernels module: pure exported functions over (byte offsets, sizes) into this module's memory, writing
// into caller-provided outputs, allocating nothing (runtime "stub", SIMD on; see asconfig.json).
// The host (src/bindings/) owns the memory above heapBase(): it lays its regions out from there and grows
// the memory when it needs more. One file per kernel group, with the same names as src/reference/*.ts.
export { camWeights, gradcamWeights, gradcamppWeights, gradcamppAlpha } from './weights';
export { weightedSum, reluNormalize } from './combine';
export { resizeBilinear } from './resize';
export { colormap, overlay, explanationMap } from './colormap';

/** First free byte of the memory (after the static data): where the host may start its regions. */
export function heapBase(): usize {
  return __heap_base;
}
