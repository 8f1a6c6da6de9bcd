import type { KdConfig, ValueScheduleSpec } from './config';

/** Whether a weight with an optional schedule is above 0 at any point of the stage ("constant" keeps the configured value). */
const everAboveZero = (value: number, schedule: ValueScheduleSpec | undefined) => value > 0 || (!!schedule && schedule.type !== 'constant' && schedule.to > 0);

/**
 * Whether a run's distillation stage learns anything from the teacher. A sweep's baseline trial
 * (sweep/derive.ts teacherless) and any kd.json whose teacher terms all weigh 0 (α = 0, no
 * feature or attention pair of weight > 0 under β > 0, no output term) train the student from
 * the labels alone: its student is then a baseline, and format.ts studentName says so.
 */
export function hasTeacherTerm(cfg: Pick<KdConfig, 'distillation' | 'outputs'>): boolean {
  const d = cfg.distillation;
  if (everAboveZero(d.alpha, d.schedule.alpha)) return true;
  if (everAboveZero(d.beta, d.schedule.beta) && [...d.features, ...d.attention].some((p) => p.weight > 0)) return true;
  return Object.values(cfg.outputs).some((o) => o.weight > 0);
}
