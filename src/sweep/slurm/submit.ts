/**
 * Submits a sweep's trials to Slurm, without waiting for them: one job script in the sweep
 * folder (slurm/task.sh: the setup lines, then `distill sweep-task <sweep folder> <trial index>`),
 * a first job for the trial that trains the teacher or computes its logits, and one job array
 * for every other trial (task index = trial index), which waits for the first (afterok). The
 * job ids go into sweep.json (SweepFile.executor), so `distill sweep status` and the sweep view
 * find the jobs again from the folder alone, after the terminal or VS Code was closed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SlurmExecutorSpec } from '../../protocol/config';
import type { SlurmSweepRecord, SweepFile } from '../../protocol/sweep';
import { taskLogName } from './reconcile';
import { indexList, runCommand, type Run } from './scheduler';

export const SLURM_DIR = 'slurm';
export const TASK_SCRIPT = 'task.sh';

export interface SubmitOptions {
  /** dist/cli.js: what each task runs (the sweep folder and this install are on the cluster's shared filesystem). */
  cliPath: string;
  /** The Node binary the tasks run (after the setup lines); default: this one. */
  nodePath?: string;
  /** The engine's tfjs backend, when the sweep forces one. */
  backend?: string;
  run?: Run;
}

/** Single quotes for the shell. */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The trial the array waits for: the first, as a local sweep's first trial runs before the
 * others: it trains the teacher when it has no saved weights, and computes the teacher's logits
 * into the shared cache that every later trial reads. None for an empty sweep.
 */
export function firstTrialIndex(sweep: SweepFile): number | undefined {
  return sweep.trials.length ? 0 : undefined;
}

/** sbatch's arguments every job of the sweep shares (the options'), before the script. */
export function sbatchArgs(o: SlurmExecutorSpec, name: string): string[] {
  return [
    '--parsable',
    `--job-name=${name}`,
    // A trial requeues itself on USR2 (task.ts), sent this long before its time limit; the log goes on across attempts.
    '--requeue',
    '--open-mode=append',
    `--signal=B:USR2@${o.signalSeconds}`,
    `--cpus-per-task=${o.cpusPerTask}`,
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...(o.qos ? [`--qos=${o.qos}`] : []),
    ...(o.time ? [`--time=${o.time}`] : []),
    ...(o.mem ? [`--mem=${o.mem}`] : []),
    ...(o.gpus ? [`--gpus-per-task=${o.gpus}`] : []),
    ...o.sbatchArgs,
  ];
}

function taskScript(sweepDir: string, o: SlurmExecutorSpec, so: SubmitOptions): string {
  const node = so.nodePath ?? process.execPath;
  return [
    '#!/bin/bash',
    `# One trial of the Distillery sweep in ${sweepDir}: written by distill sweep --executor slurm.`,
    '# The trial is the array task index (or, for the first job, the argument).',
    ...o.setup,
    // VS Code's Node is Electron run as Node.
    'export ELECTRON_RUN_AS_NODE=1',
    `exec ${sh(node)} ${sh(so.cliPath)} sweep-task ${sh(sweepDir)} "\${SLURM_ARRAY_TASK_ID:-$1}"${so.backend ? ` --backend ${sh(so.backend)}` : ''}`,
    '',
  ].join('\n');
}

/** `sbatch --parsable` prints "<id>" or "<id>;<cluster>". */
async function sbatch(run: Run, args: string[]): Promise<string> {
  const r = await run('sbatch', args);
  if (r.missing) throw new Error('sbatch is not on the PATH: run the sweep on a Slurm login node, or with --executor local');
  const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
  if (!r.ok || !id) throw new Error(`sbatch refused the sweep's jobs: ${(r.stderr || r.stdout).trim()}`);
  return id;
}

/** sweep.json's record of a Slurm sweep before its jobs are submitted: a task that starts reads it. */
export function slurmRecord(o: SlurmExecutorSpec): SlurmSweepRecord {
  return { type: 'slurm', jobs: {}, options: o, logDir: SLURM_DIR, submittedAt: new Date().toISOString() };
}

/**
 * Submits every trial of `sweep` (written in `sweepDir` with its trials queued and its
 * `executor` record) and records the jobs there, calling `save` after each submission.
 */
export async function submitSweep(sweep: SweepFile & { executor: SlurmSweepRecord }, sweepDir: string, so: SubmitOptions, save: () => void): Promise<void> {
  const run = so.run ?? runCommand;
  const o = sweep.executor.options;
  const slurmDir = path.join(sweepDir, sweep.executor.logDir);
  fs.mkdirSync(slurmDir, { recursive: true });
  const script = path.join(slurmDir, TASK_SCRIPT);
  fs.writeFileSync(script, taskScript(sweepDir, o, so), { mode: 0o755 });
  const name = `distill-${sweep.name}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  const common = [...sbatchArgs(o, name), `--chdir=${sweepDir}`];

  const first = firstTrialIndex(sweep);
  if (first !== undefined) {
    const jobId = await sbatch(run, [...common, `--output=${path.join(slurmDir, taskLogName(first))}`, script, String(first)]);
    sweep.executor.jobs.first = { jobId, trialIndex: first };
    save();
  }
  const rest = sweep.trials.map((_, i) => i).filter((i) => i !== first);
  if (rest.length) {
    const throttle = o.maxParallel ? `%${o.maxParallel}` : '';
    const jobId = await sbatch(run, [
      ...common,
      `--array=${indexList(rest)}${throttle}`,
      // The trials wait for the teacher; if its job fails, they are cancelled rather than left pending forever.
      ...(sweep.executor.jobs.first ? [`--dependency=afterok:${sweep.executor.jobs.first.jobId}`, '--kill-on-invalid-dep=yes'] : []),
      `--output=${path.join(slurmDir, 'task-%a.log')}`,
      script,
    ]);
    sweep.executor.jobs.array = { jobId, trialIndices: rest };
    save();
  }
}
