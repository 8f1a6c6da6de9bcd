/**
 * `distill`: the headless front end. It validates kd.json itself (no tfjs needed for that),
 * then runs the very engine process the extension runs, so both write the same run folders.
 *
 * Exit codes: 0 done, 1 run failed or stopped, 2 bad config.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { describeExit, recordAbnormalExit } from '../client/abnormalExit';
import { EngineProcess } from '../client/engineProcess';
import type { EngineLaunch, NewRunJob, ResumeJob } from '../protocol/engineArgs';
import type { EngineMessage, RunSummary } from '../protocol/events';
import { resultsTable } from '../protocol/format';
import { formatIssue, loadConfigFile, locateIssuesInFile, type ConfigIssue } from '../protocol/loadConfig';
import { newRunJob } from '../protocol/runId';
import { MAX_THREADS, parseThreads } from '../protocol/threads';
import { runSeeds } from '../protocol/sweep';
import type { ExecutorFlags } from '../sweep/slurm/cli';
import { ProgressView } from './progress';

const EXIT = { done: 0, failed: 1, badConfig: 2 } as const;

function printIssues(file: string, issues: ConfigIssue[]): void {
  process.stderr.write(`${file}: ${issues.length} problem${issues.length > 1 ? 's' : ''}; no run started\n`);
  // Issues found by the engine carry their line:column already; any others get theirs here.
  for (const i of locateIssuesInFile(file, issues)) process.stderr.write(`  ${formatIssue(path.relative(process.cwd(), file) || file, i)}\n`);
}

interface RunCliOptions {
  json?: boolean;
  backend?: string;
  runsRoot?: string;
  workspace?: string;
  seeds?: number;
  parallel?: number;
  threads?: number;
}

/** `distill run kd.json`: checked here for the message, then one engine in the run folder decided here (or a seeded run). */
async function runCli(kdJson: string, opts: RunCliOptions): Promise<number> {
  const file = path.resolve(kdJson);
  // The engines' launch: the same type the extension's launch policy builds.
  const launch: EngineLaunch = { backend: opts.backend, workspaceRoot: opts.workspace && path.resolve(opts.workspace), threads: opts.threads };
  if (opts.threads !== undefined && parseThreads(String(opts.threads)) === undefined) {
    process.stderr.write('--threads must be a whole number ≥ 1\n');
    return EXIT.badConfig;
  }
  if (opts.seeds !== undefined && !(Number.isInteger(opts.seeds) && opts.seeds >= 1 && opts.seeds <= 100)) {
    process.stderr.write('--seeds must be a whole number from 1 to 100\n');
    return EXIT.badConfig;
  }
  const loaded = loadConfigFile(file, { workspaceRoot: launch.workspaceRoot });
  if (!loaded.ok) {
    if (opts.json) process.stdout.write(JSON.stringify({ type: 'config_error', configPath: file, issues: loaded.issues }) + '\n');
    else printIssues(file, loaded.issues);
    return EXIT.badConfig;
  }
  // Several seeds: a seeded run, the distilled student and its baseline once per seed.
  const seeds = runSeeds(loaded.config, opts.seeds);
  if (seeds) {
    const { runSeedsCli } = await import('../sweep/cli');
    return runSeedsCli(file, seeds, {
      parallel: opts.parallel,
      launch,
      sweepsRoot: opts.runsRoot,
      json: opts.json,
      enginePath: path.join(__dirname, 'engine.js'),
      printIssues,
    });
  }
  return followEngine(newRunJob(file, loaded.config.name, opts.runsRoot && path.resolve(opts.runsRoot)), file, launch, opts);
}

/**
 * Runs one engine on `job` to its end, showing its progress (or its events, with --json);
 * `shown` is the file its config problems are reported against (the kd.json, or the run folder resumed).
 */
async function followEngine(job: NewRunJob | ResumeJob, shown: string, launch: EngineLaunch, opts: { json?: boolean }): Promise<number> {
  const engine = new EngineProcess({ enginePath: path.join(__dirname, 'engine.js'), launch, job });
  const view = new ProgressView(process.stderr, !!process.stderr.isTTY && !opts.json);
  let summary: RunSummary | undefined;
  let runDir: string | undefined;
  let configIssues: ConfigIssue[] | undefined;
  let failure: string | undefined;
  engine.onMessage((m: EngineMessage) => {
    if (opts.json) process.stdout.write(JSON.stringify(m) + '\n');
    else view.handle(m);
    if (m.type === 'run_finished') summary = m.summary;
    if (m.type === 'run_started') runDir = m.runDir;
    if (m.type === 'config_error') configIssues = m.issues;
    if (m.type === 'engine_failed') failure = m.message;
  });
  if (!opts.json) engine.onStderr((t) => process.stderr.write(t));
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    process.stderr.write(interrupts === 1 ? '\nstopping after the current step (Ctrl+C again to kill)…\n' : '\nkilled\n');
    if (interrupts === 1) void engine.stop(10_000);
    else engine.kill();
  });
  const exit = await engine.exited;
  if (configIssues) {
    if (!opts.json) printIssues(shown, configIssues);
    return EXIT.badConfig;
  }
  if (summary && !opts.json) process.stdout.write('\n' + resultsTable(summary) + '\n');
  if (summary?.status === 'done') return EXIT.done;
  if (!summary) {
    let recorded;
    try {
      recorded = runDir ? recordAbnormalExit(runDir, exit) : undefined;
    } catch (e) {
      // A full disk fails the crash summary too; say so rather than die without a word.
      process.stderr.write(`could not record the crash in ${runDir}: ${(e as Error).message}\n`);
    }
    // The engine's last words first (without --json they were shown as they came), the verdict
    // last, where a terminal user looks.
    const reason = failure
      ? `engine failed: ${failure}${runDir ? '' : '; no run started'}`
      : (recorded?.error ?? describeExit(exit, runDir ? '' : ' before the run folder was created').error);
    const tail = opts.json ? exit.stderrTail.trimEnd() : '';
    process.stderr.write(`${tail ? tail + '\n' : ''}${reason}\n`);
  }
  return EXIT.failed;
}

const program = new Command('distill')
  .description('Knowledge distillation from kd.json: train a student from teachers, beside the same student from scratch.')
  .version(require('../../package.json').version);

program
  .command('run')
  .description('run the experiment a kd.json describes; results go to .distillery/runs/ beside it')
  .argument('<kd.json>', 'the experiment file')
  .option('--json', 'print every engine event as one JSON object per line on stdout')
  .option('--backend <name>', 'force a tfjs backend: tensorflow-gpu, tensorflow, wasm or cpu')
  .option('--runs-root <dir>', 'write the run folder here instead of .distillery/runs beside kd.json')
  .option('--workspace <dir>', 'refuse paths in kd.json (models, data, save folders) outside this folder, as the extension does')
  .option(
    '--seeds <n>',
    'run the distilled student and its baseline for each of n seeds (seed, seed+1, …) and judge the gain across them (default: kd.json "seeds"); the seeded run is a sweep folder under .distillery/sweeps (or --runs-root); with --json its sweep.json is printed at the end',
    (v) => Number(v),
  )
  .option('--parallel <n>', 'with several seeds: trials at once (default: the number of CPU cores)', (v) => Number(v))
  .option(
    '--threads <n>',
    `threads the run may split its training steps over (default: the CPU cores, at most ${MAX_THREADS}; with --parallel, the cores shared among the trials)`,
    (v) => Number(v),
  )
  .action(async (kdJson: string, opts: RunCliOptions) => {
    process.exitCode = await runCli(kdJson, opts);
  });

const sweepCommand = program
  .command('sweep')
  .description(
    'run the sweep block of a kd.json (on engine workers here, or as a Slurm job array), and follow or cancel a Slurm sweep; results go to .distillery/sweeps/ beside it',
  );
const collect = (v: string, all: string[] = []) => [...all, v];
const count = (v: string) => Number(v);
sweepCommand
  .command('start', { isDefault: true })
  .description('run a sweep (the default: `distill sweep kd.json` is `distill sweep start kd.json`)')
  .argument('<kd.json>', 'the experiment file (with a "sweep" block)')
  .option('--parallel <n>', 'trials at once (default: sweep.parallel, else the number of CPU cores)', (v) => Number.parseInt(v, 10))
  .option('--backend <name>', 'force a tfjs backend for every trial: tensorflow-gpu, tensorflow, wasm or cpu')
  .option('--sweeps-root <dir>', 'write the sweep folder here instead of .distillery/sweeps beside kd.json')
  .option('--json', 'print sweep.json on stdout at the end instead of the table')
  .option(
    '--apply',
    'write the best setting (best mean over seeds) into kd.json, comments kept, and print why it may not be better than the runner-up or the baseline',
  )
  .option(
    '--executor <local|slurm>',
    'where the trials run: engine workers on this machine, or one Slurm job array (default: kd.json sweep.executor, else local)',
  )
  .option('--partition <name>', 'Slurm: sbatch --partition')
  .option('--account <name>', 'Slurm: sbatch --account')
  .option('--qos <name>', 'Slurm: sbatch --qos')
  .option('--time <limit>', "Slurm: each trial's time limit, e.g. 01:00:00 (the trial checkpoints and requeues itself before it)")
  .option('--cpus-per-task <n>', 'Slurm: cores per trial', count)
  .option('--mem <size>', 'Slurm: memory per trial, e.g. 4G')
  .option('--gpus <n>', 'Slurm: GPUs per trial', count)
  .option('--max-parallel <k>', "Slurm: trials running at once (the array's %K)", count)
  .option('--max-requeues <n>', 'Slurm: requeues per trial after preemption or its time limit (default 3)', count)
  .option('--setup <line>', 'Slurm: a shell line each job runs first, e.g. "module load nodejs" (repeatable)', collect)
  .option('--sbatch-arg <arg>', 'Slurm: one more sbatch argument, e.g. --constraint=a100 (repeatable)', collect)
  .option('--wait', 'Slurm: follow the sweep to its end instead of returning once it is submitted')
  .action(
    async (
      kdJson: string,
      opts: ExecutorFlags & { parallel?: number; backend?: string; sweepsRoot?: string; json?: boolean; apply?: boolean; wait?: boolean },
    ) => {
      const { runSweepCli } = await import('../sweep/cli');
      process.exitCode = await runSweepCli(kdJson, {
        ...opts,
        executorFlags: opts,
        launch: { backend: opts.backend },
        enginePath: path.join(__dirname, 'engine.js'),
        printIssues,
      });
    },
  );
sweepCommand
  .command('status')
  .description("a Slurm sweep's trials as the scheduler and their folders say now (pending, running, done, failed), sweep.json brought up to date")
  .argument('<sweep folder>', 'the sweep folder, e.g. .distillery/sweeps/20260101-120000-mnist-1a2b3c')
  .option('--watch', 'poll (2, 4, 8 … s, at most 30 s between polls) until the sweep has ended')
  .option('--json', 'print sweep.json on stdout instead of the trial lines')
  .action(async (dir: string, opts: { watch?: boolean; json?: boolean }) => {
    const { sweepStatusCli } = await import('../sweep/slurm/cli');
    process.exitCode = await sweepStatusCli(dir, opts);
  });
sweepCommand
  .command('cancel')
  .description("cancel a Slurm sweep's jobs (its trials end stopped)")
  .argument('<sweep folder>', 'the sweep folder')
  .action(async (dir: string) => {
    const { sweepCancelCli } = await import('../sweep/slurm/cli');
    process.exitCode = await sweepCancelCli(dir);
  });

program
  .command('sweep-task', { hidden: true })
  .description("one trial of a Slurm sweep, inside its job (what the sweep folder's slurm/task.sh runs)")
  .argument('<sweep folder>')
  .argument('<trial index>')
  .option('--backend <name>')
  .action(async (dir: string, index: string, opts: { backend?: string }) => {
    const { runSweepTask } = await import('../sweep/slurm/task');
    process.exitCode = await runSweepTask(dir, Number(index), { enginePath: path.join(__dirname, 'engine.js'), backend: opts.backend });
  });

program
  .command('resume')
  .description('continue a crashed or stopped run from its last checkpoint, in its own folder')
  .argument('<run folder>', 'the run folder, e.g. .distillery/runs/20260101-120000-mnist-1a2b3c')
  .option('--json', 'print every engine event as one JSON object per line on stdout')
  .option('--backend <name>', 'force a tfjs backend: tensorflow-gpu, tensorflow, wasm or cpu')
  .action(async (runDir: string, opts: { json?: boolean; backend?: string }) => {
    const dir = path.resolve(runDir);
    process.exitCode = await followEngine({ kind: 'resume', runDir: dir }, dir, { backend: opts.backend }, opts);
  });

program
  .command('validate')
  .description('make every check `distill run` makes before training (schema, files, data, models, shapes, layer names), without training or a run folder')
  .argument('<kd.json>', 'the experiment file')
  .option('--workspace <dir>', 'refuse paths in kd.json (models, data, save folders) outside this folder, as the extension does')
  .option('--backend <name>', 'check with this tfjs backend: tensorflow-gpu, tensorflow, wasm or cpu')
  .action(async (kdJson: string, opts: { workspace?: string; backend?: string }) => {
    const { validateCli } = await import('./validate');
    process.exitCode = await validateCli(kdJson, { ...opts, enginePath: path.join(__dirname, 'engine.js'), printIssues });
  });

program
  .command('doctor')
  .description(
    'list the tfjs backends that start here, the optional native packages (onnxruntime-node, sharp) and WebAssembly features, and why any is missing',
  )
  .option('--json', 'print the findings as JSON')
  .action(async (opts: { json?: boolean }) => {
    const { doctorCli } = await import('./doctor');
    process.exitCode = await doctorCli(program.version() ?? '?', __dirname, opts);
  });

program
  .command('export')
  .description(
    "write a finished run's student as ONNX (checked with ONNX Runtime over the whole test split), a tfjs folder, or a tfjs folder with float16 or uint8 weights; the run's summary.json records each export's size and accuracy",
  )
  .argument('<run folder>', 'the run folder, e.g. .distillery/runs/20260101-120000-mnist-1a2b3c')
  .option('--format <format>', 'onnx, tfjs, float16 or uint8', 'onnx')
  .option('--out <path>', 'the .onnx file or model folder to write (default: exports/ in the run folder)')
  .option('--layout <layout>', 'ONNX input layout: nchw (what PyTorch feeds, the default) or nhwc')
  .option('--backend <name>', 'tfjs backend for the checks: tensorflow-gpu, tensorflow, wasm or cpu')
  .option('--json', "print the export's record (size, accuracy, logit difference, latency) as JSON")
  .action(async (runDir: string, opts: { format?: string; out?: string; layout?: string; backend?: string; json?: boolean }) => {
    const { exportCli } = await import('./export');
    process.exitCode = await exportCli(runDir, opts);
  });

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`distill: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
