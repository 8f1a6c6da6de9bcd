/**
 * What Slurm says about a sweep's jobs, by trial index: the one place that runs and reads
 * sacct, squeue and scontrol. One batched `sacct` for every job of the sweep where accounting
 * is there (real clusters run slurmdbd); where it is not (sacct missing, or "accounting storage
 * is disabled"), one `squeue` for the jobs still queued or running and `scontrol show job` for
 * those that ended a short while ago (Slurm forgets them after MinJobAge).
 *
 * A sweep's jobs: a first job for the trial that trains the teacher or computes its logits, and
 * one job array whose task indices are the other trials' indices in sweep.json.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The sweep's jobs as sweep.json records them (SweepFile.executor). */
export interface SlurmJobs {
  /** The first job: one trial, which the array waits for (afterok). */
  first?: { jobId: string; trialIndex: number };
  /** The array: task index = trial index. */
  array?: { jobId: string; trialIndices: number[] };
}

export interface TaskState {
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, PREEMPTED, NODE_FAIL, CANCELLED, OUT_OF_MEMORY … */
  state: string;
  /** Why it waits (squeue/scontrol), e.g. "Resources", "Dependency". */
  reason?: string;
}

export type Run = (cmd: string, args: string[]) => Promise<{ ok: boolean; stdout: string; stderr: string; missing?: boolean }>;

/** Runs a Slurm command; `missing`: it is not on the PATH. */
export const runCommand: Run = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ ok: !err, stdout: stdout ?? '', stderr: stderr ?? String(err ?? ''), missing: code === 'ENOENT' });
    });
  });

/** A job id as Slurm prints it ("12", "12_3", "12_[4-7%2]", "12_[1,3-5]") → the base id and its task indices (none: not an array task). */
export function parseJobId(text: string): { jobId: string; tasks?: number[] } {
  const m = /^(\d+)(?:_(\d+|\[([^\]]*)\]))?/.exec(text.trim());
  if (!m) return { jobId: text.trim() };
  if (m[2] === undefined) return { jobId: m[1] };
  if (m[3] === undefined) return { jobId: m[1], tasks: [Number(m[2])] };
  return { jobId: m[1], tasks: parseIndexList(m[3]) };
}

/** "1,3-5%2" → [1, 3, 4, 5] (the %K throttle dropped). */
export function parseIndexList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split('%')[0].split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let i = a; i <= (Number.isInteger(b) ? b : a); i++) out.push(i);
  }
  return out;
}

/** [0, 1, 2, 5, 7, 8] → "0-2,5,7-8": sbatch --array's list. */
export function indexList(indices: number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Puts a job's state under the trials it stands for: the first job's trial, or the array's task indices. */
function assign(out: Map<number, TaskState>, jobs: SlurmJobs, idText: string, s: TaskState): void {
  const { jobId, tasks } = parseJobId(idText);
  if (jobs.first && jobId === jobs.first.jobId && !tasks) out.set(jobs.first.trialIndex, s);
  else if (jobs.array && jobId === jobs.array.jobId) {
    // A pending array not yet split into tasks is listed as the bare array id in some versions.
    for (const t of tasks ?? jobs.array.trialIndices) if (jobs.array.trialIndices.includes(t)) out.set(t, s);
  }
}

const jobIdsOf = (jobs: SlurmJobs) => [jobs.first?.jobId, jobs.array?.jobId].filter((j): j is string => !!j);

/** "CANCELLED by 0" → "CANCELLED". */
const stateWord = (s: string) => s.trim().split(/\s+/)[0].replace(/\+$/, '');

/**
 * One sacct for every job of the sweep: undefined where sacct cannot answer (not installed,
 * accounting disabled, slurmdbd down), so the caller takes the squeue path.
 */
export async function statesFromSacct(jobs: SlurmJobs, run: Run = runCommand): Promise<Map<number, TaskState> | undefined> {
  const ids = jobIdsOf(jobs);
  if (!ids.length) return new Map();
  const r = await run('sacct', ['-n', '-P', '-X', '-j', ids.join(','), '-o', 'JobID,State']);
  if (!r.ok) return undefined;
  const out = new Map<number, TaskState>();
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.split('|');
    if (id && state) assign(out, jobs, id, { state: stateWord(state) });
  }
  return out;
}

/** squeue for the jobs still queued or running, `scontrol show job` for the rest (while Slurm remembers them). */
export async function statesFromSqueue(jobs: SlurmJobs, run: Run = runCommand): Promise<Map<number, TaskState>> {
  const out = new Map<number, TaskState>();
  const ids = jobIdsOf(jobs);
  if (!ids.length) return out;
  // -r: one line per array task, pending ones too. An id Slurm no longer knows fails the call: scontrol covers those.
  const q = await run('squeue', ['-h', '-r', '-j', ids.join(','), '-o', '%i|%T|%r']);
  if (q.missing) throw new Error('neither sacct nor squeue is on the PATH: is this a Slurm login node?');
  if (q.ok)
    for (const line of q.stdout.split('\n')) {
      const [id, state, reason] = line.split('|');
      if (id && state) assign(out, jobs, id, { state: stateWord(state), ...(reason && reason !== 'None' ? { reason } : {}) });
    }
  const wanted = [...(jobs.first ? [jobs.first.trialIndex] : []), ...(jobs.array?.trialIndices ?? [])];
  if (wanted.every((i) => out.has(i))) return out;
  for (const id of ids) {
    const s = await run('scontrol', ['show', 'job', '-o', id]);
    if (!s.ok) continue;
    for (const line of s.stdout.split('\n')) {
      const f = Object.fromEntries(line.split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (!f.JobId || !f.JobState) continue;
      const idText = f.ArrayJobId && f.ArrayTaskId ? `${f.ArrayJobId}_${/^\d+$/.test(f.ArrayTaskId) ? f.ArrayTaskId : `[${f.ArrayTaskId}]`}` : f.JobId;
      const state: TaskState = { state: stateWord(f.JobState), ...(f.Reason && f.Reason !== 'None' ? { reason: f.Reason } : {}) };
      const before = new Map(out);
      assign(out, jobs, idText, state);
      // What squeue said about a live task stands.
      for (const [k, v] of before) out.set(k, v);
    }
  }
  return out;
}

/** The states by trial index, and which path answered: sacct where it can, else squeue + scontrol. */
export async function queryStates(jobs: SlurmJobs, run: Run = runCommand): Promise<{ states: Map<number, TaskState>; via: 'sacct' | 'squeue' }> {
  const viaSacct = await statesFromSacct(jobs, run);
  if (viaSacct) return { states: viaSacct, via: 'sacct' };
  return { states: await statesFromSqueue(jobs, run), via: 'squeue' };
}

/** Slurm's states as a trial's: waiting, running, or ended (how it ended is the trial folder's summary, else the state). */
export function phaseOf(state: string): 'queued' | 'running' | 'ended' {
  if (['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING'].includes(state)) return 'running';
  if (['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'CONFIGURING', 'SUSPENDED', 'RESIZING', 'RESV_DEL_HOLD', 'STOPPED'].includes(state))
    return 'queued';
  return 'ended';
}

/** Whether `cmd` (sbatch) is on the PATH: where it is, Start Sweep offers Slurm. */
export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
