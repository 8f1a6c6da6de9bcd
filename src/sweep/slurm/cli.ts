/**
 * The command line's Slurm parts: the executor flags of `distill sweep` (over kd.json's
 * sweep.executor, checked by the same schema), and `distill sweep status|cancel <dir>`.
 */
import * as path from 'node:path';
import { SlurmExecutorSpec, type SweepExecutorSpec } from '../../protocol/config';
import { pct, trialStatusText } from '../../protocol/format';
import { SWEEP_FILES, type SweepFile, type SweepTrial } from '../../protocol/sweep';
import { sweepTable } from '../table';
import { cancelSweep, followSweep, refreshSweep } from './follow';

/** `distill sweep`'s executor flags, as commander gives them. */
export interface ExecutorFlags {
  executor?: string;
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  gpus?: number;
  maxParallel?: number;
  maxRequeues?: number;
  setup?: string[];
  sbatchArg?: string[];
}

const SLURM_FLAGS: [keyof ExecutorFlags, keyof SlurmExecutorSpec, string][] = [
  ['partition', 'partition', '--partition'],
  ['account', 'account', '--account'],
  ['qos', 'qos', '--qos'],
  ['time', 'time', '--time'],
  ['cpusPerTask', 'cpusPerTask', '--cpus-per-task'],
  ['mem', 'mem', '--mem'],
  ['gpus', 'gpus', '--gpus'],
  ['maxParallel', 'maxParallel', '--max-parallel'],
  ['maxRequeues', 'maxRequeues', '--max-requeues'],
  ['setup', 'setup', '--setup'],
  ['sbatchArg', 'sbatchArgs', '--sbatch-arg'],
];

/**
 * The executor the flags ask for, over kd.json's (`fromKd`): undefined keeps kd.json's; an
 * error names the flag. Slurm flags without `--executor slurm` refine a kd.json Slurm executor.
 */
export function executorFromFlags(f: ExecutorFlags, fromKd?: SweepExecutorSpec): { executor?: SweepExecutorSpec; error?: string } {
  const given = SLURM_FLAGS.filter(([flag]) => f[flag] !== undefined);
  if (f.executor !== undefined && f.executor !== 'local' && f.executor !== 'slurm')
    return { error: `--executor must be "local" or "slurm", not "${f.executor}"` };
  if (f.executor === 'local') {
    if (given.length) return { error: `${given[0][2]} is a Slurm option: it needs --executor slurm` };
    return { executor: { type: 'local' } };
  }
  const base = fromKd?.type === 'slurm' ? fromKd : undefined;
  if (f.executor !== 'slurm' && !base) {
    if (given.length) return { error: `${given[0][2]} is a Slurm option: it needs --executor slurm (or "sweep.executor": {"type": "slurm"} in kd.json)` };
    return {};
  }
  const raw: Record<string, unknown> = { ...(base ?? {}), type: 'slurm' };
  for (const [flag, key] of given) raw[key] = f[flag];
  const parsed = SlurmExecutorSpec.safeParse(raw);
  if (parsed.success) return { executor: parsed.data };
  const issue = parsed.error.issues[0];
  const flag = SLURM_FLAGS.find(([, key]) => key === issue.path[0])?.[2] ?? `sweep.executor.${issue.path.join('.')}`;
  return { error: `${flag}: ${issue.message}` };
}

const err = (line: string) => process.stderr.write(line + '\n');

/** A trial's state in a word or three: "pending (Resources)", "running", "done 91.20%", "failed: …". */
export function trialStateText(t: SweepTrial): string {
  if (t.status === 'done') return `done ${pct(t.metric)}${t.scheduler?.requeues ? ` (requeued ${t.scheduler.requeues}×)` : ''}`;
  return `${trialStatusText(t)}${t.error ? `: ${t.error}` : ''}`;
}

/** The trials, one line each, and the counts. */
export function statusLines(s: SweepFile): string[] {
  const width = Math.max(...s.trials.map((t) => t.id.length));
  const count = (st: SweepTrial['status']) => s.trials.filter((t) => t.status === st).length;
  return [
    `sweep ${s.sweepId}: ${s.status}${s.executor ? ` on Slurm (${[s.executor.jobs.first?.jobId, s.executor.jobs.array?.jobId].filter(Boolean).join(', ')}; ${s.executor.via ?? 'not polled yet'})` : ''}: ${count('queued')} pending, ${count('running')} running, ${count('done')} done, ${count('failed')} failed${count('stopped') ? `, ${count('stopped')} stopped` : ''}`,
    ...s.trials.map((t) => `  ${t.id.padEnd(width)}  ${trialStateText(t)}`),
  ];
}

/** `distill sweep status <dir>`: one poll (or until the end, with `watch`), the trials' states, and the table once it has ended. */
export async function sweepStatusCli(dirArg: string, o: { watch?: boolean; json?: boolean }): Promise<number> {
  const dir = path.resolve(dirArg);
  let s: SweepFile | undefined;
  try {
    s = o.watch ? await followSweep(dir, { onUpdate: (x) => !o.json && err(statusLines(x).join('\n')) }) : (await refreshSweep(dir))?.sweep;
  } catch (e) {
    err(`distill sweep status: ${(e as Error).message}`);
    return 1;
  }
  if (!s) {
    err(`${dir}: no sweep.json here (a sweep folder is .distillery/sweeps/<id>)`);
    return 2;
  }
  if (o.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else {
    process.stdout.write(statusLines(s).join('\n') + '\n');
    if (s.status !== 'running') process.stdout.write(`\n${sweepTable(s)}\n\n${path.join(dir, SWEEP_FILES.sweep)}\n`);
  }
  return s.status === 'running' || s.status === 'done' ? 0 : 1;
}

/** `distill sweep cancel <dir>`: cancels the sweep's Slurm jobs. */
export async function sweepCancelCli(dirArg: string): Promise<number> {
  const r = await cancelSweep(path.resolve(dirArg));
  err(r.message);
  return r.ok ? 0 : 1;
}

/** After a Slurm sweep's submission: where to follow it, or (with `wait`) its progress to the end. */
export async function afterSubmission(s: SweepFile, dir: string, wait: boolean): Promise<SweepFile> {
  err(`${s.notes[s.notes.length - 1]}\n  follow it: distill sweep status ${dir} [--watch]\n  cancel it: distill sweep cancel ${dir}`);
  if (!wait) return s;
  let last = '';
  const final = await followSweep(dir, {
    onUpdate: (x) => {
      // One line per trial whose state changed.
      for (const t of x.trials) {
        const line = `  ${t.id}: ${trialStateText(t)}`;
        if (!last.includes(line + '\n')) err(line);
      }
      last = x.trials.map((t) => `  ${t.id}: ${trialStateText(t)}\n`).join('');
    },
  });
  return final ?? s;
}
