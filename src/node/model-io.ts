/**
 * Node-only: save and load tfjs layers models as files (model.json + one weights .bin), with no
 * tfjs-node and no network (tf.io.withSaveHandler / tf.io.fromMemory).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import '../models/index.js'; // registers the custom layers (Normalization) before any model loads

export async function saveModel(model: tf.LayersModel, dir: string, weightsName = 'weights.bin'): Promise<{ modelJson: string; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData instanceof ArrayBuffer ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(await new Blob(artifacts.weightData as ArrayBuffer[]).arrayBuffer());
    bytes = data.byteLength;
    writeFileSync(path.join(dir, weightsName), data);
    const json = {
      format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs }],
    };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes } };
  }));
  return { modelJson: path.join(dir, 'model.json'), bytes };
}

/** Loads a tfjs layers model from a model.json path (or the folder holding it) and its weight files. */
export async function loadModel(modelPath: string): Promise<tf.LayersModel> {
  const file = existsSync(modelPath) && statSync(modelPath).isDirectory() ? path.join(modelPath, 'model.json') : modelPath;
  if (!existsSync(file)) throw new InvalidInputError(`No model file at ${file}.`);
  let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError(`${file} is not a tfjs model: not JSON (${(e as Error).message}).`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new InvalidInputError(`${file} is not a tfjs layers model (no modelTopology / weightsManifest). ` +
      'Graph models from tfjs-converter cannot be explained layer by layer; convert with --output_format=tfjs_layers_model.');
  }
  if (json.format === 'graph-model') {
    throw new InvalidInputError(`${file} is a tfjs graph model; explanations need a layers model (tfjs_layers_model).`);
  }
  const dir = path.dirname(file);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const wf = path.join(dir, p);
      if (!existsSync(wf)) throw new InvalidInputError(`The weights file ${wf} named in ${file} is missing.`);
      chunks.push(readFileSync(wf));
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) { weightData.set(c, off); off += c.byteLength; }
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer }));
}
