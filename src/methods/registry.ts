/**
 * The one list of methods. The API, CLI, demo, evaluation, tests and benchmarks iterate over it.
 * Adding a method: one file in this folder (a `Method`, see types.ts) and its line here.
 */
import { cam } from './cam.js';
import { gradcam } from './gradcam.js';
import { gradcampp } from './gradcampp.js';
import { xgradcam } from './xgradcam.js';
import { hirescam } from './hirescam.js';
import { layercam } from './layercam.js';
import { gradcamElementwise } from './gradcam-elementwise.js';
import { eigencam } from './eigencam.js';
import { scorecam } from './scorecam.js';
import { smoothgradcampp } from './smoothgradcampp.js';
import type { Method } from './types.js';
import { UnknownMethodError } from '../errors.js';

export const METHODS = [
  cam,
  gradcam,
  gradcampp,
  xgradcam,
  hirescam,
  layercam,
  gradcamElementwise,
  eigencam,
  scorecam,
  smoothgradcampp,
] as const satisfies readonly Method[];

export type MethodName = (typeof METHODS)[number]['name'];

export const METHOD_NAMES: readonly MethodName[] = METHODS.map((m) => m.name);

/**
 * Methods that cost no passes beyond the one forward/backward pass of an explanation (Score-CAM runs one forward
 * per channel, Smooth Grad-CAM++ one forward/backward per noisy copy): what `evaluate` runs when no method is named.
 */
export const ONE_PASS_METHOD_NAMES: readonly MethodName[] = METHODS
  .filter((m) => m.input !== 'masked-scores' && m.input !== 'noisy-gradients').map((m) => m.name);

export function getMethod(name: string): Method {
  const m = METHODS.find((x) => x.name === name.toLowerCase());
  if (!m) throw new UnknownMethodError(name, METHOD_NAMES);
  return m;
}
