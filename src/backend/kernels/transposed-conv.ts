/**
 * Input gradients of convolutions (transposed convolutions) as a few ordinary stride-1 XNNPACK convs,
 * one per output phase. Used by DepthwiseConv2dNativeBackpropInput and the training-only
 * Conv2DBackpropInput.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { ExplicitPad, Geometry, Pair } from './conv-geometry.js';
import type { Ops } from './ops.js';

// ---------------------------------------------------------------------------------------------
// Input gradients (transposed convolutions), split by output phase.
//
// dx[i] = sum_{fh : (i + padTop - fh*d) = oh*s, 0 <= oh < OH} dy[oh] * w[fh]      (per axis)
//
// Output rows i = q*s + r of one phase r are reached only by the taps fh with
// fh*d = r + padTop (mod s): an arithmetic progression fh0, fh0 + st, ... (st = s/gcd(s,d)), whose
// dy rows are q + c0 - k*(d/gcd). So each phase is an ordinary stride-1 correlation of dy with the
// reversed sub-filter of those taps (dilation d/gcd, pads from c0), i.e. one XNNPACK conv, and the
// s*s phase outputs are interleaved into dx by copies on the heap. Unlike spreading dy with zeros
// (s*s times the work), no zeros are multiplied; for stride 1 this is the single conv of dy with the
// rotated filter.
// ---------------------------------------------------------------------------------------------
interface AxisPhase {
  count: number;        // output rows of this phase: ceil((in - r) / s)
  taps: number;         // K (0: the phase gets no contribution)
  begin: number;        // first row of the sub-filter in the reversed filter
  step: number;         // tap step in the filter
  dilation: number;     // tap step in dy
  padBefore: number;    // may be negative (crop dy)
  padAfter: number;
}

function axisPhases(inSize: number, outSize: number, f: number, s: number, d: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const count = Math.max(0, Math.ceil((inSize - r) / s));
    const taps: number[] = [];
    for (let fh = 0; fh < f; fh++) if ((((fh * d - r - pad) % s) + s) % s === 0) taps.push(fh);
    if (taps.length === 0 || count === 0) {
      phases.push({ count, taps: 0, begin: 0, step: 1, dilation: 1, padBefore: 0, padAfter: 0 });
      continue;
    }
    const k = taps.length, first = taps[0];
    const step = k > 1 ? taps[1] - taps[0] : 1;
    const dilation = k > 1 ? (step * d) / s : 1;
    const c0 = (r + pad - first * d) / s;
    const padBefore = (k - 1) * dilation - c0;
    const padAfter = count - outSize - padBefore + (k - 1) * dilation;
    phases.push({ count, taps: k, begin: f - 1 - first - (k - 1) * step, step, dilation, padBefore, padAfter });
  }
  return phases;
}

/**
 * dx of a conv whose geometry is g, from dy [B, OH, OW, *] and the filter reversed along its two
 * spatial axes (wRev, [FH, FW, *, *]). `conv` runs a stride-1 conv of a (cropped) dy with a
 * sub-filter and returns [B, rows, cols, outC].
 */
export function transposedConv(
  ops: Ops, dy: TensorInfo, g: Geometry, wRev: TensorInfo, outC: number,
  conv: (x: TensorInfo, filter: TensorInfo, pad: ExplicitPad, dilations: Pair) => TensorInfo,
  kernelSize?: (kh: number, kw: number) => Pair,
): TensorInfo {
  const ph = axisPhases(g.inH, g.outH, g.fh, g.sh, g.dh, g.padTop);
  const pw = axisPhases(g.inW, g.outW, g.fw, g.sw, g.dw, g.padLeft);
  const b = g.batch;
  // One phase: [B, count_h, count_w, outC], or null when no tap reaches it (its rows are zero).
  const phase = (a: AxisPhase, c: AxisPhase): TensorInfo | null => {
    if (a.taps === 0 || c.taps === 0 || a.count === 0 || c.count === 0) return null;
    // A kernel grown with zero taps at its end (kernelSize) reads that much further into dy.
    const [kh, kw] = kernelSize ? kernelSize(a.taps, c.taps) : [a.taps, c.taps];
    const padAfterH = a.padAfter + (kh - a.taps) * a.dilation, padAfterW = c.padAfter + (kw - c.taps) * c.dilation;
    const rows = g.outH + Math.min(0, a.padBefore) + Math.min(0, padAfterH);
    const cols = g.outW + Math.min(0, c.padBefore) + Math.min(0, padAfterW);
    if (rows <= 0 || cols <= 0) return null;
    const x = ops.crop4d(dy, [0, Math.max(0, -a.padBefore), Math.max(0, -c.padBefore), 0], [b, rows, cols, dy.shape[3]]);
    const [, , ci, co] = wRev.shape;
    let sub = ops.crop4d(wRev, [a.begin, c.begin, 0, 0], [a.taps, c.taps, ci, co], [a.step, c.step, 1]);
    if (kh !== a.taps || kw !== c.taps) {
      const grown = ops.zeros([kh, kw, ci, co]);
      const src = ops.view(sub), dst = ops.view(grown);
      for (let i = 0; i < a.taps; i++) dst.set(src.subarray(i * c.taps * ci * co, (i + 1) * c.taps * ci * co), i * kw * ci * co);
      if (sub !== wRev) ops.free(sub);
      sub = grown;
    }
    const out = conv(x, sub, [[0, 0], [Math.max(0, a.padBefore), Math.max(0, padAfterH)],
      [Math.max(0, c.padBefore), Math.max(0, padAfterW)], [0, 0]], [a.dilation, c.dilation]);
    if (x !== dy) ops.free(x);
    if (sub !== wRev) ops.free(sub);
    return out;
  };
  if (g.sh === 1 && g.sw === 1) return phase(ph[0], pw[0]) ?? ops.zeros([b, g.inH, g.inW, outC]);

  // Interleave the phases: row q of phase (rh, rw) is row q*sh + rh of dx (columns likewise).
  const parts = ph.map((a) => pw.map((c) => phase(a, c)));
  const dx = parts.some((r) => r.some((p) => p === null)) ? ops.zeros([b, g.inH, g.inW, outC])
    : ops.output([b, g.inH, g.inW, outC]);
  const dst = ops.view(dx);
  for (let rh = 0; rh < g.sh; rh++) {
    for (let rw = 0; rw < g.sw; rw++) {
      const p = parts[rh][rw];
      if (!p) continue;
      const src = ops.view(p);
      const [, nh, nw] = p.shape;
      let o = 0;
      for (let i = 0; i < b; i++) {
        for (let q = 0; q < nh; q++) {
          let d = ((i * g.inH + q * g.sh + rh) * g.inW + rw) * outC;
          if (outC >= 16) {
            for (let k = 0; k < nw; k++, o += outC, d += g.sw * outC) dst.set(src.subarray(o, o + outC), d);
          } else {  // a few channels: element copies beat subarray().set() calls
            for (let k = 0; k < nw; k++, d += (g.sw - 1) * outC) for (let j = 0; j < outC; j++) dst[d++] = src[o++];
          }
        }
      }
    }
  }
  for (const r of parts) for (const p of r) if (p) ops.free(p);
  return dx;
}

