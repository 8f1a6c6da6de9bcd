/** Text renderings of results, shared by the CLI and the extension's output channel. */
import type { EvalResult, ExportRecord, ModelStats, OutputResult, RunSummary, Significance } from './events';
import type { SweepTrial } from './sweep';
import { withinNoise, type LatencyStats } from './stats/latency';

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
export function baselineName(
  of: { baseline?: { start?: 'scratch' | 'file' } } | 'scratch' | 'file' | undefined,
  form: 'row' | 'phrase' | 'from' | 'short' = 'row',
): string {
  const start = typeof of === 'string' ? of : (of?.baseline?.start ?? 'scratch');
  const words =
    start === 'file'
      ? {
          row: 'same start, no teacher',
          phrase: 'the same student from the same start with no teacher',
          from: 'same start, no teacher',
          short: 'same start, no teacher',
        }
      : { row: 'student from scratch', phrase: 'the same student trained from scratch', from: 'from scratch', short: 'scratch' };
  return words[form];
}

/** A bound of an interval in points, with its sign (the verdict turns on it). */
function boundPoints(x: number, decimals: number): string {
  const v = Math.abs(x * 100).toFixed(decimals);
  return `${x > 0 ? '+' : x < 0 ? '−' : ''}${v}`;
}

/**
 * "−2.9 to +0.2": an interval of a difference in points, both bounds signed; the one formatter
 * for every interval shown (a run's, a head's in its own units aside, a setting's over seeds).
 * `decimals`: fixed, or by default one decimal, two when one would read 0.
 */
export function intervalPoints(interval: [number, number], decimals?: number): string {
  const [lo, hi] = interval;
  const d = decimals ?? (Math.min(Math.abs(lo), Math.abs(hi)) * 100 < 0.05 ? 2 : 1);
  return `${boundPoints(lo, d)} to ${boundPoints(hi, d)}`;
}

/** "95 % CI −2.9 to +0.2" (points). */
export function intervalText(sig: Significance): string {
  return `95 % CI ${intervalPoints(sig.interval95)}`;
}

export function pValueText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`;
}

/**
 * The honest answer in one line: did distillation beat the same student from scratch by more
 * than noise? The one place the verdict's words are made (CLI, notification, dashboard,
 * sidebar): "better"/"worse" only when the paired interval excludes 0 (summary.significance).
 */
export function verdict(s: RunSummary): string {
  if (!s.student) return `run ${s.status}${s.error ? `: ${s.error}` : ''}`;
  if (s.noTeacherTerm && !s.baseline) return `baseline: the student trained without a teacher term, ${pct(s.student.testAccuracy)} test accuracy`;
  if (!s.baseline || s.gain === undefined) return `distilled student: ${pct(s.student.testAccuracy)} test accuracy (no baseline was trained)`;
  const scores = `${pct(s.student.testAccuracy)} vs ${pct(s.baseline.testAccuracy)}`;
  const sig = s.significance;
  // A summary from before the paired test: the difference, and no claim about it.
  if (!sig) return `distillation vs ${baselineName(s, 'phrase')}: ${scores} (${signedPoints(s.gain)}; no significance test in this run's summary)`;
  const base = baselineName(s, 'phrase');
  const lead =
    sig.verdict === 'better'
      ? `distillation beat ${base}`
      : sig.verdict === 'worse'
        ? `distillation did worse than ${base}`
        : `distillation: no measurable difference from ${base}`;
  return `${lead}: ${scores} (${signedPoints(s.gain)}, ${intervalText(sig)}; McNemar ${pValueText(sig.pValue)})`;
}

/** The verdict in a few words, for the sidebar: "96.12% vs 94.21% scratch (+1.91 pts, 95 % CI +0.5 to +3.3): better". */
export function shortVerdict(s: RunSummary): string | undefined {
  if (!s.student) return undefined;
  if (!s.baseline || s.gain === undefined) return `${pct(s.student.testAccuracy)} ${studentName(s, 'short')}`;
  const head = `${pct(s.student.testAccuracy)} vs ${pct(s.baseline.testAccuracy)} ${baselineName(s, 'short')}`;
  const sig = s.significance;
  return sig ? `${head} (${signedPoints(s.gain)}, ${intervalText(sig)}): ${sig.verdict}` : `${head} (${signedPoints(s.gain)})`;
}

/** The end-of-run notification (extension). */
export function runFinishedMessage(s: RunSummary): string {
  return `${s.name}: ${s.status} in ${formatDuration(s.durationSec)} — ${verdict(s)}`;
}

/** "16.6× fewer parameters" or, for a student larger than its teacher, "3.3× more parameters". */
export function parameterRatioText(compression: number): string {
  return compression >= 1 ? `${compression.toFixed(1)}× fewer parameters` : `${(1 / compression).toFixed(1)}× more parameters`;
}

/** Teacher size on disk over the student's, in words; undefined unless both were saved. */
export function sizeRatioText(teacher: ModelStats, student: ModelStats): string | undefined {
  if (!teacher.savedBytes || !student.savedBytes) return undefined;
  const r = teacher.savedBytes / student.savedBytes;
  return r >= 1 ? `${r.toFixed(1)}× smaller on disk` : `${(1 / r).toFixed(1)}× larger on disk`;
}

/**
 * The student's speed against the teacher's at batch 1 or per sample at the training batch:
 * "11.4× faster", "2.0× slower", or "within noise" when the interquartile ranges overlap.
 */
export function speedText(teacher: ModelStats, student: ModelStats, at: 'batch1' | 'batch'): string | undefined {
  const a = teacher.latency?.[at];
  const b = student.latency?.[at];
  const [t, st] = a && b ? [a.medianMs, b.medianMs] : at === 'batch1' ? [teacher.latencyMs, student.latencyMs] : [NaN, NaN];
  if (!(t > 0 && st > 0)) return undefined;
  const where = at === 'batch1' ? 'at batch 1' : `per sample at batch ${student.latency!.batch.size}`;
  if (a && b && withinNoise(a, b)) return `latency within noise of the teacher's ${where}`;
  return t >= st ? `${(t / st).toFixed(1)}× faster ${where}` : `${(st / t).toFixed(1)}× slower ${where}`;
}

/** The student against its teacher: parameters, size on disk, speed. */
export function compressionLine(s: RunSummary): string | undefined {
  if (s.compression === undefined || !s.teacher || !s.student) return undefined;
  const parts = [
    `${parameterRatioText(s.compression)} than the teacher`,
    sizeRatioText(s.teacher, s.student),
    speedText(s.teacher, s.student, 'batch1'),
    speedText(s.teacher, s.student, 'batch'),
  ].filter(Boolean);
  return `compression: ${parts.join(', ')}; teacher–student agreement ${pct(s.agreement)}`;
}

/** "0.038 ms (IQR 0.036–0.041)": a latency median with its spread, per sample. */
export function latencyText(l: LatencyStats | undefined, fallbackMs?: number): string {
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
  if (!l) return fallbackMs === undefined || !Number.isFinite(fallbackMs) ? '—' : `${ms(fallbackMs)} ms`;
  return `${ms(l.medianMs)} ms (${ms(l.q1Ms)}–${ms(l.q3Ms)})`;
}

/** The size of a model: its files on disk where it was saved, otherwise params × 4 marked with `*` (NOT_SAVED_NOTE). */
export function sizeText(r: ModelStats): string {
  return r.savedBytes ? humanBytes(r.savedBytes) : `${humanBytes(r.bytes)}*`;
}
export const NOT_SAVED_NOTE = '* not saved: float32 weights, params × 4';

export type ResultRole = 'teacher' | 'baseline' | 'student';

/**
 * What a run's student is called: "distilled student", or, for a run with no teacher term
 * (summary.noTeacherTerm: a sweep's baseline trial, α = 0 alone), a baseline. The one place for
 * those words: results rows, verdicts, the sidebar, the dashboard header and its curves.
 */
export function studentName(s: { noTeacherTerm?: true } | undefined, form: 'row' | 'short' = 'row'): string {
  if (s?.noTeacherTerm) return form === 'row' ? 'student, no teacher term (baseline)' : 'baseline (no teacher term)';
  return form === 'row' ? 'distilled student' : 'distilled';
}

/** The rows every results table shows (CLI, dashboard card): one per model present. */
export function resultRows(s: RunSummary): { name: string; role: ResultRole; result: EvalResult }[] {
  const rows: { name: string; role: ResultRole; result: EvalResult | undefined }[] = [
    { name: `teacher (${s.teacher?.id ?? '?'})`, role: 'teacher', result: s.teacher },
    { name: baselineName(s), role: 'baseline', result: s.baseline },
    { name: studentName(s), role: 'student', result: s.student },
  ];
  return rows.filter((r): r is { name: string; role: ResultRole; result: EvalResult } => !!r.result);
}

/** "per sample, batch 128": the header of the batch latency column, from the models measured. */
export function batchLatencyHeader(s: RunSummary): string {
  const size = resultRows(s).find((r) => r.result.latency)?.result.latency?.batch.size;
  return size ? `per sample, batch ${size}` : 'per sample, batch';
}

export function resultsTable(s: RunSummary): string {
  const outputs = Object.entries(s.outputs ?? {});
  const rows = resultRows(s);
  // Multi-output runs: a column per extra head, its metric for each model.
  const header = [
    'model',
    'test accuracy',
    ...outputs.map(([name, o]) => `${name} ${METRIC_WORDS[o.metric].short}`),
    'params',
    'size',
    'latency, batch 1',
    batchLatencyHeader(s),
  ];
  const body = rows.map(({ name, role, result: r }) => [
    name,
    pct(r.testAccuracy),
    ...outputs.map(([, o]) => formatMetric(o, o[role])),
    humanCount(r.params),
    sizeText(r),
    latencyText(r.latency?.batch1, r.latencyMs),
    latencyText(r.latency?.batch),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
  const notes = [
    rows.some((r) => !r.result.savedBytes) ? NOT_SAVED_NOTE : '',
    rows.some((r) => r.result.latency) ? 'latency: median (interquartile range) per sample' : '',
  ].filter(Boolean);
  if (notes.length) out.push(notes.join('; '));
  const compression = compressionLine(s);
  if (compression) out.push('', compression);
  out.push(verdict(s));
  for (const text of outputLines(s)) out.push(text);
  if (s.exports?.length) out.push('', 'exported student (distill export):', ...exportRows(s.exports));
  return out.join('\n');
}

const EXPORT_NAMES: Record<ExportRecord['format'], string> = { onnx: 'ONNX', tfjs: 'tfjs float32', float16: 'tfjs float16', uint8: 'tfjs uint8' };

export const EXPORT_HEADER = ['form', 'size', 'accuracy', 'float accuracy', 'max |Δlogit|', 'ORT latency (batch 1)', 'file'];

/** Each exported form's cells, in EXPORT_HEADER's order: the CLI's compression report and the results card show the same words. */
export function exportCells(records: ExportRecord[]): string[][] {
  return records.map((r) => [
    `${EXPORT_NAMES[r.format] ?? r.format}${r.layout ? ` (${r.layout.toUpperCase()})` : ''}`,
    humanBytes(r.bytes),
    pct(r.accuracy),
    pct(r.floatAccuracy),
    r.maxAbsDiff === 0 ? '0' : r.maxAbsDiff.toExponential(1),
    r.ortLatencyMs === undefined ? '—' : `${r.ortLatencyMs.toFixed(3)} ms`,
    r.path,
  ]);
}

/** The compression report's rows for exported forms: size on disk, test accuracy against the float model's, logit difference, ONNX Runtime latency. */
export function exportRows(records: ExportRecord[]): string[] {
  const header = EXPORT_HEADER;
  const body = exportCells(records);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
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
      const diff = formatMetric(o, gain, true);
      if (o.gainInterval95 && o.verdict) {
        const ci = `95 % CI ${formatMetric(o, o.gainInterval95[0], true)} to ${formatMetric(o, o.gainInterval95[1], true)}`;
        const word =
          o.verdict === 'better' ? 'distillation helped' : o.verdict === 'worse' ? 'distillation made it worse' : 'distillation: no measurable difference';
        verdictText = `; ${word} (${diff}, ${ci})`;
      } else {
        // A summary from before the paired interval: the difference, and no claim about it.
        verdictText = `; distilled − ${baselineName(s, 'short')}: ${diff} (no interval in this run's summary)`;
      }
    }
    return `output "${name}" (${o.target}, ${words.long}): teacher ${formatMetric(o, o.teacher)}, ${baselineName(s, 'from')} ${formatMetric(o, o.baseline)}, distilled ${formatMetric(o, o.student)}${verdictText}`;
  });
}

/**
 * A trial's status in words, for the CLI and the sweep view alike: a Slurm trial that waits is
 * "pending" with the scheduler's reason (Dependency, Resources …), and says how often it requeued itself.
 */
export function trialStatusText(t: Pick<SweepTrial, 'status' | 'scheduler'>): string {
  const requeued = t.scheduler?.requeues ? `requeued ${t.scheduler.requeues}×` : '';
  if (t.status === 'queued' && t.scheduler) return `pending${t.scheduler.reason ? ` (${t.scheduler.reason})` : ''}${requeued ? `, ${requeued}` : ''}`;
  return requeued ? `${t.status} (${requeued})` : t.status;
}
