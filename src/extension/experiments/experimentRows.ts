/**
 * The experiments table's rows, from what the Runs tree reads (its RunRecords: the one
 * run-folder reader and status rule; its sweeps: readSweep): one row per run folder, single
 * runs (CLI ones included) and every sweep trial alike. Pure apart from reading config.json
 * (injected), so it is unit-tested without vscode.
 */
import * as path from 'node:path';
import { type ExperimentMetrics, type ExperimentRow, type ParamValue } from '../../protocol/experiments';
import type { RunSummary } from '../../protocol/events';
import type { SweepFile } from '../../protocol/sweep';
import { gitText } from '../../protocol/runMeta';
import { isRenamed } from '../tree/runIdentity';
import { progressText, trialLabel, type RunRecord } from '../tree/runInfo';

export interface SweepOfRows {
  sweep: SweepFile;
  sweepDir: string;
  /** The trials' records, by run folder. */
  trials: RunRecord[];
}

export interface RowSources {
  records: readonly RunRecord[];
  sweeps: readonly SweepOfRows[];
  /** A run's settings where its record has none (records from the run-folder reader carry config.json's). */
  paramsOf?: (runDir: string) => Record<string, ParamValue>;
  /** A kd.json path as the workspace names it. */
  relative: (fsPath: string) => string;
  nowMs: number;
}

/** The summary's results as the table's metric columns; a baseline trial's student is the scratch one. */
export function metricsOf(summary: RunSummary | undefined, kind: 'distill' | 'baseline' = 'distill'): ExperimentMetrics {
  if (!summary) return {};
  const s = summary.student;
  const student = s && {
    sizeBytes: s.savedBytes || s.bytes,
    latencyMs: s.latency?.batch1.medianMs ?? s.latencyMs,
  };
  if (kind === 'baseline') return { scratch: s?.testAccuracy, teacher: summary.teacher?.testAccuracy, ...student };
  return {
    distilled: s?.testAccuracy,
    scratch: summary.baseline?.testAccuracy,
    gain: summary.gain,
    gainInterval: summary.significance?.interval95,
    verdict: summary.significance?.verdict,
    teacher: summary.teacher?.testAccuracy,
    agreement: summary.agreement,
    ...student,
  };
}

function rowOf(r: RunRecord, src: RowSources, sweep?: ExperimentRow['sweep'], label?: string): ExperimentRow {
  const started = r.startedAt ? Date.parse(r.startedAt) : NaN;
  const live = r.status === 'running' || r.status === 'not-responding';
  return {
    id: r.runId,
    runDir: r.runDir,
    // A trial reads as its sweep's setting and seed, unless a person named it.
    name: isRenamed(r) ? r.name : (label ?? r.name),
    status: r.status,
    progress: r.status === 'running' ? progressText(r.progress) : undefined,
    startedAt: r.startedAt,
    durationSec: r.summary?.durationSec ?? (live && Number.isFinite(started) ? Math.max(0, (src.nowMs - started) / 1000) : undefined),
    backend: r.backend,
    kdJson: r.configPath ? src.relative(r.configPath) : '',
    sweep,
    params: r.params ?? src.paramsOf?.(r.runDir) ?? {},
    metrics: metricsOf(r.summary, sweep?.kind),
    autoLabel: r.autoLabel,
    tags: r.tags,
    note: r.note,
    git: gitText(r.git),
  };
}

/** Every run and trial, newest first (by start, then folder name). */
export function experimentRows(src: RowSources): ExperimentRow[] {
  const rows = src.records.map((r) => rowOf(r, src));
  for (const { sweep, sweepDir, trials } of src.sweeps) {
    const byDir = new Map(trials.map((t) => [path.resolve(t.runDir), t]));
    for (const t of sweep.trials) {
      const record = byDir.get(path.resolve(sweepDir, t.runDir));
      if (!record) continue;
      // A trial's own name is the sweep's: say which setting (or baseline) and seed it is.
      const label = `${sweep.name} · ${trialLabel(t, sweep.baselineStart)}`;
      rows.push(rowOf(record, src, { sweepDir, sweepId: sweep.sweepId, name: sweep.name, kind: t.kind, seed: t.seed }, label));
    }
  }
  const key = (r: ExperimentRow) => `${r.startedAt ?? ''}|${r.id}`;
  return rows.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}
