/** The sweep's result as plain text: per setting mean ± sd over seeds, beside the baseline. */
import { paramsKey, type SweepFile } from '../protocol/sweep';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(2)}%`);
const pm = (mean: number, sd: number, n: number) => (n ? `${pct(mean)} ± ${(sd * 100).toFixed(2)}` : '—');

export function sweepTable(s: SweepFile): string {
  const names = s.params.map((p) => p.path);
  const rows: string[][] = [[...names, `${s.metricLabel} (mean ± sd)`, 'test accuracy', 'vs baseline', 'seeds']];
  for (const a of s.aggregates) {
    rows.push([
      ...names.map((n) => String(a.params[n])),
      pm(a.metric.mean, a.metric.sd, a.metric.n),
      pm(a.testAccuracy.mean, a.testAccuracy.sd, a.testAccuracy.n),
      a.gain === undefined ? '—' : `${a.gain >= 0 ? '+' : ''}${(a.gain * 100).toFixed(2)} pts`,
      String(a.metric.n),
    ]);
  }
  const b = s.baseline;
  if (b?.metric) rows.push([...names.map((_, i) => (i === 0 ? 'baseline (from scratch)' : '')), pm(b.metric.mean, b.metric.sd, b.metric.n), b.testAccuracy ? pm(b.testAccuracy.mean, b.testAccuracy.sd, b.testAccuracy.n) : '—', '', String(b.metric.n)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  const out = [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  if (s.best) out.push('', `best trial: ${s.best.trialId} (${paramsKey(s.best.params)}, seed ${s.best.seed}): ${s.metricLabel} ${pct(s.best.metric)}`);
  if (s.bestSetting) out.push(`best setting: ${paramsKey(s.bestSetting.params)}: ${pm(s.bestSetting.mean, s.bestSetting.sd, s.bestSetting.n)} over ${s.bestSetting.n} seed(s)`);
  const failed = s.trials.filter((t) => t.status === 'failed');
  for (const t of failed) out.push(`failed: ${t.id}: ${t.error ?? 'unknown error'}`);
  return out.join('\n');
}
