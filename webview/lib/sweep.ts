/** Shaping a sweep's trials for its charts, table and CSV. Pure. */
import type { SweepResult, SweepTrial } from '../../src/protocol/webviewMessages';

export const TEMPERATURE = 'distillation.temperature';
export const ALPHA = 'distillation.alpha';

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/** The named best trial, else the finished one with the highest validation accuracy. */
export function bestTrial(sweep: SweepResult): SweepTrial | undefined {
  const named = sweep.best ? sweep.trials.find((t) => t.id === sweep.best) : undefined;
  if (named) return named;
  let best: SweepTrial | undefined;
  for (const t of sweep.trials) {
    if (typeof t.valAccuracy !== 'number' || !Number.isFinite(t.valAccuracy)) continue;
    if (!best || t.valAccuracy > best.valAccuracy! || (t.valAccuracy === best.valAccuracy && (t.testAccuracy ?? 0) > (best.testAccuracy ?? 0))) best = t;
  }
  return best;
}

/** The distinct values a parameter takes, sorted numerically where they are numbers. */
export function distinctValues(trials: readonly SweepTrial[], key: string): (number | string)[] {
  const seen = new Map<string, number | string>();
  for (const t of trials) if (key in t.params) seen.set(String(t.params[key]), t.params[key]);
  return [...seen.values()].sort((a, b) => (Number.isFinite(num(a)) && Number.isFinite(num(b)) ? num(a) - num(b) : String(a).localeCompare(String(b))));
}

/** Mean of the finite values (NaN when none). */
function mean(values: number[]): number {
  const ok = values.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/**
 * Validation accuracy against T, one line per α (or one line when α is not swept). Trials of
 * the same setting (several seeds) are one point, their mean; `trials` names them all.
 */
export function linesByAlpha(sweep: SweepResult): { label: string; points: { x: number; y: number; trials: string[] }[] }[] {
  const alphas = distinctValues(sweep.trials, ALPHA);
  const groups = alphas.length ? alphas : [undefined];
  return groups.map((alpha) => {
    const byX = new Map<number, { ys: number[]; trials: string[] }>();
    for (const t of sweep.trials) {
      if (alpha !== undefined && String(t.params[ALPHA]) !== String(alpha)) continue;
      const x = num(t.params[TEMPERATURE]);
      if (typeof t.valAccuracy !== 'number' || !Number.isFinite(x)) continue;
      const g = byX.get(x) ?? { ys: [], trials: [] };
      g.ys.push(t.valAccuracy);
      g.trials.push(t.id);
      byX.set(x, g);
    }
    return {
      label: alpha === undefined ? 'validation accuracy' : `α = ${alpha}`,
      points: [...byX.entries()].map(([x, g]) => ({ x, y: mean(g.ys), trials: g.trials })).sort((a, b) => a.x - b.x),
    };
  });
}

/** A T × α grid of validation accuracy (NaN where no trial finished), when both are swept. */
export function heatGrid(sweep: SweepResult): { temperatures: (number | string)[]; alphas: (number | string)[]; cells: number[][] } | undefined {
  const temperatures = distinctValues(sweep.trials, TEMPERATURE);
  const alphas = distinctValues(sweep.trials, ALPHA);
  if (temperatures.length < 2 || alphas.length < 2) return undefined;
  const cells = alphas.map((a) =>
    temperatures.map((t) => {
      const same = sweep.trials.filter((x) => String(x.params[ALPHA]) === String(a) && String(x.params[TEMPERATURE]) === String(t));
      return mean(same.map((x) => (typeof x.valAccuracy === 'number' ? x.valAccuracy : NaN)));
    }),
  );
  return { temperatures, alphas, cells };
}

export interface Column {
  key: string;
  label: string;
  value: (t: SweepTrial) => number | string | undefined;
}

export function trialColumns(sweep: SweepResult): Column[] {
  const params = sweep.parameters.length ? sweep.parameters : [...new Set(sweep.trials.flatMap((t) => Object.keys(t.params)))];
  return [
    { key: 'id', label: 'trial', value: (t) => t.id },
    ...params.map((p) => ({ key: `param:${p}`, label: p.replace(/^distillation\./, ''), value: (t: SweepTrial) => t.params[p] })),
    ...(sweep.trials.some((t) => t.seed !== undefined) ? [{ key: 'seed', label: 'seed', value: (t: SweepTrial) => t.seed }] : []),
    { key: 'status', label: 'status', value: (t) => t.status },
    { key: 'valAccuracy', label: 'validation acc.', value: (t) => t.valAccuracy },
    { key: 'testAccuracy', label: 'test acc.', value: (t) => t.testAccuracy },
    { key: 'gain', label: 'gain vs scratch', value: (t) => t.gain },
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

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function trialsCsv(sweep: SweepResult): string {
  const cols = trialColumns(sweep);
  const header = cols.map((c) => (c.key.startsWith('param:') ? c.key.slice(6) : c.key));
  const rows = sweep.trials.map((t) => cols.map((c) => csvField(c.value(t))).join(','));
  return [header.map(csvField).join(','), ...rows].join('\r\n') + '\r\n';
}

/** Parallel coordinates: each axis's numeric range, and each trial as values scaled to 0..1. */
export function parallelAxes(sweep: SweepResult): { axes: { key: string; label: string; min: number; max: number }[]; lines: { trial: string; values: number[] }[] } {
  const keys = [...(sweep.parameters.length ? sweep.parameters : distinctKeys(sweep.trials)), 'valAccuracy'];
  const value = (t: SweepTrial, k: string) => (k === 'valAccuracy' ? t.valAccuracy ?? NaN : num(t.params[k]));
  const axes = keys.map((k) => {
    const vs = sweep.trials.map((t) => value(t, k)).filter(Number.isFinite);
    return { key: k, label: k === 'valAccuracy' ? 'validation acc.' : k.replace(/^distillation\./, ''), min: vs.length ? Math.min(...vs) : 0, max: vs.length ? Math.max(...vs) : 1 };
  });
  const lines = sweep.trials
    .filter((t) => typeof t.valAccuracy === 'number')
    .map((t) => ({ trial: t.id, values: axes.map((a) => (a.max > a.min ? (value(t, a.key) - a.min) / (a.max - a.min) : 0.5)) }));
  return { axes, lines };
}

function distinctKeys(trials: readonly SweepTrial[]): string[] {
  return [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
}
