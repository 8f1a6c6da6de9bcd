/**
 * The run folder is the contract between every writer (engine) and every reader (CLI,
 * extension host, tree view, dashboards): `<dir of kd.json>/.distillery/runs/<id>/`.
 *
 *   config.json    the resolved config, written before training starts
 *   events.jsonl   append-only, one RunEvent per line; the last line may be torn while live
 *   summary.json   written atomically once, at the end
 *   student/       the distilled student (tfjs LayersModel format)
 *   logits.json    teacher and student logits on the first test samples (dark-knowledge view)
 *   predictions.json  test labels and the teacher's, student's and baseline's predictions
 *   heartbeat.json rewritten every few seconds while the engine lives (see runStatus.ts)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent, RunSummary } from './events';

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

export function readSummary(runDir: string): RunSummary | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, FILES.summary), 'utf8')) as RunSummary;
  } catch {
    return undefined;
  }
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
