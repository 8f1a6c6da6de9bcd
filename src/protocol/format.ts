/** Text renderings of results, shared by the CLI and the extension's output channel. */
import type { EvalResult, RunSummary } from './events';

export const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(2)}%`);
export const signedPoints = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pts`;

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function humanCount(n: number): string {
  if (n < 1e3) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(2)}M`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** The honest answer in one line: did distillation beat the same student from scratch? */
export function verdict(s: RunSummary): string {
  if (!s.student) return `run ${s.status}${s.error ? `: ${s.error}` : ''}`;
  if (!s.baseline || s.gain === undefined) return `distilled student: ${pct(s.student.testAccuracy)} test accuracy (no baseline was trained)`;
  const word = s.gain > 0 ? 'beat' : s.gain < 0 ? 'did worse than' : 'tied with';
  return `distillation ${word} the same student trained from scratch: ${pct(s.student.testAccuracy)} vs ${pct(s.baseline.testAccuracy)} (${signedPoints(s.gain)})`;
}

export function resultsTable(s: RunSummary): string {
  const rows: [string, EvalResult | undefined][] = [
    [`teacher (${s.teacher?.id ?? '?'})`, s.teacher],
    ['student from scratch', s.baseline],
    ['distilled student', s.student],
  ];
  const header = ['model', 'test accuracy', 'params', 'size', 'latency/sample'];
  const body = rows
    .filter(([, r]) => r)
    .map(([name, r]) => [name, pct(r!.testAccuracy), humanCount(r!.params), humanBytes(r!.bytes), `${r!.latencyMs.toFixed(3)} ms`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  for (const line of outputLines(s)) out.push(line);
  if (s.compression !== undefined) out.push('', `compression: ${s.compression.toFixed(1)}× fewer parameters than the teacher; teacher–student agreement ${pct(s.agreement)}`);
  out.push(verdict(s));
  return out.join('\n');
}

/** One line per extra output (multi-output distillation): its metric for each model, and whether distillation helped it. */
export function outputLines(s: RunSummary): string[] {
  return Object.entries(s.outputs ?? {}).map(([name, o]) => {
    const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : o.metric === 'iou' ? v.toFixed(3) : `${v.toFixed(2)} px`);
    const label = o.metric === 'iou' ? 'mean IoU, higher is better' : 'mean error, lower is better';
    let verdictText = '';
    if (o.baseline !== undefined) {
      const better = o.metric === 'iou' ? o.student > o.baseline : o.student < o.baseline;
      const same = o.student === o.baseline;
      verdictText = `; distillation ${same ? 'tied' : better ? 'helped' : 'did not help'} (${o.metric === 'iou' ? `${o.student - o.baseline >= 0 ? '+' : '−'}${Math.abs(o.student - o.baseline).toFixed(3)}` : `${o.student - o.baseline >= 0 ? '+' : '−'}${Math.abs(o.student - o.baseline).toFixed(2)} px`})`;
    }
    return `output "${name}" (${o.target}, ${label}): teacher ${fmt(o.teacher)}, from scratch ${fmt(o.baseline)}, distilled ${fmt(o.student)}${verdictText}`;
  });
}
