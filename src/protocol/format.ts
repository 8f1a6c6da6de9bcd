/** Text renderings of results, shared by the CLI and the extension's output channel. */
import type { EvalResult, OutputResult, RunSummary } from './events';

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

/**
 * What the baseline is, in words, for every place that names it (CLI table and verdict, the
 * sidebar, the dashboard): the same student trained from scratch, or, when the student starts
 * from a model file's weights (student.init "file"), the same start with no teacher: calling
 * that "from scratch" would be false. `row`: a table row; `phrase`: in a sentence; `from`:
 * before a value ("from scratch 0.730"); `short`: after one ("93.80% scratch").
 */
export function baselineName(of: { baseline?: { start?: 'scratch' | 'file' } } | 'scratch' | 'file' | undefined, form: 'row' | 'phrase' | 'from' | 'short' = 'row'): string {
  const start = typeof of === 'string' ? of : (of?.baseline?.start ?? 'scratch');
  const words = start === 'file'
    ? { row: 'same start, no teacher', phrase: 'the same student from the same start with no teacher', from: 'same start, no teacher', short: 'same start, no teacher' }
    : { row: 'student from scratch', phrase: 'the same student trained from scratch', from: 'from scratch', short: 'scratch' };
  return words[form];
}

/** The honest answer in one line: did distillation beat the same student from scratch? */
export function verdict(s: RunSummary): string {
  if (!s.student) return `run ${s.status}${s.error ? `: ${s.error}` : ''}`;
  if (!s.baseline || s.gain === undefined) return `distilled student: ${pct(s.student.testAccuracy)} test accuracy (no baseline was trained)`;
  const word = s.gain > 0 ? 'beat' : s.gain < 0 ? 'did worse than' : 'tied with';
  return `distillation ${word} ${baselineName(s, 'phrase')}: ${pct(s.student.testAccuracy)} vs ${pct(s.baseline.testAccuracy)} (${signedPoints(s.gain)})`;
}

export function resultsTable(s: RunSummary): string {
  const outputs = Object.entries(s.outputs ?? {});
  const rows: [string, EvalResult | undefined, 'teacher' | 'baseline' | 'student'][] = [
    [`teacher (${s.teacher?.id ?? '?'})`, s.teacher, 'teacher'],
    [baselineName(s), s.baseline, 'baseline'],
    ['distilled student', s.student, 'student'],
  ];
  // Multi-output runs: a column per extra head, its metric for each model.
  const header = ['model', 'test accuracy', ...outputs.map(([name, o]) => `${name} ${METRIC_WORDS[o.metric].short}`), 'params', 'size', 'latency/sample'];
  const body = rows
    .filter(([, r]) => r)
    .map(([name, r, key]) => [name, pct(r!.testAccuracy), ...outputs.map(([, o]) => formatMetric(o, o[key])), humanCount(r!.params), humanBytes(r!.bytes), `${r!.latencyMs.toFixed(3)} ms`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  if (s.compression !== undefined) out.push('', `compression: ${s.compression.toFixed(1)}× fewer parameters than the teacher; teacher–student agreement ${pct(s.agreement)}`);
  out.push(verdict(s));
  for (const text of outputLines(s)) out.push(text);
  return out.join('\n');
}

const METRIC_WORDS: Record<OutputResult['metric'], { short: string; long: string; higherIsBetter: boolean }> = {
  iou: { short: 'IoU', long: 'mean IoU, higher is better', higherIsBetter: true },
  pixelError: { short: 'error', long: 'mean error, lower is better', higherIsBetter: false },
  mae: { short: 'MAE', long: 'mean absolute error, lower is better', higherIsBetter: false },
};

function formatMetric(o: OutputResult, v: number | undefined, signed = false): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const sign = signed ? (v >= 0 ? '+' : '−') : v < 0 ? '−' : '';
  const a = Math.abs(v);
  return o.metric === 'iou' ? `${sign}${a.toFixed(3)}` : o.metric === 'pixelError' ? `${sign}${a.toFixed(2)} px` : `${sign}${a.toPrecision(3)}`;
}

/** One line per extra output (multi-output distillation): its metric for each model, and whether distillation helped it. */
export function outputLines(s: RunSummary): string[] {
  return Object.entries(s.outputs ?? {}).map(([name, o]) => {
    const words = METRIC_WORDS[o.metric] ?? METRIC_WORDS.mae;
    let verdictText = '';
    const gain = o.gain ?? (o.baseline !== undefined ? o.student - o.baseline : undefined);
    if (gain !== undefined && Number.isFinite(gain)) {
      const better = words.higherIsBetter ? gain > 0 : gain < 0;
      verdictText = `; distillation ${gain === 0 ? 'tied' : better ? 'helped' : 'did not help'} (${formatMetric(o, gain, true)})`;
    }
    return `output "${name}" (${o.target}, ${words.long}): teacher ${formatMetric(o, o.teacher)}, ${baselineName(s, 'from')} ${formatMetric(o, o.baseline)}, distilled ${formatMetric(o, o.student)}${verdictText}`;
  });
}
