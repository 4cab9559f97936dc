/**
 * Model registry: the five Keras-application architectures built in tfjs-layers with Keras's
 * layer names, so a converted Keras model and ours share names (and target layers), and the clip
 * model (ConvLSTM, convlstm.ts). BACKBONES is the image part of the one registry, MODELS.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackboneOptions } from './common.js';
import { buildEfficientNetB0 } from './efficientnet.js';
import { buildMobileNetV2 } from './mobilenet_v2.js';
import { buildResNet101, buildResNet50 } from './resnet.js';
import { buildVGG16 } from './vgg16.js';
import { buildConvLstm, CONVLSTM_TARGET, CONVLSTM_STEMS, CONVLSTM_POOLS, type ConvLstmOptions, type ConvLstmStem, type ConvLstmPool } from './convlstm.js';

export type { BackboneOptions, HeadKind } from './common.js';
export { makeDivisible, scaleChannels } from './common.js';
export { Normalization, normalization, type NormalizationArgs } from './normalization.js';
export { buildEfficientNetB0, buildMobileNetV2, buildResNet101, buildResNet50, buildVGG16, buildConvLstm, CONVLSTM_TARGET, CONVLSTM_STEMS, CONVLSTM_POOLS, type ConvLstmOptions, type ConvLstmStem, type ConvLstmPool };

export type BackboneName = 'vgg16' | 'resnet50' | 'resnet101' | 'efficientnetb0' | 'mobilenetv2';
/** Models of clips [T, H, W, C]. */
export type ClipModelName = 'convlstm';
export type ModelName = BackboneName | ClipModelName;

export interface BackboneSpec {
  name: BackboneName;
  /** An image model: input [H, W, C]. */
  input: 'image';
  /** Keras's name for it. */
  kerasName: string;
  build: (options?: BackboneOptions) => tf.LayersModel;
  /** The last conv block output: the default Grad-CAM / CAM target layer. */
  targetLayer: string;
  /** model.countParams() of Keras's model with its original head, 224x224x3, 1000 classes. */
  kerasParams: number;
}

export interface ClipModelSpec {
  name: ClipModelName;
  /** A clip model: input [T, H, W, C]. */
  input: 'clip';
  /** The architecture's name (on model cards). */
  kerasName: string;
  build: (options?: ConvLstmOptions) => tf.LayersModel;
  /** The default target of explanations over time: a layer with output [T, h, w, K]. */
  targetLayer: string;
}

export type ModelSpec = BackboneSpec | ClipModelSpec;

/** The one registry of model builders: image backbones and clip models. */
export const MODELS: Readonly<{ [N in BackboneName]: BackboneSpec } & { [N in ClipModelName]: ClipModelSpec }> = Object.freeze({
  vgg16: { name: 'vgg16', input: 'image', kerasName: 'VGG16', build: buildVGG16, targetLayer: 'block5_conv3', kerasParams: 138_357_544 },
  resnet50: { name: 'resnet50', input: 'image', kerasName: 'ResNet50', build: buildResNet50, targetLayer: 'conv5_block3_out', kerasParams: 25_636_712 },
  resnet101: { name: 'resnet101', input: 'image', kerasName: 'ResNet101', build: buildResNet101, targetLayer: 'conv5_block3_out', kerasParams: 44_707_176 },
  efficientnetb0: { name: 'efficientnetb0', input: 'image', kerasName: 'EfficientNetB0', build: buildEfficientNetB0, targetLayer: 'top_activation', kerasParams: 5_330_571 },
  mobilenetv2: { name: 'mobilenetv2', input: 'image', kerasName: 'MobileNetV2', build: buildMobileNetV2, targetLayer: 'out_relu', kerasParams: 3_538_984 },
  convlstm: { name: 'convlstm', input: 'clip', kerasName: 'ConvLSTM', build: buildConvLstm, targetLayer: CONVLSTM_TARGET },
});

export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/** The image backbones of MODELS (the models of the source report). */
export const BACKBONES: Readonly<Record<BackboneName, BackboneSpec>> = Object.freeze(Object.fromEntries(
  Object.entries(MODELS).filter(([, s]) => s.input === 'image')) as Record<BackboneName, BackboneSpec>);

export const BACKBONE_NAMES = Object.keys(BACKBONES) as BackboneName[];

/** Builds a registered backbone by name ('vgg16', 'resnet50', 'resnet101', 'efficientnetb0', 'mobilenetv2'). */
export function buildBackbone(name: BackboneName, options: BackboneOptions = {}): tf.LayersModel {
  const spec = (BACKBONES as Record<string, BackboneSpec | undefined>)[name];
  if (!spec) throw new Error(`Unknown backbone '${String(name)}'; one of ${BACKBONE_NAMES.join(', ')}`);
  return spec.build(options);
}
