/**
 * Which setting of a sweep is best, and how sure that is. The best is the setting with the
 * best mean over seeds, never the single luckiest trial. It is compared, paired by seed, with
 * the runner-up and with the baseline (src/protocol/stats/seeds.ts: one rule, the
 * 95 % t-interval of the per-seed differences contains 0 → not distinguishable), and every doubt
 * becomes a warning in plain words. "Apply best" in the extension and `distill sweep --apply`
 * both apply `planApplyBest`'s answer and print its warnings. Pure: no tfjs, no vscode.
 */
import { baselineName, pct } from './format';
import { compareBySeed, describeComparison, distinguishable, type SeedComparison } from './stats/seeds';
import type { Stat, SweepAggregate, SweepFile, SweepTrial } from './sweep';

export interface BestSetting {
  params: Record<string, number>;
  mean: number;
  sd: number;
  n: number;
  /** Its metric minus the baseline's, paired by seed. */
  vsBaseline?: SeedComparison;
  /** The setting with the next best mean, and the best minus it, paired by seed. */
  runnerUp?: { params: Record<string, number>; mean: number; sd: number; n: number; vsRunnerUp: SeedComparison };
  /** Why the best may not be what it seems: indistinguishable from the runner-up, no better than the baseline, missing seeds. */
  warnings: string[];
}

/** A setting's comparison with the baseline over one seed: no interval, so no verdict (the CLI table, the sweep view, the sidebar). */
export const ONE_SEED_NO_VERDICT = 'one seed, no verdict';

const label = (params: Record<string, number>) =>
  Object.entries(params)
    .map(([k, v]) => `${k.split('.').at(-1)}=${v}`)
    .join(', ') || 'the distilled student';

/** seed → metric of the finished trials. */
export function metricBySeed(trials: readonly SweepTrial[]): Map<number, number> {
  return new Map(trials.filter((t) => t.status === 'done' && typeof t.metric === 'number').map((t) => [t.seed, t.metric!]));
}

/** The setting with the best mean (ties: the first), its runner-up, and the warnings. */
export function bestSettingOf(s: Pick<SweepFile, 'trials' | 'seeds' | 'baselineStart'>, aggregates: readonly SweepAggregate[]): BestSetting | undefined {
  const ranked = aggregates
    .filter((a) => a.metric.n > 0)
    .map((a, i) => ({ a, i }))
    .sort((x, y) => y.a.metric.mean - x.a.metric.mean || x.i - y.i)
    .map((x) => x.a);
  const [best, second] = ranked;
  if (!best) return undefined;
  const trialsOf = (a: SweepAggregate) => s.trials.filter((t) => a.trialIds.includes(t.id));
  const out: BestSetting = {
    params: best.params,
    mean: best.metric.mean,
    sd: best.metric.sd,
    n: best.metric.n,
    ...(best.vsBaseline ? { vsBaseline: best.vsBaseline } : {}),
    warnings: [],
  };
  const name = label(best.params);
  if (s.seeds?.length && best.metric.n < s.seeds.length)
    out.warnings.push(`only ${best.metric.n} of the ${s.seeds.length} seeds of the best setting (${name}) finished`);
  if (second) {
    const vsRunnerUp = compareBySeed(metricBySeed(trialsOf(best)), metricBySeed(trialsOf(second)));
    out.runnerUp = { params: second.params, mean: second.metric.mean, sd: second.metric.sd, n: second.metric.n, vsRunnerUp };
    if (!distinguishable(vsRunnerUp)) {
      out.warnings.push(
        vsRunnerUp.interval95
          ? `the best setting (${name}) is not distinguishable from the runner-up (${label(second.params)}): ${describeComparison(vsRunnerUp)}`
          : `one seed: the best setting (${name}) cannot be told from the runner-up (${label(second.params)}), ${pct(best.metric.mean)} vs ${pct(second.metric.mean)}; run 2 or more seeds`,
      );
    }
  }
  const vb = best.vsBaseline;
  const base = baselineName(s.baselineStart, 'phrase');
  if (!vb || !vb.n) out.warnings.push(`no baseline finished on the best setting's seeds: no comparison with ${base}`);
  else if (!vb.interval95) out.warnings.push(`one seed: the best setting (${name}) cannot be told from ${base} (${describeComparison(vb)})`);
  else if (vb.verdict === 'worse') out.warnings.push(`the best setting (${name}) still loses to ${base}: ${describeComparison(vb)}`);
  else if (vb.verdict === 'no measurable difference')
    out.warnings.push(`the best setting (${name}) is not distinguishable from ${base}: ${describeComparison(vb)}`);
  return out;
}

export type ApplyPlan = { ok: true; params: Record<string, number>; warnings: string[] } | { ok: false; reason: string };

/**
 * What "apply best" writes into kd.json: the best setting's swept values, with every doubt as a
 * warning.
 */
export function planApplyBest(s: Pick<SweepFile, 'params' | 'status' | 'bestSetting'>): ApplyPlan {
  if (!s.params.length) return { ok: false, reason: 'this is a seeded run (no swept parameters): there is no setting to apply' };
  const b = s.bestSetting;
  if (!b) return { ok: false, reason: 'no setting of this sweep has finished yet' };
  // One rule for the CLI's --apply and the sweep view: a sweep that did not finish has a best
  // setting "so far" only (sweep.json's bestSetting), which is shown but not written into kd.json.
  const unfinished = s.status && { running: 'is still running', failed: 'failed', stopped: 'was stopped', done: '' }[s.status];
  if (unfinished) return { ok: false, reason: `the sweep ${unfinished}; its best setting so far (${label(b.params)}) is in sweep.json (bestSetting)` };
  return { ok: true, params: b.params, warnings: [...(b.warnings ?? [])] };
}

/** "91.20% ± 0.40" for a mean ± sd over seeds, or a dash. */
export function meanSd(x: Stat | undefined): string {
  return x && x.n ? `${pct(x.mean)} ± ${(x.sd * 100).toFixed(2)}` : '—';
}

/** The verdict of a seeded run (or of one setting) across seeds, in words, with the interval; `start`: sweep.json baselineStart. */
export function seedsVerdictLine(c: SeedComparison | undefined, start: SweepFile['baselineStart']): string {
  const what = baselineName(start, 'phrase');
  if (!c || !c.n) return `no seed finished both the distilled student and ${what}: no verdict`;
  const across = `across ${c.n} seed${c.n > 1 ? 's' : ''}`;
  if (!c.verdict) return `one seed finished both: distillation vs ${what} ${describeComparison(c)}`;
  const head =
    c.verdict === 'better'
      ? `distillation beat ${what} ${across}`
      : c.verdict === 'worse'
        ? `distillation did worse than ${what} ${across}`
        : `no measurable difference between distillation and ${what} ${across}`;
  return `${head}: ${describeComparison(c)}`;
}
