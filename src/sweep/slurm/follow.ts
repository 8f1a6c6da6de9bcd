/**
 * Following a Slurm sweep from its folder alone: `distill sweep status <dir>` (one poll, or
 * `--watch`), `distill sweep <kd.json> --executor slurm --wait`, the sweep view. Each poll asks
 * the scheduler once for every job of the sweep (scheduler.ts), folds the answer and the trial
 * folders into sweep.json (reconcile.ts) and rewrites it atomically when anything changed.
 * Polls back off while nothing changes (2, 4, 8 … s, capped), and start over at the shortest
 * interval when something did. A trial that requeued itself is let start at once (releaseRequeued). `cancelSweep` cancels the jobs (`distill sweep cancel`, Stop).
 */
import { readSweep, type SweepFile } from '../../protocol/sweep';
import { writeSweepFile } from '../runSweep';
import { readTaskRecord, reconcileSweep } from './reconcile';
import { queryStates, runCommand, type Run, type TaskState } from './scheduler';

export interface FollowOptions {
  /** Called after every poll that changed sweep.json. */
  onUpdate?: (s: SweepFile) => void;
  /** Back-off bounds, seconds (default 2 and 30). */
  minSeconds?: number;
  maxSeconds?: number;
  run?: Run;
  /** Stops following (the sweep goes on). */
  signal?: AbortSignal;
}

/** One poll: sweep.json as it stands now, brought up to date with the scheduler and the trial folders. */
export async function refreshSweep(dir: string, run: Run = runCommand): Promise<{ sweep: SweepFile; changed: boolean } | undefined> {
  const sweep = readSweep(dir);
  if (!sweep) return undefined;
  if (sweep.executor?.type !== 'slurm' || sweep.status !== 'running') return { sweep, changed: false };
  const { states, via } = await queryStates(sweep.executor.jobs, run);
  await releaseRequeued(sweep, dir, states, run);
  const changed = reconcileSweep(sweep, dir, states) || sweep.executor.via !== via;
  sweep.executor.via = via;
  if (changed) writeSweepFile(dir, sweep);
  return { sweep, changed };
}

/**
 * Slurm holds a requeued job back for about two minutes (its BeginTime) before it may start
 * again; a trial that requeued itself after USR2 has its checkpoint and nothing to wait for, so
 * a follower lets it start at once. Unfollowed, it starts after Slurm's delay.
 */
async function releaseRequeued(sweep: SweepFile, dir: string, states: Map<number, TaskState>, run: Run): Promise<void> {
  const jobs = sweep.executor!.jobs;
  for (const [i, s] of states) {
    if (s.state !== 'PENDING' || (s.reason && s.reason !== 'BeginTime') || !readTaskRecord(dir, sweep, i)?.requeues) continue;
    const id = jobs.first?.trialIndex === i ? jobs.first.jobId : `${jobs.array!.jobId}_${i}`;
    await run('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Polls until the sweep has ended (or `signal` aborts) and returns its last sweep.json. */
export async function followSweep(dir: string, o: FollowOptions = {}): Promise<SweepFile | undefined> {
  const min = o.minSeconds ?? 2;
  const max = o.maxSeconds ?? 30;
  let wait = min;
  for (;;) {
    const r = await refreshSweep(dir, o.run);
    if (!r) return undefined;
    if (r.changed) o.onUpdate?.(r.sweep);
    if (r.sweep.status !== 'running' || o.signal?.aborted) return r.sweep;
    wait = r.changed ? min : Math.min(max, wait * 2);
    await sleep(wait * 1000, o.signal);
  }
}

/** Cancels every job of a Slurm sweep; sweep.json then says "stopped" once Slurm has ended them. */
export async function cancelSweep(dir: string, run: Run = runCommand): Promise<{ ok: boolean; message: string }> {
  const sweep = readSweep(dir);
  if (!sweep) return { ok: false, message: `${dir} holds no sweep.json` };
  if (sweep.executor?.type !== 'slurm') return { ok: false, message: `${dir} is a sweep on this machine: stop it where it runs (Ctrl+C, or Stop in VS Code)` };
  if (sweep.status !== 'running') return { ok: true, message: `the sweep has already ended (${sweep.status})` };
  const ids = [sweep.executor.jobs.array?.jobId, sweep.executor.jobs.first?.jobId].filter((j): j is string => !!j);
  const r = await run('scancel', ids);
  if (!r.ok) return { ok: false, message: `scancel ${ids.join(' ')} failed: ${r.stderr.trim()}` };
  sweep.executor.cancelledAt = new Date().toISOString();
  writeSweepFile(dir, sweep);
  return { ok: true, message: `cancelled jobs ${ids.join(', ')}` };
}
