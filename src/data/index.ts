export { Rng, hashSeed, mix32 } from '../rng.js';
export {
  loadMnist, poolRange, poolOf, trainCount, TRAIN_FRACTION, NUM_CLASSES, MNIST_SIDE, MNIST_PIXELS,
  type Box, type SourceDigit, type SourcePool, type MnistClass,
} from './mnist-source.js';
export {
  generateScenes, generateScene, scenesToTensors, sceneBatches,
  MARGIN, DEFAULT_SIZE, DEFAULT_NOISE, DEFAULT_CLUTTER, DEFAULT_MASK_THRESHOLD,
  type Split, type SceneOptions, type Scene, type SceneInstance, type ClutterFragment, type BatchOptions,
} from './digit-scenes.js';
export {
  generateClips, generateClip, clipsToTensors, clipBatches, visibilityOk, overlapShares, targetCells, CLIP_DEFAULTS,
  type ClipSplit, type ClipOptions, type Clip, type ClipInstance, type ClipBatchOptions,
} from './clips.js';
export { type Rgb } from './raster.js';
