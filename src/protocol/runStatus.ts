/**
 * What state a run folder is in, from disk alone, so that the tree, the dashboard and the
 * CLI tell the truth after a window reload, for runs started by the CLI, and for engines
 * that died without a word. The one place this rule lives (runStatusOf, engineState):
 *
 *   summary.json (or a run_finished event) → its status (done, failed, stopped, crashed)
 *   launched by this process               → what its launcher knows (queued, running; exited → crashed)
 *   heartbeat, that engine's pid alive:
 *     fresh                               → running
 *     stale (stopped, swapped out, hung)  → not-responding (the process still lives)
 *   heartbeat, pid gone or another process → crashed
 *   no heartbeat yet: events.jsonl recent → running (the engine is starting); else crashed
 *
 * "That engine" is checked by the process's start time where /proc tells it (Linux): a pid
 * reused by another process after the engine died does not keep a run alive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunFinishedEvent, RunStatus, RunSummary } from './events';
import { FILES } from './runFolder';

/** The engine rewrites heartbeat.json this often… */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** …and a heartbeat older than this means the engine is not responding (or gone, if its pid is). */
export const HEARTBEAT_STALE_MS = 15_000;
/** Before its first heartbeat, an engine that wrote events this recently is taken to be starting. */
export const FIRST_BEAT_WINDOW_MS = 60_000;

export interface Heartbeat {
  pid: number;
  /** The engine process's start time as /proc/<pid>/stat gives it (clock ticks since boot), where known. */
  procStart?: string;
  time: string;
  stage?: string;
  epoch?: number;
  step?: number;
  totalSteps?: number;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fields 3… of /proc/<pid>/stat, or undefined where there is no /proc. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's start time from /proc/<pid>/stat (field 22), or undefined where there is no /proc. */
export function processStartOf(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** Alive, and not a zombie (killed, waiting for its parent to reap it: as dead as an engine gets). */
export function processLives(pid: number): boolean {
  return pidAlive(pid) && procStat(pid)?.[0] !== 'Z';
}

/** How a reader asks about a process (injected in tests). */
export interface EngineProbe {
  alive: (pid: number) => boolean;
  startOf?: (pid: number) => string | undefined;
}

export const systemProbe: EngineProbe = { alive: processLives, startOf: processStartOf };

/** Whether the heartbeat's process is alive and is the engine that wrote it (not a reused pid). */
export function isHeartbeatProcess(beat: Pick<Heartbeat, 'pid' | 'procStart'>, probe: EngineProbe = systemProbe): boolean {
  if (!probe.alive(beat.pid)) return false;
  const now = beat.procStart !== undefined ? probe.startOf?.(beat.pid) : undefined;
  return now === undefined || now === beat.procStart;
}

export type LiveState = { status: 'running' | 'not-responding' | 'crashed'; reason?: string };

/** The rule for a run folder without a summary (see the header). */
export function engineState(
  o: { heartbeat?: Heartbeat; eventsMtimeMs?: number },
  nowMs: number,
  probe: EngineProbe = systemProbe,
  staleMs = HEARTBEAT_STALE_MS,
): LiveState {
  const beat = o.heartbeat;
  if (beat) {
    const when = new Date(beat.time).toLocaleString();
    if (!isHeartbeatProcess(beat, probe)) return { status: 'crashed', reason: `the engine (pid ${beat.pid}) stopped without a result; last heartbeat ${when}` };
    const age = nowMs - Date.parse(beat.time);
    if (age < staleMs) return { status: 'running' };
    return {
      status: 'not-responding',
      reason: `the engine (pid ${beat.pid}) is still there but has not written a heartbeat for ${Math.round(age / 1000)} s (stopped, swapped out, or hung); last heartbeat ${when}`,
    };
  }
  if (o.eventsMtimeMs !== undefined && nowMs - o.eventsMtimeMs < FIRST_BEAT_WINDOW_MS) return { status: 'running' };
  return { status: 'crashed', reason: 'the engine stopped without a result or a heartbeat' };
}

/** heartbeat.json, if it is one (a foreign or torn file is no heartbeat). */
export function readHeartbeat(runDir: string): Heartbeat | undefined {
  try {
    const beat = JSON.parse(fs.readFileSync(path.join(runDir, FILES.heartbeat), 'utf8')) as Heartbeat;
    return beat && Number.isInteger(beat.pid) && beat.pid > 0 && typeof beat.time === 'string' && !Number.isNaN(Date.parse(beat.time)) ? beat : undefined;
  } catch {
    return undefined;
  }
}

/** What the process that launched a run knows of it (the extension's RunManager), if it launched it. */
export type LauncherState = 'queued' | 'running' | 'finished';

/** What the status of a run folder is decided from (runReader.ts RunFolder provides it). */
export interface StatusInputs {
  summary?: RunSummary;
  events?: { finished?: RunFinishedEvent };
  heartbeat?: Heartbeat;
  eventsMtimeMs?: number;
}

export interface StatusOptions {
  launcher?: LauncherState;
  now?: number;
  probe?: EngineProbe;
  staleMs?: number;
}

/**
 * The status of a run folder, in order: a summary or a run_finished event is final; else the
 * launcher, if this process launched it, knows (queued, running; exited without a result is
 * crashed); else engineState, the rule for an engine elsewhere.
 */
export function runStatusOf(o: StatusInputs, opts: StatusOptions = {}): { status: RunStatus; reason?: string } {
  if (o.summary) return { status: o.summary.status };
  const finished = o.events?.finished;
  if (finished) return { status: finished.status };
  if (opts.launcher === 'queued' || opts.launcher === 'running') return { status: opts.launcher };
  if (opts.launcher === 'finished') return { status: 'crashed', reason: 'the engine exited without a result' };
  return engineState(o, opts.now ?? Date.now(), opts.probe, opts.staleMs);
}
