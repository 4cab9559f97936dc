/**
 * Convolution geometry shared by the gradient kernels: tfjs' own padding rules, the input crop of a
 * "correlation" conv, and the dy shape check.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import type { Ops } from './ops.js';

export type Pair = [number, number];
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
export type PadAttr = 'valid' | 'same' | number | ExplicitPad;
export type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** Window geometry of a forward conv, from tfjs' own padding rules (conv_util.computeConv2DInfo). */
export interface Geometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number;
  fh: number; fw: number;
  sh: number; sw: number;
  dh: number; dw: number;
  padTop: number; padLeft: number;
}

export function geometry(
  xShape: number[], filterShape: number[], strides: number | number[], dilations: number | number[],
  pad: PadAttr, dimRoundingMode: RoundingMode, depthwise: boolean,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides as number, dilations as number, pad as 'same', dimRoundingMode, depthwise, 'channelsLast');
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth,
    fh: info.filterHeight, fw: info.filterWidth,
    sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
}

/**
 * Makes x the exact input of the "correlation" conv of a filter gradient: the last row it reads is
 * (outH-1)*sh + (fh-1)*dh - padTop; rows past it are cropped (they would only add output rows), and
 * rows missing below are left to the conv's bottom padding. Returns x (cropped) and the bottom/right
 * pads, or null when every tap reads padding (the gradient is zero).
 */
export function fitForCorrelation(ops: Ops, x: TensorInfo, g: Geometry):
  { x: TensorInfo; padBottom: number; padRight: number } | null {
  const lastRow = (g.outH - 1) * g.sh + (g.fh - 1) * g.dh - g.padTop;
  const lastCol = (g.outW - 1) * g.sw + (g.fw - 1) * g.dw - g.padLeft;
  if (lastRow < 0 || lastCol < 0 || g.outH <= 0 || g.outW <= 0) return null;
  const rows = Math.min(g.inH, lastRow + 1), cols = Math.min(g.inW, lastCol + 1);
  const xc = ops.crop4d(x, [0, 0, 0, 0], [g.batch, rows, cols, g.inC]);
  return { x: xc, padBottom: lastRow + 1 - rows, padRight: lastCol + 1 - cols };
}

export function checkDy(name: string, dy: TensorInfo, g: Geometry, outC: number): void {
  const want = [g.batch, g.outH, g.outW, outC];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`${name}: dy has shape [${dy.shape}], expected [${want}]`);
  }
}

