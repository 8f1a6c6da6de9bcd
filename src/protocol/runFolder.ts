/**
 * The run folder is the contract between every writer (engine) and every reader (CLI,
 * extension host, tree view, dashboards): `<dir of kd.json>/.distillery/runs/<id>/`.
 *
 *   config.json    the resolved config, written before training starts
 *   events.jsonl   append-only, one RunEvent per line; the last line may be torn while live
 *   summary.json   written atomically once, at the end
 *   student/       the distilled student (tfjs LayersModel format)
 *   logits.json    teacher and student logits on the first test samples (dark-knowledge view),
 *                  and every wrong or disagreeing sample's thumbnail and top classes (confusion view)
 *   predictions.json  test labels and the teacher's, student's and baseline's predictions
 *   heartbeat.json rewritten every few seconds while the engine lives (see runStatus.ts)
 *   meta.json      a person's name, tags and note for the run, written atomically when edited (runMeta.ts)
 *
 * config.json's `$…` keys are bookkeeping, not settings: `$configPath` (the kd.json), `$git`
 * (the workspace's commit and dirty state at the start, runMeta.ts GitState).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent, RunStatus, RunSummary } from './events';

export const DISTILLERY_DIR = '.distillery';
export const RUNS_DIR = 'runs';
export const FILES = {
  config: 'config.json',
  events: 'events.jsonl',
  summary: 'summary.json',
  student: 'student',
  logits: 'logits.json',
  predictions: 'predictions.json',
  engineLog: 'engine.log',
  heartbeat: 'heartbeat.json',
  meta: 'meta.json',
} as const;

export function runsRootFor(kdJsonPath: string): string {
  return path.join(path.dirname(path.resolve(kdJsonPath)), DISTILLERY_DIR, RUNS_DIR);
}

export interface ParsedEvents {
  events: RunEvent[];
  /** Lines that were not valid JSON objects with a `type` (torn or edited), skipped. */
  skipped: number;
}

/** Parses events.jsonl text, skipping torn or garbage lines instead of failing on them. */
export function parseEvents(text: string): ParsedEvents {
  const events: RunEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object' && typeof value.type === 'string') events.push(value as RunEvent);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

export function readEvents(runDir: string): ParsedEvents {
  try {
    return parseEvents(fs.readFileSync(path.join(runDir, FILES.events), 'utf8'));
  } catch {
    return { events: [], skipped: 0 };
  }
}

/** What a summary.json holds: the summary, nothing (not written yet), or why it cannot be read. */
export type SummaryRead = { summary: RunSummary; problem?: undefined } | { summary?: undefined; problem?: string };

const SUMMARY_STATUSES: readonly RunStatus[] = ['done', 'failed', 'stopped', 'crashed'];

/**
 * Why a parsed summary.json is not one a reader can show, or undefined. It checks what the
 * readers rely on (status, name, the results' accuracies), not every field: a foreign or
 * hand-edited file must read as unreadable, never crash a view.
 */
export function summaryProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const s = value as Record<string, unknown>;
  if (!SUMMARY_STATUSES.includes(s.status as RunStatus))
    return `"status" is ${JSON.stringify(s.status) ?? 'missing'}, not one of ${SUMMARY_STATUSES.join(', ')}`;
  for (const key of ['runId', 'name', 'startedAt'] as const) if (typeof s[key] !== 'string') return `"${key}" is not a string`;
  for (const key of ['student', 'baseline', 'teacher'] as const) {
    const r = s[key] as { testAccuracy?: unknown } | undefined;
    if (r !== undefined && (typeof r !== 'object' || r === null || typeof r.testAccuracy !== 'number')) return `"${key}.testAccuracy" is not a number`;
  }
  return undefined;
}

/** Reads and checks summary.json; a missing file is no problem (the run has not ended), a torn or foreign one is. */
export function readSummaryFile(runDir: string): SummaryRead {
  const file = path.join(runDir, FILES.summary);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? {} : { problem: `unreadable summary ${file}: ${(e as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `unreadable summary ${file}: ${(e as Error).message}` };
  }
  const problem = summaryProblem(value);
  return problem ? { problem: `unreadable summary ${file}: ${problem}` } : { summary: value as RunSummary };
}

/** The summary, or undefined when there is none or it is unreadable (readSummaryFile says why). */
export function readSummary(runDir: string): RunSummary | undefined {
  return readSummaryFile(runDir).summary;
}

/** Run ids sort by time: `YYYYMMDD-HHMMSS-<name>-<random>`. */
export function listRunDirs(runsRoot: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsRoot);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && fs.existsSync(path.join(runsRoot, n, FILES.events)))
    .sort()
    .reverse()
    .map((n) => path.join(runsRoot, n));
}
