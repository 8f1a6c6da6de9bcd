/**
 * The engine process. Started by the CLI or the extension host (never imported by them), with
 * the command line protocol/engineArgs.ts documents and reads (one table, which the parents
 * write with): a new run in the folder its parent chose, a resume, the checks only, or a
 * worker that takes its runs over IPC (worker.ts). In a worker thread it is a training stage's
 * gradient thread (parallel/).
 *
 * It reports over the IPC channel when it has one, and as JSON lines on stdout otherwise.
 * Exit codes: 0 done, 1 failed, 2 bad config, 3 stopped.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { ENGINE_USAGE, parseEngineArgv } from '../protocol/engineArgs';
import { catchStrayFailures, endProcess, failAndExit, watchParent } from './lifecycle';
import { runEngine } from './run/engineRun';
import { startWorker } from './worker';
import { GRADIENT_THREAD_ROLE } from './parallel/protocol';
import { startGradientThread } from './parallel/gradientThread';

const parsed = parseEngineArgv(process.argv.slice(2));
// The same bundle is a training stage's gradient thread when started as one (parallel/shards.ts).
if (!isMainThread && (workerData as { role?: string } | undefined)?.role === GRADIENT_THREAD_ROLE) startGradientThread();
else if (parsed.worker) startWorker();
else runOne(parsed);

/** One run, from the command line's arguments; the process ends with it. */
function runOne({ request }: Exclude<typeof parsed, { worker: true }>): void {
  if (!request) {
    process.stderr.write(ENGINE_USAGE + '\n');
    return process.exit(2);
  }

  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
  };
  process.on('message', (m: { type?: string }) => m?.type === 'stop' && requestStop());
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  // Slurm's warning before a time limit or a preemption (sbatch --signal=USR2, scancel --full --signal=USR2):
  // Node's default would kill the engine; it stops after its step instead, its checkpoints kept (sweep/slurm/task.ts).
  process.on('SIGUSR2', requestStop);
  // A parent that dies takes its IPC channel with it: an orphan finishes its step and stops,
  // or is killed by the watchdog when it cannot (lifecycle.ts).
  watchParent(requestStop);

  const send = (m: unknown) => {
    if (process.send && process.connected) process.send(m);
    else if (!process.send) process.stdout.write(JSON.stringify(m) + '\n');
  };
  catchStrayFailures(send);

  runEngine({ request, send, shouldStop: () => stopRequested })
    .then(endProcess)
    .catch((e) => failAndExit(e, send));
}
