/**
 * The experiments table's row: one run folder (a single run, or one trial of a sweep or a
 * seeded run) as the table shows it, built on the host from the one run-folder reader
 * (runReader.ts, status by runStatus.ts) and the one sweep model (sweep.ts readSweep), and
 * posted to the webview, which sorts, filters, groups and exports it
 * (webview/lib/experimentsTable.ts). Pure data and pure functions: no vscode, no tfjs.
 */
import { configPaths } from './configPaths';
import type { RunStatus } from './events';
import type { Verdict } from './stats/verdict';

/** A setting's value in a row: config.json's scalar leaves, and short arrays of scalars as JSON ("[64,32]"). */
export type ParamValue = string | number | boolean | null;

export interface ExperimentMetrics {
  /** Test accuracies, 0..1. A baseline trial has no distilled student: its student is the scratch one. */
  distilled?: number;
  scratch?: number;
  /** Distilled minus scratch test accuracy (0..1), with its paired 95 % interval and verdict (summary.significance). */
  gain?: number;
  gainInterval?: [number, number];
  verdict?: Verdict;
  teacher?: number;
  /** Fraction of test samples where teacher and distilled student agree. */
  agreement?: number;
  /** The student's size on disk where saved, else params × 4. */
  sizeBytes?: number;
  /** The student's median single-sample latency, ms. */
  latencyMs?: number;
}

export interface ExperimentRow {
  /** The run folder's name (unique among a workspace's runs). */
  id: string;
  runDir: string;
  name: string;
  status: RunStatus;
  /** What a live row is doing ("distill epoch 2/5 · 40%"). */
  progress?: string;
  startedAt?: string;
  /** The summary's duration, or for a live run the time since it started. */
  durationSec?: number;
  backend?: string;
  /** The kd.json it came from, as the workspace names it (relative), for grouping and display. */
  kdJson: string;
  /** A sweep's (or a seeded run's) trial: which sweep, what kind, which seed. */
  sweep?: { sweepDir: string; sweepId: string; name: string; kind: 'distill' | 'baseline'; seed: number };
  /** config.json's settings by dotted path (paths to files, `$…` bookkeeping and the name left out). */
  params: Record<string, ParamValue>;
  metrics: ExperimentMetrics;
  /** What differs from its sibling runs and its short id ("T4 α0.7 · #68c7", protocol/runLabels.ts). */
  autoLabel?: string;
  /** meta.json's tags and note (a person's name for the run is `name`). */
  tags?: string[];
  note?: string;
  /** The workspace's commit and dirty state at the start, as text ("a1b2c3d · dirty", runMeta.ts gitText). */
  git?: string;
}

/** Keys of config.json that are no experiment setting: bookkeeping, and the run's name (a column of its own). */
const NOT_PARAMS = new Set(['name']);

/**
 * config.json → its settings by dotted path: scalar leaves, arrays of scalars as one JSON value
 * (a layer list "[64,32]" is one setting), files named by configPaths.ts left out (a sweep
 * trial's config holds absolute paths where the kd.json had relative ones: no real difference).
 */
export function configParams(config: Record<string, unknown> | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (!config) return out;
  const paths = new Set(configPaths(config).map((p) => p.at.join('.')));
  const walk = (v: unknown, at: string) => {
    if (at.startsWith('$') || NOT_PARAMS.has(at) || paths.has(at)) return;
    if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) {
      // A list of files (CIFAR's training batches) is paths, element by element: no setting either.
      if (at && !paths.has(`${at}.0`)) out[at] = JSON.stringify(v);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    } else if (at && (v === null || ['string', 'number', 'boolean'].includes(typeof v))) {
      out[at] = v as ParamValue;
    }
  };
  walk(config, '');
  return out;
}
