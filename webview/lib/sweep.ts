/**
 * Shaping a sweep for its charts, tables and CSV. Pure. It takes the protocol's one sweep model
 * (sweep.json, src/protocol/sweep.ts): the statistics (each setting's mean ± sd, its gain's
 * interval and verdict, the best setting, the best single trial, each trial's gain) are
 * sweep.json's, computed once by summarizeSweep; nothing here averages or ranks trials.
 */
import { baselineName, trialStatusText } from '../../src/protocol/format';
import { describeComparison } from '../../src/protocol/stats/seeds';
import type { SweepAggregate, SweepFile, SweepTrial } from '../../src/protocol/sweep';
import { meanSd, ONE_SEED_NO_VERDICT } from '../../src/protocol/sweepBest';
import { csvField, csvText } from './csv';

export const TEMPERATURE = 'distillation.temperature';
export const ALPHA = 'distillation.alpha';

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/** The swept dotted paths, in order (none for a seeded run). */
export function sweptPaths(sweep: SweepFile): string[] {
  return sweep.params.map((p) => p.path);
}

/** The distilled trials, the table's rows (the baselines are the reference line). */
export function distilledTrials(sweep: SweepFile): SweepTrial[] {
  return sweep.trials.filter((t) => t.kind === 'distill');
}

/** The best single trial (one seed) sweep.json names. */
export function bestSingleTrial(sweep: SweepFile): SweepTrial | undefined {
  return sweep.best ? sweep.trials.find((t) => t.id === sweep.best!.trialId) : undefined;
}

const sameParams = (a: Record<string, number | string>, b: Record<string, number | string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => String(b[k]) === String(v));

/** The best setting's row among the settings, and the ids of its trials (one per seed). */
export function bestSettingRow(sweep: SweepFile): SweepAggregate | undefined {
  const b = sweep.bestSetting;
  return b ? sweep.aggregates.find((a) => sameParams(a.params, b.params)) : undefined;
}

/** "temperature 4, alpha 0.9" */
export function settingLabel(params: Record<string, number | string>): string {
  return (
    Object.entries(params)
      .map(([k, v]) => `${k.replace(/^distillation\./, '')} ${v}`)
      .join(', ') || 'distilled student'
  );
}

/** The distinct values a parameter takes, sorted numerically where they are numbers. */
export function distinctValues(trials: readonly { params: Record<string, number | string> }[], key: string): (number | string)[] {
  const seen = new Map<string, number | string>();
  for (const t of trials) if (key in t.params) seen.set(String(t.params[key]), t.params[key]);
  return [...seen.values()].sort((a, b) => (Number.isFinite(num(a)) && Number.isFinite(num(b)) ? num(a) - num(b) : String(a).localeCompare(String(b))));
}

/** The settings that have finished seeds (a setting is a point: its mean over seeds). */
function finishedSettings(sweep: SweepFile): SweepAggregate[] {
  return sweep.aggregates.filter((a) => a.metric.n > 0 && Number.isFinite(a.metric.mean));
}

/**
 * The sweep's metric against T, one line per α (or one line when α is not swept): each point a
 * setting's mean over its seeds, with its sd, as sweep.json has it; `trials` names its trials.
 */
export function linesByAlpha(sweep: SweepFile): { label: string; points: { x: number; y: number; sd: number; n: number; trials: string[] }[] }[] {
  const settings = finishedSettings(sweep);
  const alphas = distinctValues(settings, ALPHA);
  const groups = alphas.length ? alphas : [undefined];
  return groups.map((alpha) => ({
    label: alpha === undefined ? sweep.metricLabel : `α = ${alpha}`,
    points: settings
      .filter((a) => (alpha === undefined || String(a.params[ALPHA]) === String(alpha)) && Number.isFinite(num(a.params[TEMPERATURE])))
      .map((a) => ({ x: num(a.params[TEMPERATURE]), y: a.metric.mean, sd: a.metric.sd, n: a.metric.n, trials: a.trialIds }))
      .sort((a, b) => a.x - b.x),
  }));
}

/** A T × α grid of each setting's mean metric (NaN where none finished), when both are swept. */
export function heatGrid(sweep: SweepFile): { temperatures: (number | string)[]; alphas: (number | string)[]; cells: number[][] } | undefined {
  const temperatures = distinctValues(sweep.trials, TEMPERATURE);
  const alphas = distinctValues(sweep.trials, ALPHA);
  if (temperatures.length < 2 || alphas.length < 2) return undefined;
  const settings = finishedSettings(sweep);
  const cells = alphas.map((a) =>
    temperatures.map((t) => settings.find((s) => String(s.params[ALPHA]) === String(a) && String(s.params[TEMPERATURE]) === String(t))?.metric.mean ?? NaN),
  );
  return { temperatures, alphas, cells };
}

/** The settings table: each setting's mean ± sd, its gain over the baseline (paired by seed), the interval and the verdict. */
export function settingRows(
  sweep: SweepFile,
): { params: Record<string, number>; metric: string; testAccuracy: string; vsBaseline: string; verdict: string; seeds: number; best: boolean }[] {
  const best = bestSettingRow(sweep);
  return sweep.aggregates.map((a) => ({
    params: a.params,
    metric: meanSd(a.metric),
    testAccuracy: meanSd(a.testAccuracy),
    vsBaseline: a.vsBaseline ? describeComparison(a.vsBaseline) : '—',
    verdict: a.vsBaseline?.verdict ?? (a.vsBaseline?.n ? ONE_SEED_NO_VERDICT : '—'),
    seeds: a.metric.n,
    best: a === best,
  }));
}

export interface Column {
  key: string;
  label: string;
  value: (t: SweepTrial) => number | string | undefined;
}

export function trialColumns(sweep: SweepFile): Column[] {
  return [
    { key: 'id', label: 'trial', value: (t) => t.id },
    ...sweptPaths(sweep).map((p) => ({ key: `param:${p}`, label: p.replace(/^distillation\./, ''), value: (t: SweepTrial) => t.params[p] })),
    { key: 'seed', label: 'seed', value: (t) => t.seed },
    // A Slurm trial waiting shows as pending, with the scheduler's reason.
    { key: 'status', label: 'status', value: (t) => trialStatusText(t) },
    { key: 'valAccuracy', label: 'validation acc.', value: (t) => t.valAccuracy },
    { key: 'testAccuracy', label: 'test acc.', value: (t) => t.testAccuracy },
    { key: 'gain', label: `gain vs ${baselineName(sweep.baselineStart, 'short')}`, value: (t) => t.gain },
  ];
}

/** Sorts by a column; missing values always last, numbers numerically. */
export function sortTrials(trials: readonly SweepTrial[], column: Column, descending: boolean): SweepTrial[] {
  return [...trials].sort((a, b) => {
    const va = column.value(a);
    const vb = column.value(b);
    const ma = va === undefined || (typeof va === 'number' && Number.isNaN(va));
    const mb = vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
    if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;
    const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return descending ? -cmp : cmp;
  });
}

export { csvField };

export function trialsCsv(sweep: SweepFile): string {
  const cols = trialColumns(sweep);
  const header = cols.map((c) => (c.key.startsWith('param:') ? c.key.slice(6) : c.key));
  return csvText([header, ...distilledTrials(sweep).map((t) => cols.map((c) => c.value(t)))]);
}

/** Parallel coordinates: each axis's numeric range, and each trial as values scaled to 0..1. */
export function parallelAxes(sweep: SweepFile): {
  axes: { key: string; label: string; min: number; max: number }[];
  lines: { trial: string; values: number[] }[];
} {
  const keys = [...sweptPaths(sweep), 'valAccuracy'];
  const trials = distilledTrials(sweep);
  const value = (t: SweepTrial, k: string) => (k === 'valAccuracy' ? (t.valAccuracy ?? NaN) : num(t.params[k]));
  const axes = keys.map((k) => {
    const vs = trials.map((t) => value(t, k)).filter(Number.isFinite);
    return {
      key: k,
      label: k === 'valAccuracy' ? 'validation acc.' : k.replace(/^distillation\./, ''),
      min: vs.length ? Math.min(...vs) : 0,
      max: vs.length ? Math.max(...vs) : 1,
    };
  });
  const lines = trials
    .filter((t) => typeof t.valAccuracy === 'number')
    .map((t) => ({ trial: t.id, values: axes.map((a) => (a.max > a.min ? (value(t, a.key) - a.min) / (a.max - a.min) : 0.5)) }));
  return { axes, lines };
}
