/**
 * The one reader of a run folder for everything that shows a run (the Runs tree, the
 * dashboard, the status bar, the tests): summary.json checked (a torn or foreign one reads as
 * an unreadable summary, with the file named), heartbeat.json, and events.jsonl folded into
 * what a run's row needs (its start, its end, its progress, its last step). A RunFolderReader
 * keeps one EventsTail per folder, so a view that re-reads every few hundred milliseconds
 * reads only what the engines appended. The status of what is read: runStatus.ts runStatusOf.
 */
import * as path from 'node:path';
import type { EngineMessage, RunEvent, RunFinishedEvent, RunStartedEvent, RunSummary, StageName, StepEvent } from './events';
import { EventsTail, fsTailIo, type TailIo } from './eventsTail';
import { FILES, readSummaryFile } from './runFolder';
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
}

/** A run folder's summary and heartbeat, and when its events last changed; for readers that fold the events themselves (the dashboard). */
export function readRunFiles(runDir: string): Omit<RunFolder, 'events' | 'skipped'> {
  const { summary, problem } = readSummaryFile(runDir);
  return {
    runId: path.basename(runDir),
    runDir,
    summary,
    summaryProblem: problem,
    heartbeat: summary ? undefined : readHeartbeat(runDir),
    eventsMtimeMs: fsTailIo.stat(path.join(runDir, FILES.events))?.mtimeMs,
  };
}

/** Reads run folders, remembering each one's events.jsonl offset and fold between reads. */
export class RunFolderReader {
  private readonly tails = new Map<string, EventsTail<RunEventsFold>>();
  private readonly touched = new Set<string>();

  constructor(private readonly io?: TailIo) {}

  read(runDir: string): RunFolder {
    let tail = this.tails.get(runDir);
    if (!tail) this.tails.set(runDir, (tail = new EventsTail<RunEventsFold>(path.join(runDir, FILES.events), {}, foldRunEvent, this.io)));
    this.touched.add(runDir);
    const { state, skipped, mtimeMs } = tail.read();
    return { ...readRunFiles(runDir), events: state, skipped, eventsMtimeMs: mtimeMs };
  }

  /** Forgets the folders not read since the last prune (deleted runs, folded sweeps). */
  prune(): void {
    for (const dir of this.tails.keys()) if (!this.touched.has(dir)) this.tails.delete(dir);
    this.touched.clear();
  }
}

/** One read of a run folder, from the start of its events (for readers that look once). */
export function readRunFolder(runDir: string): RunFolder {
  return new RunFolderReader().read(runDir);
}
