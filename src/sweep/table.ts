/**
 * A sweep's result as plain text: per setting mean ± sd over seeds, its gain over the baseline
 * (paired by seed) with the 95 % interval and the verdict, then the best setting and its
 * warnings, and the best single trial as such. A seeded run gets a row per seed instead.
 */
import { baselineName, intervalPoints, pct } from '../protocol/format';
import { describeComparison, type SeedComparison } from '../protocol/stats/seeds';
import { isSeededRun, paramsKey, type SweepFile } from '../protocol/sweep';
import { meanSd, ONE_SEED_NO_VERDICT, seedsVerdictLine } from '../protocol/sweepBest';

const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}`;
const gainCell = (c: SeedComparison | undefined) => (c?.n ? `${pts(c.meanDiff)} ± ${(c.sdDiff * 100).toFixed(2)} pts` : '—');
const ciCell = (c: SeedComparison | undefined) => (c?.interval95 ? intervalPoints(c.interval95, 2) : c?.n ? ONE_SEED_NO_VERDICT : '—');

function layout(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

export function sweepTable(s: SweepFile): string {
  if (isSeededRun(s)) return seedsTable(s);
  const names = s.params.map((p) => p.path);
  const rows: string[][] = [[...names, `${s.metricLabel} (mean ± sd)`, 'test accuracy', 'vs baseline (mean ± sd)', '95 % CI (pts)', 'verdict', 'seeds']];
  for (const a of s.aggregates) {
    rows.push([
      ...names.map((n) => String(a.params[n])),
      meanSd(a.metric),
      meanSd(a.testAccuracy),
      gainCell(a.vsBaseline),
      ciCell(a.vsBaseline),
      a.vsBaseline?.verdict ?? '—',
      String(a.metric.n),
    ]);
  }
  const b = s.baseline;
  if (b?.metric)
    rows.push([
      ...names.map((_, i) => (i === 0 ? `baseline (${baselineName(s.baselineStart, 'from')})` : '')),
      meanSd(b.metric),
      meanSd(b.testAccuracy),
      '',
      '',
      '',
      String(b.metric.n),
    ]);
  const out = layout(rows);
  const best = s.bestSetting;
  if (best) {
    out.push(
      '',
      `best setting: ${paramsKey(best.params)}: ${s.metricLabel} ${meanSd(best)} over ${best.n} seed(s)${best.vsBaseline?.n ? `; vs baseline ${describeComparison(best.vsBaseline)}${best.vsBaseline.verdict ? ` (${best.vsBaseline.verdict})` : ''}` : ''}`,
    );
    if (best.runnerUp)
      out.push(`runner-up: ${paramsKey(best.runnerUp.params)}: ${meanSd(best.runnerUp)}; best − runner-up ${describeComparison(best.runnerUp.vsRunnerUp)}`);
    for (const w of best.warnings) out.push(`warning: ${w}`);
  }
  if (s.best)
    out.push(
      `best single trial (one seed, not the best setting): ${s.best.trialId} (${paramsKey(s.best.params)}, seed ${s.best.seed}): ${s.metricLabel} ${pct(s.best.metric)}`,
    );
  for (const t of s.trials.filter((t) => t.status === 'failed')) out.push(`failed: ${t.id}: ${t.error ?? 'unknown error'}`);
  return out.join('\n');
}

/** A seeded run: distilled, its baseline and the gain per seed, mean ± sd, and the verdict across seeds. */
export function seedsTable(s: SweepFile): string {
  const byKind = (kind: 'distill' | 'baseline', seed: number) => s.trials.find((t) => t.kind === kind && t.seed === seed);
  const rows: string[][] = [['seed', `distilled (${s.metricLabel})`, baselineName(s.baselineStart, 'from'), 'gain']];
  for (const seed of s.seeds) {
    const [d, b] = [byKind('distill', seed), byKind('baseline', seed)];
    const value = (t: typeof d) => (t?.status === 'done' ? pct(t.metric) : (t?.status ?? '—'));
    const gain = d?.status === 'done' && b?.status === 'done' && d.metric !== undefined && b.metric !== undefined ? `${pts(d.metric - b.metric)} pts` : '—';
    rows.push([String(seed), value(d), value(b), gain]);
  }
  const agg = s.aggregates[0];
  rows.push(['mean ± sd', meanSd(agg?.metric), meanSd(s.baseline?.metric), gainCell(agg?.vsBaseline)]);
  const out = layout(rows);
  out.push('', seedsVerdictLine(agg?.vsBaseline, s.baselineStart));
  for (const t of s.trials.filter((t) => t.status === 'failed')) out.push(`failed: ${t.id}: ${t.error ?? 'unknown error'}`);
  return out.join('\n');
}
