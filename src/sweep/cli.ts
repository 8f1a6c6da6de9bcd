/**
 * `distill sweep kd.json` and `distill run --seeds N`: both run a Sweep (a seeded run is a
 * sweep with nothing swept), one status line per trial on stderr, then the table. With
 * `--apply`, the sweep's best setting is written into kd.json (comments kept) and every doubt
 * about it is printed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EngineLaunch } from '../protocol/engineArgs';
import { bestParamEdits } from '../protocol/kdJsonEdits';
import type { SweepExecutorSpec } from '../protocol/config';
import { loadConfigFile, type ConfigIssue } from '../protocol/loadConfig';
import { paramsKey, SWEEP_FILES, type SweepFile } from '../protocol/sweep';
import { planApplyBest } from '../protocol/sweepBest';
import { trialCounts } from '../protocol/sweepCounts';
import { Sweep, type SweepChange } from './runSweep';
import { afterSubmission, executorFromFlags, type ExecutorFlags } from './slurm/cli';
import { sweepTable } from './table';

export interface SweepCliOptions {
  parallel?: number;
  /** The engine workers' launch, built from the command's flags as `distill run` builds a run's. */
  launch: EngineLaunch;
  sweepsRoot?: string;
  json?: boolean;
  enginePath: string;
  printIssues: (file: string, issues: ConfigIssue[]) => void;
  /** `--executor` and the Slurm flags (slurm/cli.ts), over kd.json's sweep.executor. */
  executorFlags?: ExecutorFlags;
  /** A Slurm sweep: follow it to its end instead of returning once it is submitted. */
  wait?: boolean;
}

const err = (line: string) => process.stderr.write(line + '\n');

function printProgress(s: SweepFile, c: SweepChange): void {
  const counts = trialCounts(s.trials);
  if (c.type === 'started')
    err(`sweep ${s.sweepId}: ${counts.total} trials (${counts.baselines} baseline), ${s.parallel} at once, ${s.epochs} epochs each\n  folder: ${c.dir}`);
  else if (c.type === 'trial_started') err(`  ▶ ${c.trial.id}`);
  else if (c.type === 'trial_finished') {
    const t = c.trial;
    const what =
      t.status === 'done'
        ? `${s.metricLabel} ${((t.metric ?? NaN) * 100).toFixed(2)}%${s.metric === 'testAccuracy' ? '' : `, test ${((t.testAccuracy ?? NaN) * 100).toFixed(2)}%`}${t.teacherLogits === 'cache-hit' ? ', teacher logits from cache' : ''}`
        : `${t.status}${t.error ? `: ${t.error}` : ''}`;
    err(
      `  ${t.status === 'done' ? '✓' : '✗'} ${t.id} ${t.kind === 'distill' && Object.keys(t.params).length ? `(${paramsKey(t.params)}) ` : ''}— ${what} [${counts.finished}/${counts.total}]`,
    );
  } else if (c.type === 'note') err(c.message);
}

/** Runs the sweep (or seeded run) to its end: Ctrl+C stops the trials, twice quits. */
async function runToEnd(file: string, o: SweepCliOptions, seeds?: number[]): Promise<{ code: number; sweep?: SweepFile; dir?: string }> {
  if (o.parallel !== undefined && !(Number.isInteger(o.parallel) && o.parallel >= 1)) {
    err('--parallel must be a whole number ≥ 1');
    return { code: 2 };
  }
  let executor: SweepExecutorSpec | undefined;
  if (o.executorFlags && !seeds) {
    const loaded = loadConfigFile(file, { workspaceRoot: o.launch.workspaceRoot });
    const r = executorFromFlags(o.executorFlags, loaded.ok ? loaded.config.sweep?.executor : undefined);
    if (r.error) {
      err(r.error);
      return { code: 2 };
    }
    executor = r.executor;
  }
  const sweep = new Sweep({
    executor,
    configPath: file,
    enginePath: o.enginePath,
    parallel: o.parallel,
    launch: o.launch,
    sweepsRoot: o.sweepsRoot && path.resolve(o.sweepsRoot),
    seeds,
    onUpdate: printProgress,
  });
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    err(interrupts === 1 ? '\nstopping the running trials (Ctrl+C again to quit)…' : '\nquit');
    if (interrupts === 1) sweep.stop();
    else {
      // Quit now: sweep.json says stopped, the workers are killed.
      void sweep.dispose(0);
      process.exit(130);
    }
  });
  const out = await sweep.run();
  if (!out.ok) {
    o.printIssues(file, out.issues);
    return { code: 2 };
  }
  if (out.sweep.executor && out.sweep.status === 'running') {
    // Submitted: the sweep runs on the cluster whether or not this process waits.
    const s = await afterSubmission(out.sweep, out.dir, !!o.wait);
    if (s.status === 'running') {
      if (o.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      return { code: 0, sweep: s, dir: out.dir };
    }
    out.sweep = s;
  }
  if (o.json) process.stdout.write(JSON.stringify(out.sweep, null, 2) + '\n');
  else
    process.stdout.write(
      `\n${sweepTable(out.sweep)}\n\n${seeds ? 'seeded run' : 'sweep'} ${out.sweep.status} in ${out.sweep.durationSec!.toFixed(1)} s; ${path.join(out.dir, SWEEP_FILES.sweep)}\n`,
    );
  return { code: out.sweep.status === 'done' ? 0 : 1, sweep: out.sweep, dir: out.dir };
}

export async function runSweepCli(kdJson: string, o: SweepCliOptions & { apply?: boolean }): Promise<number> {
  const file = path.resolve(kdJson);
  const { code, sweep } = await runToEnd(file, o);
  if (o.apply && sweep?.status === 'running') err('not applied: the sweep is still running on the cluster (use --wait with --apply)');
  else if (o.apply && sweep) applyBest(file, sweep);
  return code;
}

/** `distill run --seeds N` (or kd.json `seeds`): the distilled student and its baseline per seed. */
export async function runSeedsCli(kdJson: string, seeds: number[], o: SweepCliOptions): Promise<number> {
  return (await runToEnd(path.resolve(kdJson), o, seeds)).code;
}

/** Writes the best setting into kd.json, comments and formatting kept; says what and why not. */
export function applyBest(file: string, sweep: SweepFile): boolean {
  const plan = planApplyBest(sweep);
  if (!plan.ok) {
    err(`not applied to ${path.basename(file)}: ${plan.reason}`);
    return false;
  }
  const before = fs.readFileSync(file, 'utf8');
  const { text } = bestParamEdits(before, plan.params, { insertSpaces: true, tabSize: 2, eol: before.includes('\r\n') ? '\r\n' : '\n' });
  if (text !== before) writeFileAtomic.sync(file, text);
  err(`${text === before ? `${path.basename(file)} already has` : `applied to ${path.basename(file)}:`} the best setting ${paramsKey(plan.params)}`);
  for (const w of plan.warnings) err(`warning: ${w}`);
  return true;
}
