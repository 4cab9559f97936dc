/**
 * Localisation of a heatmap against ground truth. `map` is a heatmap in [0,1] at the image resolution
 * (width x height, row-major); `region` and `mask` are 0/1 arrays of the same size (regions.ts builds
 * the union of the ground-truth boxes with boxesMask). Thresholding keeps L > delta (regions.ts).
 */
import { InvalidInputError } from '../errors.js';
import { area, checkFinite, checkSame } from './regions.js';


function checkRegion(map: ArrayLike<number>, region: ArrayLike<number>, what: string): void {
  checkSame(map, region, what);
  checkFinite(map, `${what}: map`);
  if (area(region) === 0) throw new InvalidInputError(`${what}: the ground-truth region is empty.`);
}

/**
 * The paper's localisation metric (Chattopadhyay et al., "Grad-CAM++", WACV 2018, Table 3):
 *
 *   Loc(delta) = sum_{p in B} L_delta(p) / ( |B| + sum_{p not in B} L_delta(p) ),
 *   L_delta(p) = L(p) if L(p) > delta, else 0,
 *
 * our reading of "map energy inside the box / (box area + map energy outside the box)" over the map
 * thresholded at delta: the kept pixels keep their values (energy, not a binary mask), B is the union of
 * the ground-truth boxes of the image (every instance of the class) and |B| its area in pixels. Loc is in
 * [0, 1]: 1 only for a map equal to 1 on all of B and 0 elsewhere; energy outside B is penalised, and so
 * is energy missing inside B. An all-zero map scores 0. Paper Table 3 (VOC 2012, VGG-16), mLoc at delta
 * 0 / 0.25 / 0.5: Grad-CAM++ 0.34 / 0.38 / 0.28, Grad-CAM 0.33 / 0.28 / 0.16.
 *
 * @example
 * import { loc, boxesMask } from 'gradcam-wasm/metrics';
 * const map = [1, 0.2, 0, 0.6];                                  // 2 x 2 heatmap, row-major
 * const box = boxesMask([{ x0: 0, y0: 0, x1: 1, y1: 2 }], 2, 2); // the left column: [1, 0, 1, 0]
 * console.log(loc(map, box, 0.5).toFixed(3), loc(map, box, 0).toFixed(3)); // 0.385 0.357
 */
export function loc(map: ArrayLike<number>, region: ArrayLike<number>, delta: number): number {
  checkRegion(map, region, 'loc');
  let inside = 0, outside = 0, boxArea = 0;
  for (let p = 0; p < map.length; p++) {
    const v = map[p]!;
    const kept = v > delta ? v : 0;
    if (region[p]) { inside += kept; boxArea++; } else outside += kept;
  }
  return inside / (boxArea + outside);
}

/**
 * Energy-based pointing game (Wang et al., "Score-CAM", CVPRW 2020, Sec. 5.2): the share of the map's
 * energy that falls inside the ground-truth region R,
 *
 *   EBPG = sum_{p in R} L(p) / sum_p L(p),
 *
 * on the unthresholded map. R is the union of the boxes (Score-CAM's definition) or the instance masks
 * (stricter: ink pixels only). In [0, 1]; a map with no energy points at nothing and scores 0.
 * (The Grad-CAM++ paper has no pointing-game table; Score-CAM compares methods by it on ILSVRC 2012 val.)
 *
 * @example
 * import { energyPointingGame } from 'gradcam-wasm/metrics';
 * console.log(energyPointingGame([1, 0.2, 0, 0.6], [1, 0, 1, 0]).toFixed(3)); // 0.556
 */
export function energyPointingGame(map: ArrayLike<number>, region: ArrayLike<number>): number {
  checkRegion(map, region, 'energyPointingGame');
  let inside = 0, total = 0;
  for (let p = 0; p < map.length; p++) {
    const v = map[p]!;
    if (!(v >= 0)) throw new InvalidInputError(`energyPointingGame: map values must be >= 0; got ${v} at ${p}.`);
    total += v;
    if (region[p]) inside += v;
  }
  return total > 0 ? inside / total : 0;
}

/**
 * IoU of the map thresholded at delta with a ground-truth mask M (the protocol's third localisation
 * measure, docs methods-and-protocol.md; for digit scenes M is the union of the instances' ink masks):
 *
 *   IoU(delta) = |{L > delta} n M| / |{L > delta} u M|.
 *
 * In [0, 1]; an all-zero map scores 0. (The Grad-CAM++ paper has no IoU table; its Table 3 is Loc.)
 *
 * @example
 * import { maskIoU } from 'gradcam-wasm/metrics';
 * // {L > 0.5} = pixels 0 and 3, M = pixels 0 and 2: one shared of three
 * console.log(maskIoU([1, 0.2, 0, 0.6], [1, 0, 1, 0], 0.5).toFixed(3)); // 0.333
 */
export function maskIoU(map: ArrayLike<number>, mask: ArrayLike<number>, delta: number): number {
  checkRegion(map, mask, 'maskIoU');
  let inter = 0, union = 0;
  for (let p = 0; p < map.length; p++) {
    const a = map[p]! > delta, b = !!mask[p];
    if (a && b) inter++;
    if (a || b) union++;
  }
  return union > 0 ? inter / union : NaN;
}
