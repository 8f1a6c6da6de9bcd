import type { KdConfig } from './config';

/**
 * Whether a run's distillation stage learns anything from the teacher. A sweep's baseline trial
 * (sweep/derive.ts teacherless) and any kd.json with α = 0 and no feature, attention or output
 * terms train the student from the labels alone: its "distilled student" is then a student
 * from scratch, and every place that names it says so (format.ts resultRows and verdict).
 */
export function hasTeacherTerm(cfg: Pick<KdConfig, 'distillation' | 'outputs'>): boolean {
  const d = cfg.distillation;
  if (d.alpha > 0 || (d.schedule.alpha?.to ?? 0) > 0) return true;
  if (d.features.length > 0 || d.attention.length > 0) return true;
  return Object.values(cfg.outputs).some((o) => o.weight > 0);
}
