/**
 * The engine as a worker (`dist/engine.js --worker`, protocol/worker.ts): runs requested over
 * the IPC channel, one at a time, in one process. Each run is what `dist/engine.js --config`
 * would do, and sends the same messages, then a `run_end` with the exit code that process
 * would have exited with. Between runs the process keeps tfjs, its backend (compiled wasm,
 * registered kernels) and a RunMemo of what runs share.
 *
 * `stop` (or the IPC channel closing, or SIGTERM/SIGINT) stops the current run after its step,
 * and the worker exits once it has ended, taking no more. A run that throws (what would crash
 * a single engine) crashes the worker the same way: the parent reports it with the stderr tail.
 */
import type { WorkerCommand, WorkerMessage, WorkerRunRequest } from '../protocol/worker';
import { loadTf, runEngine } from './run/engineRun';
import { RunMemo } from './run/memo';
import { seedMathRandom } from './util/rng';

export function startWorker(): void {
  if (!process.send) {
    process.stderr.write('engine --worker takes its runs over an IPC channel (start it with child_process.fork)\n');
    process.exitCode = 2;
    return;
  }
  const memo = new RunMemo();
  const queue: WorkerRunRequest[] = [];
  let stopping = false;
  let busy = false;

  const send = (m: WorkerMessage) => {
    if (process.connected) process.send!(m);
  };
  const finish = () => {
    // Let the last IPC messages drain; the process then ends with nothing left to wait for.
    if (process.connected) setImmediate(() => process.disconnect());
  };
  const stop = () => {
    stopping = true;
    if (!busy) finish();
  };

  const serve = async () => {
    if (busy) return;
    busy = true;
    for (let r = queue.shift(); r && !stopping; r = queue.shift()) {
      const code = await runEngine({
        configPath: r.configPath,
        runsRoot: r.runsRoot,
        runId: r.runId,
        backend: r.backend,
        workspaceRoot: r.workspaceRoot,
        send,
        shouldStop: () => stopping,
        memo,
      });
      memo.endRun();
      send({ type: 'run_end', id: r.id, code });
    }
    busy = false;
    if (stopping) finish();
  };

  process.on('message', (m: WorkerCommand) => {
    if (m?.type === 'stop') stop();
    else if (m?.type === 'run' && !stopping) {
      queue.push(m);
      serve().catch(crash);
    }
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A parent that dies takes its IPC channel with it; an orphan finishes its step and stops.
  process.on('disconnect', () => {
    stopping = true;
  });
  // tfjs takes about half a second to load: now, while the parent sends the first run (its
  // message waits until this returns). Under a seeded Math.random, so that loadTf learns how
  // far loading moves it: runEngine replays that in every run.
  seedMathRandom(0);
  loadTf();
}

/** As a single engine crashes: the stack on stderr, exit code 1 (and no waiting on anything). */
function crash(e: unknown): void {
  process.stderr.write(`engine crashed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(1), 2000).unref();
}
