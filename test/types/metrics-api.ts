// Compile-only: the public surface of gradcam-wasm/metrics, as a user's TypeScript sees it (dist/*.d.ts).
// test/metrics-examples.test.ts type-checks this file; each @ts-expect-error line must stay an error.
import {
  averageDrop, increaseInConfidence, winStats, deletion, loc, boxesMask, instanceCoverage, pairedBootstrap,
  InvalidInputError, type Box, type PerturbationCurve, type PairedDifference, type WinStats,
} from 'gradcam-wasm/metrics';

const drop: number = averageDrop([0.9], [0.5]);
const incr: number = increaseInConfidence(new Float64Array([0.9]), [0.95]);
const w: WinStats = winStats([[0.1, 0.2]]);
const box: Box = { x0: 0, y0: 0, x1: 2, y1: 2 };
const l: number = loc(new Float32Array(4), boxesMask([box], 2, 2), 0.5);
const covered: boolean[] = instanceCoverage([1, 0, 0, 0], 2, 2, [box]).covered;
const d: PairedDifference = pairedBootstrap([1, 2], [0, 1], { resamples: 10, seed: 3 });
const curve: Promise<PerturbationCurve> = deletion(new Float32Array(12), new Float32Array(4), 2, 2, (imgs) => imgs.map(() => 0.5));
const e: InvalidInputError = new InvalidInputError('x');
void [drop, incr, w, l, covered, d, curve, e];

// @ts-expect-error a box needs x1 and y1
const bad: Box = { x0: 0, y0: 0 };
// @ts-expect-error the scorer returns numbers, not strings
void deletion(new Float32Array(12), new Float32Array(4), 2, 2, (imgs) => imgs.map(() => 'high'));
// @ts-expect-error pairedBootstrap has no 'samples' option (it is 'resamples')
void pairedBootstrap([1], [1], { samples: 5 });
void bad;
