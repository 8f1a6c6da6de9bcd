/**
 * The experiments table's model, pure (unit-tested, test/unit/webview/experimentsTable.test.ts):
 * its columns (the run's facts, the settings that differ between the shown rows, the metrics),
 * sorting, filtering, grouping, the difference to a pinned row, and CSV with exact decimals
 * (every number as JavaScript's shortest round-trip text, lib/csv.ts: parsed back, it is the same double).
 */
import type { ExperimentRow } from '../../src/protocol/experiments';
import { differingParams, paramLabels } from '../../src/protocol/runLabels';
import { csvText } from './csv';

// What differs between rows is decided once, for the table and the runs' labels alike (protocol/runLabels.ts).
export { allParams, differingParams, paramLabels } from '../../src/protocol/runLabels';

export type CellValue = string | number | boolean | null | undefined;
export type ColumnKind = 'text' | 'time' | 'duration' | 'percent' | 'points' | 'interval' | 'bytes' | 'ms' | 'param';

export interface Column {
  key: string;
  label: string;
  /** The full name, for a header's tooltip (a setting's dotted path). */
  title: string;
  kind: ColumnKind;
  value(r: ExperimentRow): CellValue;
}

const col = (key: string, label: string, kind: ColumnKind, value: (r: ExperimentRow) => CellValue, title = label): Column => ({
  key,
  label,
  title,
  kind,
  value,
});

export const RUN_COLUMNS: readonly Column[] = [
  col('name', 'name', 'text', (r) => r.name),
  col('status', 'status', 'text', (r) => r.status),
  col('started', 'started', 'time', (r) => r.startedAt),
  col('duration', 'duration', 'duration', (r) => r.durationSec),
  col('backend', 'backend', 'text', (r) => r.backend),
  col('git', 'git', 'text', (r) => r.git, "the workspace's commit when the run started, and whether it had changes (dirty)"),
];

export const METRIC_COLUMNS: readonly Column[] = [
  col('distilled', 'distilled', 'percent', (r) => r.metrics.distilled, 'distilled student, test accuracy'),
  col('scratch', 'scratch', 'percent', (r) => r.metrics.scratch, 'the same student without a teacher (baseline), test accuracy'),
  col('gain', 'gain', 'points', (r) => r.metrics.gain, 'distilled − scratch, test accuracy points'),
  // Sorted by its lower bound: the interval that clears 0 by most comes first.
  col('gainInterval', '95 % CI', 'interval', (r) => r.metrics.gainInterval?.[0], 'paired 95 % interval of the gain'),
  col('verdict', 'verdict', 'text', (r) => r.metrics.verdict, 'better / worse only when the interval excludes 0'),
  col('teacher', 'teacher', 'percent', (r) => r.metrics.teacher, 'teacher, test accuracy'),
  col('agreement', 'agreement', 'percent', (r) => r.metrics.agreement, 'test samples where teacher and distilled student agree'),
  col('size', 'size', 'bytes', (r) => r.metrics.sizeBytes, "the student's size (on disk where saved)"),
  col('latency', 'latency', 'ms', (r) => r.metrics.latencyMs, "the student's median latency at batch 1, ms"),
];

/** Auto-chosen setting columns at most; more are added by hand. */
export const MAX_AUTO_PARAMS = 8;

export function paramColumn(p: string, label: string): Column {
  return col(`param:${p}`, label, 'param', (r) => r.params[p], p);
}

export interface ColumnChoice {
  /** Settings added by hand (shown even when they do not differ). */
  extra?: readonly string[];
  /** Hide every column whose value is the same in all shown rows. */
  onlyDiffering?: boolean;
}

/** The table's columns for these rows: run facts, the settings that differ (at most MAX_AUTO_PARAMS) and the added ones, the metrics. */
export function tableColumns(rows: readonly ExperimentRow[], choice: ColumnChoice = {}): Column[] {
  const auto = differingParams(rows).slice(0, MAX_AUTO_PARAMS);
  const params = [...new Set([...auto, ...(choice.extra ?? [])])];
  const labels = paramLabels(params);
  const cols = [...RUN_COLUMNS, ...params.map((p) => paramColumn(p, labels.get(p)!)), ...METRIC_COLUMNS];
  if (!choice.onlyDiffering || rows.length < 2) return cols;
  // The name always stays: it says which row is which.
  return cols.filter((c) => c.key === 'name' || rows.some((r) => !sameCell(c.value(r), c.value(rows[0]))));
}

const sameCell = (a: CellValue, b: CellValue) =>
  (a ?? null) === (b ?? null) || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
const missing = (v: CellValue) => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));

/** Compares two cells: numbers by value, booleans false < true, text naturally ("run 9" < "run 10"). */
export function compareCells(a: CellValue, b: CellValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b !== 'number') return -1;
  if (typeof b === 'number' && typeof a !== 'number') return 1;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Sorted by a column; rows without a value last in either direction; ties keep their order (newest first). */
export function sortRows(rows: readonly ExperimentRow[], column: Column, descending: boolean): ExperimentRow[] {
  return rows
    .map((r, i) => ({ r, i, v: column.value(r) }))
    .sort((x, y) => {
      const mx = missing(x.v);
      const my = missing(y.v);
      if (mx || my) return mx && my ? x.i - y.i : mx ? 1 : -1;
      const c = compareCells(x.v, y.v);
      return (descending ? -c : c) || x.i - y.i;
    })
    .map((x) => x.r);
}

export interface RowFilter {
  /** Words that must all appear (case-insensitive) in the row's name, label, tags (`#tag` too), note, id, kd.json, sweep, status, backend, git or `setting=value`. */
  text?: string;
  /** Statuses shown; empty: all. */
  statuses?: readonly string[];
  /** Verdicts shown; empty: all ("none" for rows without one). */
  verdicts?: readonly string[];
}

function haystack(r: ExperimentRow): string {
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`);
  const tags = (r.tags ?? []).map((t) => `#${t}`);
  const identity = [r.autoLabel ?? '', ...tags, r.note ?? '', r.git ?? ''];
  return [r.name, r.id, r.kdJson, r.sweep?.name ?? '', r.sweep?.kind ?? '', r.status, r.backend ?? '', ...identity, ...params].join('\n').toLowerCase();
}

export function filterRows(rows: readonly ExperimentRow[], f: RowFilter): ExperimentRow[] {
  const words = (f.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (f.statuses?.length && !f.statuses.includes(r.status)) return false;
    if (f.verdicts?.length && !f.verdicts.includes(r.metrics.verdict ?? 'none')) return false;
    if (!words.length) return true;
    const text = haystack(r);
    return words.every((w) => text.includes(w));
  });
}

export type GroupBy = 'none' | 'kdjson' | 'sweep';

export interface RowGroup {
  key: string;
  label: string;
  rows: ExperimentRow[];
  sweepDir?: string;
}

/** Groups in the order their first row comes (so a sorted table stays sorted within and across groups). */
export function groupRows(rows: readonly ExperimentRow[], by: GroupBy): RowGroup[] {
  if (by === 'none') return [{ key: '', label: '', rows: [...rows] }];
  const groups = new Map<string, RowGroup>();
  for (const r of rows) {
    const key = by === 'kdjson' ? r.kdJson : (r.sweep?.sweepDir ?? '');
    let g = groups.get(key);
    if (!g) {
      const label = by === 'kdjson' ? r.kdJson || 'unknown kd.json' : r.sweep ? `${r.sweep.name} (sweep ${r.sweep.sweepId})` : 'single runs';
      groups.set(key, (g = { key, label, rows: [], sweepDir: by === 'sweep' ? r.sweep?.sweepDir : undefined }));
    }
    g.rows.push(r);
  }
  return [...groups.values()];
}

const NUMERIC: ReadonlySet<ColumnKind> = new Set(['duration', 'percent', 'points', 'bytes', 'ms']);

/** A numeric cell minus the pinned row's, where both have one (the pinned row itself: undefined). */
export function vsPinned(r: ExperimentRow, pinned: ExperimentRow | undefined, c: Column): number | undefined {
  if (!pinned || pinned.id === r.id || !NUMERIC.has(c.kind)) return undefined;
  const a = c.value(r);
  const b = c.value(pinned);
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) ? a - b : undefined;
}

/**
 * The rows as CSV, one column per table column (the interval as its two bounds), plus the run
 * folder. Accuracies stay fractions (0.9345, not "93.45%"): exact, and what a script expects.
 */
export function rowsCsv(rows: readonly ExperimentRow[], columns: readonly Column[]): string {
  const fields: { header: string; value: (r: ExperimentRow) => CellValue }[] = [];
  for (const c of columns) {
    if (c.kind === 'interval') {
      fields.push({ header: 'gain 95% CI low', value: (r) => r.metrics.gainInterval?.[0] });
      fields.push({ header: 'gain 95% CI high', value: (r) => r.metrics.gainInterval?.[1] });
    } else {
      const unit =
        c.kind === 'duration'
          ? ' (s)'
          : c.kind === 'bytes'
            ? ' (bytes)'
            : c.kind === 'ms'
              ? ' (ms)'
              : c.kind === 'percent' || c.kind === 'points'
                ? ' (0-1)'
                : '';
      fields.push({ header: c.kind === 'param' ? c.title : `${c.label}${unit}`, value: c.value });
    }
  }
  fields.push({ header: 'sweep', value: (r) => (r.sweep ? r.sweep.sweepId : undefined) });
  fields.push({ header: 'run folder', value: (r) => r.runDir });
  return csvText([fields.map((f) => f.header), ...rows.map((r) => fields.map((f) => f.value(r)))]);
}
