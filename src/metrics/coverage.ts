/**
 * Instance coverage on multi-instance images: does the map explain every instance of the class, or only
 * one? (Source report Sec. 4.1.2 and Fig. 2d; Chattopadhyay et al. 2018, Sec. 3 and Fig. 1: Grad-CAM++
 * is meant to light up all instances.)
 */
import { InvalidInputError } from '../errors.js';
import { checkBoxes, checkFinite, checkSize, type Box } from './regions.js';
import { COVERAGE_THRESHOLD } from './constants.js';


export interface Coverage {
  /** One flag per box, in order. */
  covered: boolean[];
  /** #covered / #boxes, in [0, 1]. */
  share: number;
  /** Every instance covered. */
  all: boolean;
}

/**
 * Instance coverage of one map (width x height, row-major, values >= 0) with one box per instance (exclusive
 * ends, pixel coordinates, clipped to the image):
 *
 *   covered_i = max_{p in box_i} L(p) >= tau * max_p L(p),   tau = COVERAGE_THRESHOLD (0.5),
 *   share = (1/n) sum_i covered_i,   all = AND_i covered_i.
 *
 * Relative to the map's own peak, so it does not depend on how the heatmap was scaled (the bilinear
 * upsampling of a min-max normalised map may peak slightly below 1). An all-zero map covers nothing.
 * A box that lies entirely outside the image is never covered. (No table in the paper: its Sec. 3 and
 * Fig. 1 show Grad-CAM++ lighting up every instance where Grad-CAM lights one; this measures that.)
 *
 * @example
 * import { instanceCoverage } from 'gradcam-wasm/metrics';
 * const boxes = [{ x0: 0, y0: 0, x1: 1, y1: 1 }, { x0: 2, y0: 0, x1: 4, y1: 1 }]; // two instances, 4 x 1 map
 * const c = instanceCoverage([1, 0, 0, 0.4], 4, 1, boxes);
 * console.log(c.covered, c.share); // [ true, false ] 0.5
 */
export function instanceCoverage(map: ArrayLike<number>, width: number, height: number, boxes: readonly Box[],
  threshold = COVERAGE_THRESHOLD): Coverage {
  checkSize(map, width, height, 'instanceCoverage: map');
  checkFinite(map, 'instanceCoverage: map');
  checkBoxes(boxes, 'instanceCoverage');
  if (boxes.length === 0) throw new InvalidInputError('instanceCoverage needs at least one box.');
  if (!(threshold > 0 && threshold <= 1)) throw new InvalidInputError(`threshold must be in (0, 1]; got ${threshold}.`);
  let peak = 0;
  for (let p = 0; p < map.length; p++) if (map[p]! > peak) peak = map[p]!;
  const covered = boxes.map((b) => {
    if (peak <= 0) return false;
    const x0 = Math.max(0, Math.floor(b.x0)), x1 = Math.min(width, Math.ceil(b.x1));
    const y0 = Math.max(0, Math.floor(b.y0)), y1 = Math.min(height, Math.ceil(b.y1));
    let m = -Infinity;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (map[y * width + x]! > m) m = map[y * width + x]!;
    return m >= threshold * peak;
  });
  const n = covered.filter(Boolean).length;
  return { covered, share: n / boxes.length, all: n === boxes.length };
}
