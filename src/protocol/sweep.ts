/**
 * The sweep folder: `<dir of kd.json>/.distillery/sweeps/<id>/`, written by `distill sweep`
 * and "Distill: Start Sweep" alike, read by the sweep webview.
 *
 *   sweep.json        this file's SweepFile, rewritten atomically whenever a trial changes
 *   configs/<trial>.kd.json   the derived kd.json each trial ran (absolute paths, no sweep block)
 *   trials/<trial>/   one ordinary run folder per trial (events.jsonl, summary.json, student/ …)
 *
 * Trials are the grid of every swept value × every seed. The from-scratch baseline runs once
 * per seed (kind "baseline": the same student, data order and budget, and no teacher term:
 * α = 0 and every output's `_kd` weight 0), so every setting's mean stands beside the
 * baseline's, and is compared with it seed by seed (a paired t-interval over seeds,
 * src/protocol/stats/seeds.ts). A seeded run (`distill run --seeds N`, kd.json `seeds`) is a
 * sweep with no swept parameters: one setting, the distilled student, and its baseline, over
 * the seeds. Pure data and pure functions: no tfjs, no vscode.
 *
 * This is the one sweep model: the engine side (src/sweep/) writes it, computing every
 * statistic once (summarizeSweep); the CLI table, the sweep view and the Runs tree display it.
 * sweep.json names the process that runs the sweep (`owner`): a reader of a "running" sweep
 * whose owner is gone reads it as stopped (readSweep, by runStatus.ts's process rule).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KdConfig, SlurmExecutorSpec, SweepSpec } from './config';
import type { ConfigIssue } from './loadConfig';
import { DISTILLERY_DIR } from './runFolder';
import { isHeartbeatProcess, systemProbe, type EngineProbe } from './runStatus';
import type { SeedComparison } from './stats/seeds';
import { compareBySeed } from './stats/seeds';
import { bestSettingOf, metricBySeed, type BestSetting } from './sweepBest';

export const SWEEPS_DIR = 'sweeps';
export const SWEEP_FILES = { sweep: 'sweep.json', configs: 'configs', trials: 'trials' } as const;
export const SWEEP_FORMAT = 'distillery-sweep/1';

export type SweepMetric = SweepSpec['metric'];
export type SweepStatus = 'running' | 'done' | 'failed' | 'stopped';
export type TrialStatus = 'queued' | 'running' | 'done' | 'failed' | 'stopped';

export interface SweepParam {
  /** JSON path into kd.json, dotted: "distillation.temperature". */
  path: string;
  values: number[];
}

export interface SweepTrial {
  id: string;
  /** "distill": a swept setting; "baseline": the same student from scratch (no teacher term, see derive.ts teacherless). */
  kind: 'distill' | 'baseline';
  /** The swept values of this trial, by path (empty for baselines). */
  params: Record<string, number>;
  seed: number;
  /** The trial's run folder, relative to the sweep folder. */
  runDir: string;
  /** The derived kd.json, relative to the sweep folder. */
  configFile: string;
  status: TrialStatus;
  /** The sweep's metric of this trial's student (0..1), once done. */
  metric?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  /** A distilled trial's metric minus the baseline's mean metric (summarizeSweep), once both finished. */
  gain?: number;
  durationSec?: number;
  /** Where the teacher's logits came from: the on-disk cache, computed (and cached), or live (augmentation/feature terms). */
  teacherLogits?: 'cache-hit' | 'computed' | 'live';
  error?: string;
  /** A Slurm sweep's trial: what the scheduler last said (PENDING with its reason, RUNNING …) and how often the trial requeued itself. */
  scheduler?: { state: string; reason?: string; requeues?: number };
}

/**
 * A sweep whose trials are a Slurm job array (src/sweep/slurm/): its jobs (a first job for the
 * trial that prepares the teacher, the array for the rest, task index = trial index), its
 * options, where the jobs' logs are, and how the scheduler was last asked. Such a sweep has no
 * owner process: it runs on the cluster, and `distill sweep status` (or the sweep view) reads
 * the scheduler and the trial folders into sweep.json.
 */
export interface SlurmSweepRecord {
  type: 'slurm';
  jobs: { first?: { jobId: string; trialIndex: number }; array?: { jobId: string; trialIndices: number[] } };
  /** The sbatch options the trials were submitted with. */
  options: SlurmExecutorSpec;
  /** Folder of the jobs' logs (task-<trial index>.log), relative to the sweep folder. */
  logDir: string;
  submittedAt: string;
  /** `distill sweep cancel` (or Stop) cancelled the jobs. */
  cancelledAt?: string;
  /** Which path answered last: one sacct, or squeue + scontrol (no accounting). */
  via?: 'sacct' | 'squeue';
}

export interface Stat {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  sd: number;
}

export interface SweepAggregate {
  params: Record<string, number>;
  trialIds: string[];
  metric: Stat;
  testAccuracy: Stat;
  /** Mean metric minus the baseline's mean metric, when the baseline finished. */
  gain?: number;
  /** The metric minus the baseline's, paired by seed: mean ± sd of the gains, their 95 % t-interval and the verdict (none with one seed). */
  vsBaseline?: SeedComparison;
}

export interface SweepFile {
  format: typeof SWEEP_FORMAT;
  sweepId: string;
  name: string;
  configPath: string;
  status: SweepStatus;
  startedAt: string;
  /** The process running the sweep (the CLI, or the extension host), with its start time where /proc tells it. */
  owner?: { pid: number; procStart?: string };
  endedAt?: string;
  durationSec?: number;
  /** The metric trials are ranked by, and a label for it. */
  metric: SweepMetric;
  metricLabel: string;
  params: SweepParam[];
  seeds: number[];
  /** Student epochs per trial. */
  epochs: number;
  parallel: number;
  trials: SweepTrial[];
  /** The baseline over the seeds: the same student without a teacher, from where `baselineStart` says. */
  baseline?: { trialIds: string[]; metric?: Stat; testAccuracy?: Stat };
  /**
   * Where the student and its baseline start (config.ts baselineStart, set at plan time): new
   * seeded weights, or a model file's weights (student.init "file"), which is no "from scratch".
   * Absent in sweep.json files from before it, which read as "scratch". Name the baseline with
   * format.ts baselineName(s.baselineStart, form).
   */
  baselineStart?: 'scratch' | 'file';
  /** Per setting: mean ± sd over its seeds. */
  aggregates: SweepAggregate[];
  /** The best single trial by the metric: one seed's result, shown as "best single trial", never as the best. */
  best?: { trialId: string; params: Record<string, number>; seed: number; metric: number };
  /** The best: the setting with the best mean over seeds, against the runner-up and the baseline, with warnings. */
  bestSetting?: BestSetting;
  teacherCache: { dir: string; hits: number; computed: number };
  /** Plain-language lines: cache reuse, teacher training, failures. */
  notes: string[];
  /** Where the trials run: absent for this machine's engine workers. */
  executor?: SlurmSweepRecord;
}

export function sweepsRootFor(kdJsonPath: string): string {
  return path.join(path.dirname(path.resolve(kdJsonPath)), DISTILLERY_DIR, SWEEPS_DIR);
}

/**
 * A sweep folder's sweep.json as it stands now: undefined when it is missing, torn or not a
 * sweep.json; the statistics recomputed by summarizeSweep (so a file from an older version has
 * them too); and a "running" sweep whose owner process is gone read as stopped.
 */
export function readSweep(sweepDir: string, probe: EngineProbe = systemProbe): SweepFile | undefined {
  let s: SweepFile;
  try {
    s = JSON.parse(fs.readFileSync(path.join(sweepDir, SWEEP_FILES.sweep), 'utf8')) as SweepFile;
  } catch {
    return undefined;
  }
  if (!s || s.format !== SWEEP_FORMAT || !Array.isArray(s.trials) || !Array.isArray(s.params)) return undefined;
  s.notes ??= [];
  s.baselineStart ??= 'scratch';
  if (s.status === 'running' && s.owner && !isHeartbeatProcess(s.owner, probe)) {
    s.status = 'stopped';
    for (const t of s.trials) if (t.status === 'queued' || t.status === 'running') t.status = 'stopped';
    s.notes.push(`the sweep's process (pid ${s.owner.pid}) is gone: it ended without finishing the sweep`);
  }
  summarizeSweep(s);
  return s;
}

export const METRIC_LABELS: Record<SweepMetric, string> = { valAccuracy: 'validation accuracy', testAccuracy: 'test accuracy' };

/** The values of one swept parameter: a list as given, or a range. */
export function expandValues(v: SweepSpec['params'][string]): number[] {
  if (Array.isArray(v)) return v;
  const { from, to, steps, scale } = v;
  return Array.from({ length: steps }, (_, i) => {
    const f = i / (steps - 1);
    const x = scale === 'log' ? from * Math.pow(to / from, f) : from + (to - from) * f;
    return Math.round(x * 1e9) / 1e9;
  });
}

/** A seed list, or a count N: seed, seed + 1, …, seed + N − 1. */
export function seedList(seeds: number[] | number, seed: number): number[] {
  return Array.isArray(seeds) ? seeds : Array.from({ length: seeds }, (_, i) => seed + i);
}

/** A sweep's seeds: sweep.seeds, else the kd.json's `seeds`, else the one seed. */
export function sweepSeeds(cfg: KdConfig, spec: SweepSpec): number[] {
  return seedList(spec.seeds ?? cfg.seeds ?? 1, cfg.seed);
}

/**
 * The seeds `distill run` runs: `--seeds N`, else kd.json `seeds`; undefined for a plain
 * single run (one seed, the kd.json's own).
 */
export function runSeeds(cfg: KdConfig, override?: number): number[] | undefined {
  const seeds = seedList(override ?? cfg.seeds ?? 1, cfg.seed);
  return seeds.length === 1 && seeds[0] === cfg.seed ? undefined : seeds;
}

/** A seeded run: the distilled student and its baseline over seeds, nothing swept. */
export function isSeededRun(s: Pick<SweepFile, 'params'>): boolean {
  return s.params.length === 0;
}

/** Every combination of the swept values, in order (the first parameter varies slowest). */
export function grid(params: SweepParam[]): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const p of params) out = out.flatMap((combo) => p.values.map((v) => ({ ...combo, [p.path]: v })));
  return out;
}

export function getPath(obj: unknown, dotted: string): unknown {
  let cur = obj as Record<string, unknown> | undefined;
  for (const key of dotted.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[Array.isArray(cur) ? Number(key) : key] as Record<string, unknown> | undefined;
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  cur[keys[keys.length - 1]] = value;
}

/** The swept paths must name numbers that exist in the (defaulted) config. */
export function checkSweepPaths(cfg: KdConfig, spec: SweepSpec): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const p of Object.keys(spec.params)) {
    const v = getPath(cfg, p);
    if (p.startsWith('sweep.')) issues.push({ path: ['sweep', 'params', p], message: 'a sweep cannot sweep its own settings' });
    else if (typeof v !== 'number')
      issues.push({
        path: ['sweep', 'params', p],
        message:
          v === undefined
            ? `"${p}" is not a setting of this kd.json (e.g. "distillation.temperature", "distillation.alpha")`
            : `"${p}" is not a number (it is ${JSON.stringify(v).slice(0, 40)})`,
      });
  }
  return issues;
}

export function stat(values: number[]): Stat {
  const n = values.length;
  if (!n) return { n: 0, mean: NaN, sd: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd };
}

export function paramsKey(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Recomputes aggregates, baseline, best and best setting from the trials. */
export function summarizeSweep(s: SweepFile): void {
  const done = s.trials.filter((t) => t.status === 'done' && t.metric !== undefined);
  const base = done.filter((t) => t.kind === 'baseline');
  s.baseline = {
    trialIds: s.trials.filter((t) => t.kind === 'baseline').map((t) => t.id),
    ...(base.length ? { metric: stat(base.map((t) => t.metric!)), testAccuracy: stat(base.map((t) => t.testAccuracy ?? NaN)) } : {}),
  };
  const groups = new Map<string, SweepTrial[]>();
  for (const t of s.trials.filter((t) => t.kind === 'distill')) {
    const k = paramsKey(t.params);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(t);
  }
  const baseBySeed = metricBySeed(base);
  const baseMean = s.baseline.metric?.mean;
  for (const t of s.trials) {
    if (t.kind === 'distill' && t.metric !== undefined && baseMean !== undefined && Number.isFinite(baseMean)) t.gain = t.metric - baseMean;
    else delete t.gain;
  }
  s.aggregates = [...groups.values()].map((ts) => {
    const ok = ts.filter((t) => t.status === 'done' && t.metric !== undefined);
    const metric = stat(ok.map((t) => t.metric!));
    return {
      params: ts[0].params,
      trialIds: ts.map((t) => t.id),
      metric,
      testAccuracy: stat(ok.map((t) => t.testAccuracy ?? NaN)),
      ...(s.baseline?.metric && ok.length ? { gain: metric.mean - s.baseline.metric.mean, vsBaseline: compareBySeed(metricBySeed(ok), baseBySeed) } : {}),
    };
  });
  const distilled = done.filter((t) => t.kind === 'distill');
  const best = distilled.reduce<SweepTrial | undefined>((b, t) => (!b || t.metric! > b.metric! ? t : b), undefined);
  s.best = best ? { trialId: best.id, params: best.params, seed: best.seed, metric: best.metric! } : undefined;
  s.bestSetting = bestSettingOf(s, s.aggregates);
}
