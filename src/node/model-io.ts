/**
 * Node-only: save and load tfjs layers models as files (model.json + one weights .bin), with no
 * tfjs-node and no network (tf.io.withSaveHandler / tf.io.fromMemory).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import '../models/index.js'; // registers the custom layers (Normalization) before any model loads

/** float32 -> IEEE half-precision bits (round to nearest even; overflow -> inf). */
function toHalf(f: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f);
  const x = b.getUint32(0);
  const sign = (x >>> 16) & 0x8000, exp = (x >>> 23) & 0xff, mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - e);
    return sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
  }
  const h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && (h & 1)) ? h + 1 : h;
}

/**
 * Float32 weights stored as float16 (tfjs's own "quantization": {"dtype": "float16"}, which
 * tf.loadLayersModel decodes): half the bytes, relative error <= 2^-11.
 */
function toFloat16(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const out: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  let off = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = data.subarray(off, off + n * 4);
    off += n * 4;
    if (spec.dtype === 'float32' && !spec.quantization) {
      const f = new Float32Array(bytes.slice().buffer);
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = toHalf(f[i]);
      out.push(new Uint8Array(h.buffer));
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } as tf.io.WeightsManifestEntry['quantization'] });
    } else {
      out.push(bytes);
      outSpecs.push(spec);
    }
  }
  const total = out.reduce((a, b) => a + b.byteLength, 0);
  const merged = new Uint8Array(total);
  let o = 0;
  for (const b of out) { merged.set(b, o); o += b.byteLength; }
  return { specs: outSpecs, data: merged };
}

export async function saveModel(model: tf.LayersModel, dir: string, weightsName = 'weights.bin',
  options: { float16?: boolean } = {}): Promise<{ modelJson: string; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    let data: Uint8Array = artifacts.weightData instanceof ArrayBuffer ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(await new Blob(artifacts.weightData as ArrayBuffer[]).arrayBuffer());
    if (options.float16) {
      const h = toFloat16(artifacts.weightSpecs!, data);
      data = h.data;
      artifacts.weightSpecs = h.specs;
    }
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
