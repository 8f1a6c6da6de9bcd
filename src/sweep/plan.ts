/**
 * A sweep's plan, pure: from a loaded kd.json (or a seeded run's seeds) to every trial with its
 * derived config, its swept values and its seed, and the sweep's settings (metric, seeds,
 * epochs, lanes). No processes and no folders: `Sweep` (runSweep.ts) writes the planned
 * configs and schedules the trials on engine workers. Every trial's config is checked here,
 * so a bad swept value is refused before anything runs or any folder appears.
 *
 * Trials: a from-scratch baseline per seed first, then every combination of the swept values
 * (the first parameter varies slowest) × every seed. A seeded run sweeps nothing: one
 * distilled trial and one baseline per seed, ranked by test accuracy (what a single run's
 * verdict compares), the kd.json's sweep block ignored.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { baselineStart, type KdConfig, type SweepSpec } from '../protocol/config';
import type { ConfigIssue } from '../protocol/loadConfig';
import { checkSweepPaths, expandValues, grid, sweepSeeds, type SweepMetric, type SweepParam, type SweepTrial } from '../protocol/sweep';
import { deriveTrialConfig, needsTeacherTraining } from './derive';

export interface PlannedTrial {
  trial: Pick<SweepTrial, 'id' | 'kind' | 'params' | 'seed'>;
  /** The derived kd.json the trial runs (absolute paths, no sweep block). */
  config: Record<string, unknown>;
}

export interface SweepPlan {
  name: string;
  metric: SweepMetric;
  params: SweepParam[];
  seeds: number[];
  /** Student epochs per trial. */
  epochs: number;
  /** Trials at once. */
  parallel: number;
  trials: PlannedTrial[];
  /** A teacher trains from an architecture: the first trial trains and saves it alone, before the others. */
  teacherTrains: boolean;
  /** Where the student and its baseline start (sweep.json baselineStart): a model file's weights is no "from scratch". */
  baselineStart: 'scratch' | 'file';
}

export interface PlanOptions {
  /** A seeded run over these seeds instead of the kd.json's sweep block. */
  seeds?: number[];
  /** Trials at once: overrides kd.json's sweep.parallel (default: the CPU count). */
  parallel?: number;
}

export type PlanOutcome = { ok: true; plan: SweepPlan } | { ok: false; issues: ConfigIssue[] };

/** `cfg` is the loaded (defaulted) kd.json at `configPath`. */
export function planSweep(cfg: KdConfig, configPath: string, o: PlanOptions = {}): PlanOutcome {
  const baseDir = path.dirname(path.resolve(configPath));
  const spec: SweepSpec | undefined = o.seeds ? { params: {}, seeds: o.seeds, metric: 'testAccuracy' } : cfg.sweep;
  if (!spec)
    return {
      ok: false,
      issues: [{ path: ['sweep'], message: 'this kd.json has no "sweep" block, e.g. "sweep": { "params": { "distillation.temperature": [1, 2, 4, 8] } }' }],
    };
  const pathIssues = checkSweepPaths(cfg, spec);
  if (pathIssues.length) return { ok: false, issues: pathIssues };

  const params = Object.entries(spec.params).map(([p, v]) => ({ path: p, values: expandValues(v) }));
  const seeds = sweepSeeds(cfg, spec);
  const epochs = spec.epochs ?? cfg.training.epochs;
  const name = cfg.name ?? path.basename(baseDir);
  const trials: PlannedTrial[] = [];
  const issues: ConfigIssue[] = [];
  for (const seed of seeds) {
    const d = deriveTrialConfig(cfg, baseDir, { params: {}, seed, epochs, name: `${name} baseline s${seed}`, baseline: true });
    issues.push(...d.issues);
    if (d.config) trials.push({ trial: { id: `baseline-s${seed}`, kind: 'baseline', params: {}, seed }, config: d.config });
  }
  grid(params).forEach((combo, i) => {
    for (const seed of seeds) {
      const id = trialId(combo, i, seed);
      const d = deriveTrialConfig(cfg, baseDir, { params: combo, seed, epochs, name: `${name} ${id}`, baseline: false });
      issues.push(...d.issues);
      if (d.config) trials.push({ trial: { id, kind: 'distill', params: combo, seed }, config: d.config });
    }
  });
  if (issues.length) return { ok: false, issues: dedupe(issues) };
  const parallel = Math.max(1, o.parallel ?? spec.parallel ?? os.availableParallelism());
  return {
    ok: true,
    plan: {
      name,
      metric: spec.metric,
      params,
      seeds,
      epochs,
      parallel,
      trials,
      teacherTrains: needsTeacherTraining(cfg, baseDir),
      baselineStart: baselineStart(cfg.student),
    },
  };
}

/** "t03-T4-a0.9-s2": the combination's place, its values, the seed; "distill-s2" with nothing swept. */
function trialId(combo: Record<string, number>, index: number, seed: number): string {
  const short = (p: string) => p.split('.').pop()!.replace('temperature', 'T').replace('alpha', 'a');
  const values = Object.entries(combo)
    .map(([k, v]) => `${short(k)}${v}`)
    .join('-');
  return (values ? `t${String(index + 1).padStart(2, '0')}-${values}-s${seed}` : `distill-s${seed}`).replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A bad value fails every seed's trial alike: say it once. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = i.path.join('.') + i.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
