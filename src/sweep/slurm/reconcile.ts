/**
 * A Slurm sweep's sweep.json brought up to date: the scheduler's states (scheduler.ts) and the
 * trial folders together give each trial's status. How a trial ended is its run folder's
 * summary.json, written by the same engine a local trial runs (so its accuracies are the ones a
 * local sweep records); a task that ended without one failed, with its state and the tail of
 * its job log. Once every trial has ended the sweep is finished: done, failed, or stopped when
 * it was cancelled. The statistics are summarizeSweep's, as for a local sweep.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineMessage } from '../../protocol/events';
import { readEvents, readSummary } from '../../protocol/runFolder';
import { summarizeSweep, type SweepFile, type SweepTrial } from '../../protocol/sweep';
import { trialResultFrom, trialTeacherLogits } from '../runSweep';
import { phaseOf, type TaskState } from './scheduler';

/** Lines of a job's log a failed trial's error quotes. */
const LOG_TAIL_LINES = 5;

export const taskLogName = (trialIndex: number) => `task-${trialIndex}.log`;

/** The last lines of a trial's job log, joined with " / ". */
export function logTail(sweepDir: string, sweep: SweepFile, trialIndex: number, lines = LOG_TAIL_LINES): string {
  if (!sweep.executor) return '';
  try {
    const text = fs.readFileSync(path.join(sweepDir, sweep.executor.logDir, taskLogName(trialIndex)), 'utf8');
    return text.trim().split('\n').slice(-lines).join(' / ');
  } catch {
    return '';
  }
}

export const taskRecordName = (trialIndex: number) => `task-${trialIndex}.json`;

/** What a trial's task records of itself (task.ts): how often it requeued itself. */
export interface TaskRecord {
  requeues: number;
  /** When it was last told to checkpoint and go (USR2), and when it started again. */
  signalledAt?: string;
  resumedAt?: string;
}

export function readTaskRecord(sweepDir: string, sweep: SweepFile, trialIndex: number): TaskRecord | undefined {
  if (!sweep.executor) return undefined;
  try {
    return JSON.parse(fs.readFileSync(path.join(sweepDir, sweep.executor.logDir, taskRecordName(trialIndex)), 'utf8')) as TaskRecord;
  } catch {
    return undefined;
  }
}

const requeuesOf = (sweepDir: string, sweep: SweepFile, i: number) => readTaskRecord(sweepDir, sweep, i)?.requeues ?? 0;

const ended = (t: SweepTrial) => t.status === 'done' || t.status === 'failed' || t.status === 'stopped';

/** Fills `trial` from its run folder's summary.json; false when there is none yet. */
function fromRunFolder(sweep: SweepFile, sweepDir: string, trial: SweepTrial): boolean {
  const runDir = path.join(sweepDir, trial.runDir);
  const summary = readSummary(runDir);
  if (!summary || summary.status === 'running') return false;
  trialResultFrom(sweep, trial, summary);
  // What the trial did with the teacher's logits, from the same typed event a local sweep reads.
  let logits: SweepTrial['teacherLogits'];
  for (const e of readEvents(runDir).events) logits = trialTeacherLogits(logits, e as EngineMessage);
  if (logits) trial.teacherLogits = logits;
  return true;
}

/**
 * Applies the scheduler's `states` (by trial index) and the trial folders to `sweep`; true when
 * anything changed. A trial Slurm says nothing about keeps its status, unless its folder has ended.
 */
export function reconcileSweep(sweep: SweepFile, sweepDir: string, states: Map<number, TaskState>, now = new Date()): boolean {
  const before = JSON.stringify(sweep.trials) + sweep.status;
  const cancelled = !!sweep.executor?.cancelledAt;
  sweep.trials.forEach((trial, i) => {
    if (ended(trial)) return;
    const s = states.get(i);
    const requeues = requeuesOf(sweepDir, sweep, i);
    if (s) trial.scheduler = { state: s.state, ...(s.reason ? { reason: s.reason } : {}), ...(requeues ? { requeues } : {}) };
    const phase = s ? phaseOf(s.state) : undefined;
    if (phase === 'queued') {
      trial.status = 'queued';
      return;
    }
    if (phase === 'running') {
      trial.status = 'running';
      return;
    }
    if (phase === 'ended' || cancelled) {
      if (fromRunFolder(sweep, sweepDir, trial)) {
        // A trial stopped by its requeue bound or a cancel has no result: it failed, or was stopped with the sweep.
        if (trial.status === 'stopped' && !cancelled) {
          trial.status = 'failed';
          trial.error = `stopped and not requeued (${s?.state ?? 'ended'}): ${logTail(sweepDir, sweep, i, 2) || 'no log'}`;
        }
        return;
      }
      if (!phase && !cancelled) return;
      trial.status = cancelled ? 'stopped' : 'failed';
      const tail = logTail(sweepDir, sweep, i);
      trial.error = `${s?.state ?? 'CANCELLED'} without a result${tail ? `: ${tail}` : ' (no job log)'}`;
    }
  });
  sweep.teacherCache.hits = sweep.trials.filter((t) => t.teacherLogits === 'cache-hit').length;
  sweep.teacherCache.computed = sweep.trials.filter((t) => t.teacherLogits === 'computed').length;
  if (sweep.status === 'running' && sweep.trials.every(ended)) {
    sweep.status = cancelled ? 'stopped' : sweep.trials.every((t) => t.status === 'done') ? 'done' : 'failed';
    sweep.endedAt = now.toISOString();
    sweep.durationSec = (now.getTime() - Date.parse(sweep.startedAt)) / 1000;
    const failed = sweep.trials.filter((t) => t.status === 'failed').map((t) => t.id);
    if (failed.length)
      sweep.notes.push(
        `${failed.length} trial${failed.length > 1 ? 's' : ''} failed on the cluster: ${failed.join(', ')} (their job logs: ${sweep.executor?.logDir})`,
      );
  }
  summarizeSweep(sweep);
  return JSON.stringify(sweep.trials) + sweep.status !== before;
}
