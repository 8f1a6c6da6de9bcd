/**
 * What state a run folder is in, from disk alone, so that the tree tells the truth after a
 * window reload, for runs started by the CLI, and for engines that died without a word:
 *
 *   summary.json            → its status (done, failed, stopped, crashed)
 *   fresh heartbeat + pid   → running
 *   otherwise               → crashed (the engine stopped beating without a summary)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunStatus, RunSummary, StepEvent } from './events';
import { FILES, readEvents, readSummary } from './runFolder';

/** The engine rewrites heartbeat.json this often… */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** …and a heartbeat older than this means the engine is gone. */
export const HEARTBEAT_STALE_MS = 15_000;

export interface Heartbeat {
  pid: number;
  time: string;
  stage?: string;
  epoch?: number;
  step?: number;
  totalSteps?: number;
}

export interface RunState {
  status: RunStatus;
  summary?: RunSummary;
  heartbeat?: Heartbeat;
  lastStep?: StepEvent;
  /** Why a run counts as crashed. */
  reason?: string;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readHeartbeat(runDir: string): Heartbeat | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, FILES.heartbeat), 'utf8')) as Heartbeat;
  } catch {
    return undefined;
  }
}

export function runStateOf(runDir: string, now = Date.now(), alive: (pid: number) => boolean = pidAlive): RunState {
  const summary = readSummary(runDir);
  if (summary) return { status: summary.status, summary };
  const heartbeat = readHeartbeat(runDir);
  const lastStep = lastStepOf(runDir);
  if (heartbeat) {
    const age = now - Date.parse(heartbeat.time);
    if (age < HEARTBEAT_STALE_MS && alive(heartbeat.pid)) return { status: 'running', heartbeat, lastStep };
    return { status: 'crashed', heartbeat, lastStep, reason: `the engine (pid ${heartbeat.pid}) stopped without a result; last heartbeat ${new Date(heartbeat.time).toLocaleString()}` };
  }
  // No heartbeat yet: a run that has only just started.
  let mtime = 0;
  try {
    mtime = fs.statSync(path.join(runDir, FILES.events)).mtimeMs;
  } catch {
    /* no events either */
  }
  if (now - mtime < HEARTBEAT_STALE_MS) return { status: 'running', lastStep };
  return { status: 'crashed', lastStep, reason: 'the engine stopped without a result or a heartbeat' };
}

function lastStepOf(runDir: string): StepEvent | undefined {
  const { events } = readEvents(runDir);
  for (let i = events.length - 1; i >= 0; i--) if (events[i].type === 'step') return events[i] as StepEvent;
  return undefined;
}
