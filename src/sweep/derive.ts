/**
 * The derived kd.json of each sweep trial: the base config with the swept values, the
 * trial's seed and epochs, and every path made absolute (derived files live in the sweep
 * folder, not beside kd.json; the keys are protocol/configPaths.ts's one list). Teachers that
 * train from an architecture get an explicit save folder (where a plain run of this kd.json would keep them), so the teacher trains
 * once and every trial loads the same weights.
 */
import * as path from 'node:path';
import type { KdConfig } from '../protocol/config';
import { KdConfig as KdConfigSchema } from '../protocol/config';
import { mapConfigPaths } from '../protocol/configPaths';
import { issueText, zodIssues, type ConfigIssue } from '../protocol/loadConfig';
import { setPath } from '../protocol/sweep';
import { planTeachers } from '../engine/run/teachers';

export interface TrialConfigOptions {
  params: Record<string, number>;
  seed: number;
  epochs: number;
  name: string;
  /** The baseline: no teacher term at all (teacherless), and no assistants. */
  baseline: boolean;
}

/** Teacher save folders resolved against the original kd.json's folder and seed. */
export function teacherSaveDirs(cfg: KdConfig, baseDir: string): (string | undefined)[] {
  return planTeachers(cfg, baseDir).map((p) => (p.kind === 'train' ? p.saveDir : p.kind === 'saved' ? path.dirname(p.modelJson) : undefined));
}

export function needsTeacherTraining(cfg: KdConfig, baseDir: string): boolean {
  return planTeachers(cfg, baseDir).some((p) => p.kind === 'train');
}

export function deriveTrialConfig(cfg: KdConfig, baseDir: string, o: TrialConfigOptions): { config?: Record<string, unknown>; issues: ConfigIssue[] } {
  const c = structuredClone(cfg) as Record<string, unknown> & KdConfig;
  delete (c as Partial<KdConfig>).sweep;
  delete (c as { $schema?: string }).$schema;
  // Every path-bearing key (protocol/configPaths.ts), then the teachers' save folders.
  mapConfigPaths(c, (rel) => path.resolve(baseDir, rel));
  const saveDirs = teacherSaveDirs(cfg, baseDir);
  c.teachers = c.teachers.map((t, i) => ('model' in t ? t : { ...t, save: saveDirs[i] }));
  for (const [p, v] of Object.entries(o.params)) setPath(c, p, v);
  c.seed = o.seed;
  c.training.epochs = o.epochs;
  c.baseline = false;
  c.name = o.name;
  if (o.baseline) teacherless(c);
  const parsed = KdConfigSchema.safeParse(c);
  if (!parsed.success) {
    const where = Object.entries(o.params)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    return { issues: zodIssues(parsed.error).map((i) => ({ path: ['sweep', 'params'], message: `the trial with ${where}: ${issueText(i)}` })) };
  }
  return { config: c, issues: [] };
}

/**
 * The distillation of `c` with every teacher term weighted 0, so that its distill stage trains
 * what a run's baseline stage trains (runner.ts): cross-entropy, and each output's head from
 * the truth. Terms of weight 0 are not built (hintonLoss, outputLosses), so none reads the teacher.
 */
function teacherless(c: KdConfig): void {
  c.distillation = { ...c.distillation, alpha: 0, features: [], attention: [], schedule: {} };
  c.outputs = Object.fromEntries(Object.entries(c.outputs).map(([name, out]) => [name, { ...out, weight: 0 }]));
  c.assistants = [];
}
