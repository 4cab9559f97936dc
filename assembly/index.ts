// The kernels module: pure exported functions over (byte offsets, sizes) into this module's memory, writing
// into caller-provided outputs, allocating nothing (runtime "stub", SIMD on; see asconfig.json).
// The host (src/kernels/wasm/) owns the memory above heapBase(): it lays its regions out from there and grows
// the memory when it needs more. One file per kernel group, with the same names as src/kernels/js/*.ts; the
// export list must match the table of src/kernels/table.ts (checked when the module is loaded).
export { camWeights, gradcamWeights, gradcamppWeights } from './weights';
export { xgradcamWeights } from './xgradcam';
export { hirescamMap, gradcamElementwiseMap, layercamMap } from './elementwise';
export { eigencamMap } from './eigencam';
export { smoothgradcamppAccumulate, smoothgradcamppWeights } from './smoothgradcampp';
export { channelPlanes, normalizePlanes } from './scorecam';
export { fuseMaps } from './fusion';
export { weightedSum, reluNormalize } from './combine';
export { resizeBilinear } from './resize';
export { resizeFrames, frameProfile } from './frames';
export { colormap, overlay, explanationMap } from './colormap';

/** First free byte of the memory (after the static data): where the host may start its regions. */
export function heapBase(): usize {
  return __heap_base;
}
