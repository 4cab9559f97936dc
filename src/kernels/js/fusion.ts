/** Multi-layer fusion: the plain-TypeScript twin of assembly/fusion.ts. */
import { reluNormalize } from './combine.js';

/** out = reluNormalize(mean of the `count` maps of n floats in maps) (pytorch-grad-cam's multi-layer convention). */
export function fuseMaps(maps: Float32Array, n: number, count: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < count; j++) s += maps[j * n + i];
    out[i] = s / count;
  }
  reluNormalize(out, n);
}
