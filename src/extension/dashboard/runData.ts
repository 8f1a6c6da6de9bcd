/** Reads one run folder into what the dashboard's `init` carries. No vscode import. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent } from '../../protocol/events';
import { FILES, readEvents, readSummary } from '../../protocol/runFolder';
import { readConfigFacts, readRunFiles } from '../../protocol/runReader';
import { emptyRunSeries, reduceRunEvents, withSummary } from '../../protocol/runSeries';
import { runStatusOf } from '../../protocol/runStatus';
import { configWithoutBookkeeping } from '../../protocol/runMeta';
import { readRunIdentity } from '../tree/runIdentity';
import { runPlanOf } from '../../protocol/runProgress';
import type { CompareRun, DashboardInit, DashboardTab, LogitsFile, PredictionsFile } from '../../protocol/webviewMessages';

/** logits.json and predictions.json are read whole; past this size a view does without them. */
const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

function readJsonFile<T>(file: string): T | undefined {
  try {
    if (fs.statSync(file).size > MAX_ARTIFACT_BYTES) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readConfig(runDir: string): Record<string, unknown> | undefined {
  return readJsonFile<Record<string, unknown>>(path.join(runDir, FILES.config));
}

export function readPredictions(runDir: string): PredictionsFile | undefined {
  const p = readJsonFile<PredictionsFile>(path.join(runDir, FILES.predictions));
  return p && Array.isArray(p.labels) && Array.isArray(p.teacher) && Array.isArray(p.student) ? p : undefined;
}

export function readLogits(runDir: string): LogitsFile | undefined {
  const l = readJsonFile<LogitsFile>(path.join(runDir, FILES.logits));
  return l && Array.isArray(l.teacher) && Array.isArray(l.student) && Array.isArray(l.labels) ? l : undefined;
}

/** Folds events.jsonl (torn lines skipped) and summary.json into a RunSeries. */
export function loadRunSeries(runDir: string, runId = path.basename(runDir)) {
  const { events, skipped } = readEvents(runDir);
  const config = readConfig(runDir);
  const configPath = typeof config?.$configPath === 'string' ? config.$configPath : '';
  const series = reduceRunEvents(emptyRunSeries({ runId, configPath }), events);
  const files = readRunFiles(runDir, readConfigFacts(runDir));
  withSummary(series, files.summary);
  if (!events.length && !series.summary) series.status = 'queued';
  // Events alone say "running" until the end; whether the engine still lives is runStatus.ts's one rule.
  else if (!series.summary && series.status === 'running') series.status = runStatusOf(files).status;
  return { series, skipped, events: events as RunEvent[] };
}

export function loadDashboardInit(runDir: string, runId: string, live: boolean, tab?: DashboardTab): DashboardInit {
  const { series, skipped } = loadRunSeries(runDir, runId);
  return {
    type: 'init',
    view: 'dashboard',
    runId,
    runDir,
    series,
    skippedLines: skipped,
    live,
    predictions: readPredictions(runDir),
    logits: readLogits(runDir),
    tab,
    identity: readRunIdentity(runDir),
    plan: runPlanOf(readConfig(runDir)),
  };
}

/** One run for the compare view: its curves, results and raw config.json. */
export function loadCompareRun(runDir: string): CompareRun {
  const runId = path.basename(runDir);
  const { series } = loadRunSeries(runDir, runId);
  // Only the settings: `$configPath` and `$git` differ between runs of the same kd.json and are no setting to diff.
  const config = configWithoutBookkeeping(readConfig(runDir) ?? {});
  return { runId, runDir, name: series.name || runId, series, summary: readSummary(runDir), config };
}
