/** The applicability rules the methods share (each method names its own in its `applies`). */
import type { Plan } from '../plan/plan.js';
import type { TargetKind } from './types.js';

/** Any model, any target (gradient methods, Eigen-CAM). */
export function anyTarget(): true {
  return true;
}

/** CAM's rule: the target feeds global average pooling then the linear class scores, and a class is explained. */
export function camHead(plan: Plan, target: TargetKind = 'class'): true | string {
  if ('reason' in plan.cam) return plan.cam.reason;
  return target === 'class' ? true : classOnly('CAM', 'cam')(plan, target);
}

/** Methods whose weights are a class's score on other inputs: they explain a class index, not a function. */
export function classOnly(title: string, name: string): (plan: Plan, target?: TargetKind) => true | string {
  return (_plan, target = 'class') => target === 'class' ? true
    : `${title} (${name}) explains a class, not a target function: pass a class index as target, or use a ` +
      'gradient method (gradcam, gradcam++, xgradcam, hirescam, layercam, ...).';
}
