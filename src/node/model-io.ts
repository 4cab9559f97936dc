/**
 * Node-only: save tfjs layers models as files (model.json + one weights .bin) and load layers or graph
 * models from files, with no tfjs-node and no network (tf.io.withSaveHandler / tf.io.fromMemory).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, ModelFileError, UnsupportedModelError } from '../errors.js';
import { attachLabels } from '../plan/labels.js';
import { isGraphModel, type ExplainableModel } from '../plan/plan.js';
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

interface ModelJson {
  format?: string;
  modelTopology?: { node?: unknown[] } & Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: object;
  userDefinedMetadata?: { [key: string]: {} };
  modelInitializer?: object;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2 };

/** Bytes a weights entry takes in the weight files (tfjs's layout: quantised dtype if any, else the dtype). */
function entryBytes(spec: tf.io.WeightsManifestEntry, file: string): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const b = BYTES[dtype];
  if (b == null || !Number.isInteger(n) || n < 0) {
    throw new ModelFileError(file, `${file}: the weight "${spec.name}" has dtype ${dtype} and shape [${spec.shape}], ` +
      'which this loader cannot size; re-export the model with numeric weights.');
  }
  return n * b;
}

/** A weights path of the manifest, resolved inside the model's folder (no absolute paths, no `..`, no symlink out). */
function confined(dir: string, p: unknown, file: string): string {
  if (typeof p !== 'string' || p === '') throw new ModelFileError(file, `${file}: a weightsManifest path is not a file name (${JSON.stringify(p)}).`);
  const wf = path.resolve(dir, p);
  const inside = (root: string, f: string) => { const r = path.relative(root, f); return r !== '' && !r.startsWith('..') && !path.isAbsolute(r); };
  if (path.isAbsolute(p) || !inside(dir, wf) || (existsSync(wf) && !inside(realpathSync(dir), realpathSync(wf)))) {
    throw new ModelFileError(file, `${file} names the weights file "${p}", outside the model's folder ${dir}; ` +
      'weights files must sit in the folder of model.json (paths such as "group1-shard1of1.bin").');
  }
  return wf;
}

/** Class names next to a model: labels.json (an array of names, or {"labels": [...]}) or card.json's classNames. */
function labelsNextTo(dir: string): string[] | undefined {
  for (const [name, field] of [['labels.json', 'labels'], ['card.json', 'classNames']] as const) {
    const f = path.join(dir, name);
    if (!existsSync(f)) continue;
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new ModelFileError(f, `${f} is not valid JSON (${(e as Error).message}); fix or delete it.`);
    }
    const list = Array.isArray(v) ? v : (v as Record<string, unknown> | null)?.[field];
    if (list == null && name === 'card.json') continue;
    if (!Array.isArray(list) || list.some((l) => typeof l !== 'string')) {
      throw new ModelFileError(f, `${f}: ${name === 'labels.json' ? 'expected an array of class names' : '"classNames" must be an array of strings'}; fix or delete it.`);
    }
    return list as string[];
  }
  return undefined;
}

/**
 * Loads a tfjs model from a model.json path (or the folder holding it) and its weight files: a layers model
 * (tf.LayersModel) or a graph model (tf.GraphModel, format "graph-model", from tfjs-converter), both of which
 * the explainers accept. Weight files must sit in the model's folder and hold exactly the bytes the manifest
 * describes (else ModelFileError). Class names in labels.json (or card.json's classNames) next to it are
 * attached to the model (labelsOf(model)), so results carry `label`.
 */
export async function loadModel(modelPath: string): Promise<ExplainableModel> {
  if (typeof modelPath !== 'string' || modelPath === '') throw new InvalidInputError(`loadModel needs a model.json path; got ${JSON.stringify(modelPath)}.`);
  const file = existsSync(modelPath) && statSync(modelPath).isDirectory() ? path.join(modelPath, 'model.json') : modelPath;
  if (!existsSync(file)) throw new InvalidInputError(`No model file at ${file}.`);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidInputError(`${file} is not a tfjs model: not JSON (${(e as Error).message}).`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new InvalidInputError(`${file} is not a tfjs layers model or graph model (no modelTopology / weightsManifest); ` +
      'convert it with tfjs-converter (tfjs_layers_model or tfjs_graph_model).');
  }
  const dir = path.dirname(path.resolve(file));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  for (const group of json.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelFileError(file, `${file}: every weightsManifest entry needs "paths" and "weights" arrays.`);
    }
    specs.push(...group.weights);
    for (const p of group.paths) {
      const wf = confined(dir, p, file);
      if (!existsSync(wf)) throw new InvalidInputError(`The weights file ${wf} named in ${file} is missing.`);
      files.push(wf);
    }
  }
  const expected = specs.reduce((n, s) => n + entryBytes(s, file), 0);
  const sizes = files.map((f) => statSync(f).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== expected) {
    throw new ModelFileError(file, `The weight files of ${file} hold ${total} bytes but its manifest describes ${expected} ` +
      `(${files.map((f, i) => `${path.basename(f)} ${sizes[i]}`).join(', ')}): the files do not belong to this model.json ` +
      'or are truncated; copy them again from the converter output.');
  }
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const f of files) { const c = readFileSync(f); weightData.set(c, off); off += c.byteLength; }
  const labels = labelsNextTo(dir);
  const graph = json.format === 'graph-model' || Array.isArray(json.modelTopology.node);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer, format: json.format,
    ...(json.signature ? { signature: json.signature } : {}),
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
    ...(json.modelInitializer ? { modelInitializer: json.modelInitializer } : {}),
  };
  const model = graph
    ? await tf.loadGraphModel(tf.io.fromMemory(artifacts))
    : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  if (labels) attachLabels(model, labels);
  return model;
}

/** loadModel for callers that need a tf.LayersModel (training, evaluation): a graph model is refused. */
export async function loadLayersModel(modelPath: string): Promise<tf.LayersModel> {
  const model = await loadModel(modelPath);
  if (isGraphModel(model)) {
    model.dispose();
    throw new UnsupportedModelError(`${modelPath} is a tfjs graph model; this needs a layers model (tfjs_layers_model), ` +
      'whose layers can be trained and counted. Graph models can be explained (createExplainer, explainWasm).');
  }
  return model;
}
