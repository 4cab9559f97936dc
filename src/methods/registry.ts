/** The one list of methods. The API, CLI, demo, tests and benchmarks iterate over it. */
import { cam } from './cam.js';
import { gradcam } from './gradcam.js';
import { gradcampp } from './gradcampp.js';
import type { Method } from './types.js';
import { UnknownMethodError } from '../errors.js';

export const METHODS = [cam, gradcam, gradcampp] as const satisfies readonly Method[];

export type MethodName = (typeof METHODS)[number]['name'];

export const METHOD_NAMES: readonly MethodName[] = METHODS.map((m) => m.name);

export function getMethod(name: string): Method {
  const m = METHODS.find((x) => x.name === name.toLowerCase());
  if (!m) throw new UnknownMethodError(name, METHOD_NAMES);
  return m;
}
