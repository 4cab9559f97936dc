/**
 * Instance coverage on multi-instance images: does the map explain every instance of the class, or only
 * one? (Source report Sec. 4.1.2 and Fig. 2d; Chattopadhyay et al. 2018, Sec. 3 and Fig. 1: Grad-CAM++
 * is meant to light up all instances.)
 */
import { InvalidInputError } from '../errors.js';
import { checkSize, type Box } from './regions.js';
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
 * A box that lies entirely outside the image is never covered.
 */
export function instanceCoverage(map: ArrayLike<number>, width: number, height: number, boxes: readonly Box[],
  threshold = COVERAGE_THRESHOLD): Coverage {
  checkSize(map, width, height, 'instanceCoverage: map');
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
