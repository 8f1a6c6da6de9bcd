/**
 * The one reader of a run folder for everything that shows a run (the Runs tree, the
 * dashboard, the status bar, the tests): summary.json checked (a torn or foreign one reads as
 * an unreadable summary, with the file named), heartbeat.json, and events.jsonl folded into
 * what a run's row needs (its start, its end, its progress, its last step). A RunFolderReader
 * keeps one EventsTail per folder, so a view that re-reads every few hundred milliseconds
 * reads only what the engines appended. The status of what is read: runStatus.ts runStatusOf.
 * A run's identity is read here too: meta.json (a person's name, tags and note) on every read,
 * config.json's settings and git state once per folder (config.json never changes once written).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configParams, type ParamValue } from './experiments';
import type { EngineMessage, RunEvent, RunFinishedEvent, RunStartedEvent, RunSummary, StageName, StepEvent } from './events';
import { EventsTail, fsTailIo, type TailIo } from './eventsTail';
import { FILES, readSummaryFile } from './runFolder';
import { gitStateOf, readRunMeta, type GitState, type RunMeta } from './runMeta';
import { readHeartbeat, type Heartbeat } from './runStatus';

export interface RunProgress {
  stage: StageName;
  epoch: number;
  epochs?: number;
  /** 0..100 within the stage. */
  percent: number;
}

/** The latest stage's progress after one more event (the tree folds them from disk, the status bar live). */
export function foldProgress(progress: RunProgress | undefined, e: RunEvent | EngineMessage): RunProgress | undefined {
  if (e.type === 'stage_started') return { stage: e.stage, epoch: 0, epochs: e.epochs, percent: 0 };
  if (e.type === 'step')
    return {
      stage: e.stage,
      epoch: e.epoch,
      epochs: progress?.stage === e.stage ? progress.epochs : undefined,
      percent: e.totalSteps ? (100 * e.step) / e.totalSteps : 0,
    };
  if (e.type === 'epoch') return { stage: e.stage, epoch: e.epoch, epochs: e.epochs, percent: progress?.stage === e.stage ? progress.percent : 0 };
  return progress;
}

/** What a run's events say, folded: the first run_started, the last run_finished, progress, the last step. */
export interface RunEventsFold {
  started?: RunStartedEvent;
  finished?: RunFinishedEvent;
  progress?: RunProgress;
  lastStep?: StepEvent;
}

/** Pure: returns a new fold (a tail folds a torn last line tentatively). */
export function foldRunEvent(f: RunEventsFold, e: RunEvent): RunEventsFold {
  const progress = foldProgress(f.progress, e);
  if (e.type === 'run_started') return f.started ? f : { ...f, started: e };
  if (e.type === 'run_finished') return { ...f, finished: e };
  if (e.type === 'step') return { ...f, progress, lastStep: e };
  return progress === f.progress ? f : { ...f, progress };
}

export function foldRunEvents(events: readonly RunEvent[]): RunEventsFold {
  return events.reduce(foldRunEvent, {});
}

export interface RunFolder {
  runId: string;
  runDir: string;
  events: RunEventsFold;
  /** Lines of events.jsonl that were not events (torn or garbage). */
  skipped: number;
  /** undefined: no events.jsonl yet. */
  eventsMtimeMs?: number;
  summary?: RunSummary;
  /** "unreadable summary <file>: why", when summary.json is there but torn or foreign. */
  summaryProblem?: string;
  /** Read only while there is no summary (the engine's last word makes it moot). */
  heartbeat?: Heartbeat;
  /** meta.json: undefined when never edited. */
  meta?: RunMeta;
  /** "unreadable <meta.json>: why", when meta.json is there but torn or foreign. */
  metaProblem?: string;
  /** What config.json says about the run; undefined before the engine wrote it (a queued run) or when it is unreadable. */
  config?: RunConfigFacts;
}

export interface RunConfigFacts {
  /** Its settings by dotted path (experiments.ts configParams). */
  params: Record<string, ParamValue>;
  /** The kd.json it ran (config.json's `$configPath`): runs of one kd.json are each other's siblings (runLabels.ts). */
  configPath?: string;
  /** The workspace's git state at the start; undefined for runs from before it was recorded. */
  git?: GitState;
}

/** config.json's settings and git state, or undefined when it is not there (yet) or not a JSON object. */
export function readConfigFacts(runDir: string): RunConfigFacts | undefined {
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(path.join(runDir, FILES.config), 'utf8'));
  } catch {
    return undefined;
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) return undefined;
  const c = config as Record<string, unknown>;
  return { params: configParams(c), git: gitStateOf(c), ...(typeof c.$configPath === 'string' ? { configPath: c.$configPath } : {}) };
}

/** A run folder's summary and heartbeat, and when its events last changed; for readers that fold the events themselves (the dashboard). */
// `config` is passed, never defaulted: a default would read a missing config.json a second time whenever the caller's read found none.
export function readRunFiles(runDir: string, config: RunConfigFacts | undefined): Omit<RunFolder, 'events' | 'skipped'> {
  const { summary, problem } = readSummaryFile(runDir);
  const meta = readRunMeta(runDir);
  return {
    runId: path.basename(runDir),
    runDir,
    summary,
    summaryProblem: problem,
    heartbeat: summary ? undefined : readHeartbeat(runDir),
    eventsMtimeMs: fsTailIo.stat(path.join(runDir, FILES.events))?.mtimeMs,
    meta: meta.meta,
    metaProblem: meta.problem,
    config,
  };
}

/** Reads run folders, remembering each one's events.jsonl offset and fold between reads. */
export class RunFolderReader {
  private readonly tails = new Map<string, EventsTail<RunEventsFold>>();
  /** config.json's facts, once it is there. */
  private readonly configs = new Map<string, RunConfigFacts>();
  private readonly touched = new Set<string>();

  constructor(private readonly io?: TailIo) {}

  read(runDir: string): RunFolder {
    let tail = this.tails.get(runDir);
    if (!tail) this.tails.set(runDir, (tail = new EventsTail<RunEventsFold>(path.join(runDir, FILES.events), {}, foldRunEvent, this.io)));
    this.touched.add(runDir);
    const { state, skipped, mtimeMs } = tail.read();
    let config = this.configs.get(runDir);
    if (!config && (config = readConfigFacts(runDir))) this.configs.set(runDir, config);
    return { ...readRunFiles(runDir, config), events: state, skipped, eventsMtimeMs: mtimeMs };
  }

  /** Forgets the folders not read since the last prune (deleted runs, folded sweeps). */
  prune(): void {
    for (const dir of this.tails.keys()) if (!this.touched.has(dir)) this.tails.delete(dir);
    for (const dir of this.configs.keys()) if (!this.touched.has(dir)) this.configs.delete(dir);
    this.touched.clear();
  }
}

/** One read of a run folder, from the start of its events (for readers that look once). */
export function readRunFolder(runDir: string): RunFolder {
  return new RunFolderReader().read(runDir);
}
