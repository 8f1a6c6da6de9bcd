/**
 * α, T and β over a stage: constant, linear or cosine from the configured value to `to`.
 * Progress runs from 0 at the first step to 1 at the last.
 */
import type { DistillationSpec, ValueScheduleSpec } from '../../protocol/config';
import type { Knobs } from './logits';

export function scheduledValue(from: number, spec: ValueScheduleSpec | undefined, progress: number): number {
  if (!spec || spec.type === 'constant') return from;
  const p = Math.min(1, Math.max(0, progress));
  const shape = spec.type === 'linear' ? p : 0.5 * (1 - Math.cos(Math.PI * p));
  return from + (spec.to - from) * shape;
}

export function knobsAt(d: DistillationSpec, step: number, totalSteps: number): Knobs {
  const progress = totalSteps > 1 ? step / (totalSteps - 1) : 1;
  return {
    alpha: Math.min(1, Math.max(0, scheduledValue(d.alpha, d.schedule.alpha, progress))),
    temperature: Math.max(1e-3, scheduledValue(d.temperature, d.schedule.temperature, progress)),
    beta: scheduledValue(d.beta, d.schedule.beta, progress),
  };
}

export function hasSchedule(d: DistillationSpec): boolean {
  return Object.values(d.schedule).some((s) => s && s.type !== 'constant');
}

export function initialKnobs(d: DistillationSpec): Knobs {
  return { alpha: d.alpha, temperature: d.temperature, beta: d.beta };
}
