/**
 * Backbone registry: the five Keras-application architectures built in tfjs-layers with Keras's
 * layer names, so a converted Keras model and ours share names (and target layers).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackboneOptions } from './common.js';
import { buildEfficientNetB0 } from './efficientnet.js';
import { buildMobileNetV2 } from './mobilenet_v2.js';
import { buildResNet101, buildResNet50 } from './resnet.js';
import { buildVGG16 } from './vgg16.js';

export type { BackboneOptions, HeadKind } from './common.js';
export { makeDivisible, scaleChannels } from './common.js';
export { Normalization, normalization, type NormalizationArgs } from './normalization.js';
export { buildEfficientNetB0, buildMobileNetV2, buildResNet101, buildResNet50, buildVGG16 };

export type BackboneName = 'vgg16' | 'resnet50' | 'resnet101' | 'efficientnetb0' | 'mobilenetv2';

export interface BackboneSpec {
  name: BackboneName;
  /** Keras's name for it. */
  kerasName: string;
  build: (options?: BackboneOptions) => tf.LayersModel;
  /** The last conv block output: the default Grad-CAM / CAM target layer. */
  targetLayer: string;
  /** model.countParams() of Keras's model with its original head, 224x224x3, 1000 classes. */
  kerasParams: number;
}

export const BACKBONES: Readonly<Record<BackboneName, BackboneSpec>> = Object.freeze({
  vgg16: { name: 'vgg16', kerasName: 'VGG16', build: buildVGG16, targetLayer: 'block5_conv3', kerasParams: 138_357_544 },
  resnet50: { name: 'resnet50', kerasName: 'ResNet50', build: buildResNet50, targetLayer: 'conv5_block3_out', kerasParams: 25_636_712 },
  resnet101: { name: 'resnet101', kerasName: 'ResNet101', build: buildResNet101, targetLayer: 'conv5_block3_out', kerasParams: 44_707_176 },
  efficientnetb0: { name: 'efficientnetb0', kerasName: 'EfficientNetB0', build: buildEfficientNetB0, targetLayer: 'top_activation', kerasParams: 5_330_571 },
  mobilenetv2: { name: 'mobilenetv2', kerasName: 'MobileNetV2', build: buildMobileNetV2, targetLayer: 'out_relu', kerasParams: 3_538_984 },
});

export const BACKBONE_NAMES = Object.keys(BACKBONES) as BackboneName[];

/** Builds a registered backbone by name ('vgg16', 'resnet50', 'resnet101', 'efficientnetb0', 'mobilenetv2'). */
export function buildBackbone(name: BackboneName, options: BackboneOptions = {}): tf.LayersModel {
  const spec = (BACKBONES as Record<string, BackboneSpec | undefined>)[name];
  if (!spec) throw new Error(`Unknown backbone '${String(name)}'; one of ${BACKBONE_NAMES.join(', ')}`);
  return spec.build(options);
}
