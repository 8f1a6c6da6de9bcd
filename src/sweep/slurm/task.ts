/**
 * One trial inside its Slurm job (`distill sweep-task <sweep folder> <trial index>`, what
 * slurm/task.sh runs): the same engine run a local sweep's trial is, into the same trial folder,
 * with the same teacher-logits cache. A requeued task resumes its trial from its last checkpoint
 * (`distill resume`'s engine job); one that had not reached its first checkpoint starts over.
 *
 * USR2 (sbatch --signal=B:USR2@N before the time limit, or a preemption warning: `scancel
 * --batch --signal=USR2`) stops the engine after its step (it has a checkpoint from its last
 * epoch), and the task requeues itself with `scontrol requeue`, up to `maxRequeues` times;
 * after that the trial ends stopped and the sweep reports it failed. The job's exit code tells
 * the scheduler done (0) or not (1); the trial folder's summary.json tells the sweep the rest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { recordAbnormalExit } from '../../client/abnormalExit';
import { EngineProcess } from '../../client/engineProcess';
import type { NewRunJob, ResumeJob } from '../../protocol/engineArgs';
import type { EngineMessage } from '../../protocol/events';
import { readSummary } from '../../protocol/runFolder';
import { readSweep } from '../../protocol/sweep';
import { CACHE_DIR_ENV } from '../../protocol/teacherCacheDir';
import { threadsOfSlurmTask } from '../../protocol/threads';
import { readTaskRecord, taskRecordName, type TaskRecord } from './reconcile';
import { runCommand } from './scheduler';

/** How long a stopping engine may take to finish its step and write its summary (Slurm's KillWait comes after USR2's lead time). */
const STOP_GRACE_MS = 60_000;

const log = (line: string) => process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);

/** A checkpoint to resume from: a finished checkpoint folder (not a leftover temporary one). */
function hasCheckpoint(runDir: string): boolean {
  try {
    return fs.readdirSync(path.join(runDir, 'checkpoints')).some((n) => !n.startsWith('.'));
  } catch {
    return false;
  }
}

/** This task's id for scontrol: the array task's own, else the job's. */
function ownJobId(env = process.env): string | undefined {
  return env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : env.SLURM_JOB_ID;
}

export async function runSweepTask(sweepDir: string, trialIndex: number, o: { enginePath: string; backend?: string }): Promise<number> {
  const dir = path.resolve(sweepDir);
  const sweep = readSweep(dir);
  const trial = sweep?.trials[trialIndex];
  if (!sweep?.executor || !trial) {
    process.stderr.write(`${dir}: no Slurm sweep with a trial ${trialIndex} here\n`);
    return 2;
  }
  const runDir = path.join(dir, trial.runDir);
  const recordFile = path.join(dir, sweep.executor.logDir, taskRecordName(trialIndex));
  const record: TaskRecord = readTaskRecord(dir, sweep, trialIndex) ?? { requeues: 0 };
  const saveRecord = () => writeFileAtomic.sync(recordFile, JSON.stringify(record, null, 2) + '\n');
  if (readSummary(runDir)?.status === 'done') {
    log(`${trial.id}: already done`);
    return 0;
  }
  let job: NewRunJob | ResumeJob;
  if (hasCheckpoint(runDir)) {
    job = { kind: 'resume', runDir };
    record.resumedAt = new Date().toISOString();
    saveRecord();
    log(`${trial.id}: resuming from its last checkpoint (attempt ${record.requeues + 1})`);
  } else {
    // An earlier attempt that ended before its first checkpoint left nothing to resume.
    fs.rmSync(runDir, { recursive: true, force: true });
    job = { kind: 'run', configPath: path.join(dir, trial.configFile), runDir };
    log(`${trial.id}: starting on ${process.env.SLURMD_NODENAME ?? 'this node'}`);
  }

  const engine = new EngineProcess({
    enginePath: o.enginePath,
    launch: { backend: o.backend, threads: threadsOfSlurmTask() },
    job,
    env: { [CACHE_DIR_ENV]: sweep.teacherCache.dir },
  });
  engine.onStderr((t) => process.stderr.write(t));
  engine.onMessage((m: EngineMessage) => {
    if (m.type === 'log') log(m.message);
    else if (m.type === 'epoch') log(`${m.stage} epoch ${m.epoch}/${m.epochs}: loss ${m.loss.toFixed(4)}, validation ${(m.valAccuracy * 100).toFixed(2)}%`);
    else if (m.type === 'engine_failed') log(`engine failed: ${m.message}`);
  });
  let signalled = false;
  process.on('SIGUSR2', () => {
    signalled = true;
    record.signalledAt = new Date().toISOString();
    log(`${trial.id}: USR2 (preemption or time limit ahead): stopping after this step, from the last checkpoint on requeue`);
    void engine.stop(STOP_GRACE_MS);
  });
  // scancel and the time limit itself: stop cleanly while Slurm's KillWait lasts.
  process.on('SIGTERM', () => void engine.stop(STOP_GRACE_MS));

  const exit = await engine.exited;
  const summary = readSummary(runDir) ?? recordAbnormalExit(runDir, exit);
  if (summary?.status === 'done') {
    log(`${trial.id}: done`);
    return 0;
  }
  if (signalled && summary?.status === 'stopped') {
    const bound = sweep.executor.options.maxRequeues;
    if (record.requeues >= bound) {
      log(`${trial.id}: stopped, and not requeued: it requeued ${record.requeues} times already (maxRequeues ${bound})`);
      return 1;
    }
    record.requeues++;
    saveRecord();
    const id = ownJobId();
    const r = id ? await runCommand('scontrol', ['requeue', id]) : { ok: false, stderr: 'no SLURM_JOB_ID', stdout: '' };
    if (!r.ok) {
      log(`${trial.id}: could not requeue itself: ${r.stderr.trim()}`);
      return 1;
    }
    log(`${trial.id}: requeued (${record.requeues} of at most ${bound})`);
    return 0;
  }
  log(
    `${trial.id}: ${summary ? `${summary.status}${summary.error ? `: ${summary.error}` : ''}` : `the engine ended without a result (${exit.signal ?? exit.code})`}`,
  );
  if (exit.stderrTail.trim()) log(`engine stderr: ${exit.stderrTail.trim().split('\n').slice(-5).join(' / ')}`);
  return 1;
}
