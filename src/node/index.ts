/**
 * gradcam-wasm/node: the Node-only helpers. Model files (save/load a tfjs layers model as model.json +
 * weights, the built-in models and their cards), image files (PNG/JPEG to and from RGBA bytes), and clips (a
 * folder of frames or an animated GIF in; an animated GIF or a still sheet of a sequence explanation out).
 *
 * @example
 * import { explainWasm, overlay } from 'gradcam-wasm';
 * import { loadModel, readImage, writeImage } from 'gradcam-wasm/node';
 * const model = await loadModel('model.json');
 * const image = readImage('cat.png');
 * const e = await explainWasm(model, image, { preprocess: (x) => x.div(255) });
 * writeImage('overlay.png', await overlay(image, e));
 */
export { saveModel, loadModel } from './model-io.js';
export { readImage, decodeImage, writeImage, encodePng, encodeJpeg, type RgbaImage } from './image-io.js';
export { builtinModels, resolveModel, loadBuiltinOrPath, MODELS_DIR, PACKAGE_ROOT, type BuiltinModel } from './zoo.js';
export {
  inputRangeOf, preprocessFor, parseInputRange, INPUT_RANGES, type InputRange, type ModelCardLike,
} from '../card.js';
export { sampleNames, samplePath, SAMPLES_DIR } from './samples.js';
export { readClip, readFrameFolder, decodeGif, type ClipFrames, type ReadClipOptions } from './clip-io.js';
export { clipSamples, clipSample, clipSampleNames, CLIP_SAMPLES_DIR, type ClipSample, type ClipBox } from './clip-samples.js';
export {
  writeSequenceFigure, sequenceFigure, sequencePanels, sequenceSheet, encodeGif,
  type SequenceMaps, type SequenceFigureOptions, type SequenceFigure,
} from './animation.js';
export { createExplainerPool, type ExplainerPool, type ExplainerPoolOptions, type PoolRequest } from './pool.js';
