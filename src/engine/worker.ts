/**
 * The engine as a worker (`dist/engine.js --worker`, protocol/worker.ts): runs requested over
 * the IPC channel, one at a time, in one process. Each run is what `dist/engine.js` does with
 * the same request (protocol/engineArgs.ts), and sends the same messages, then a `run_end`
 * with the exit code that process would have exited with. Between runs the process keeps tfjs, its backend (compiled wasm,
 * registered kernels) and a RunMemo of what runs share.
 *
 * `stop` (or the IPC channel closing, or SIGTERM/SIGINT) stops the current run after its step,
 * and the worker exits once it has ended, taking no more. A parent that dies is noticed by the
 * watchdog too (lifecycle.ts), which kills a worker that does not end by itself. A run that
 * throws (what would fail a single engine) ends with `engine_failed` and a `run_end` of code 1,
 * and the worker then exits: after an unexpected failure its state is suspect.
 */
import type { WorkerCommand, WorkerMessage, WorkerRunRequest } from '../protocol/worker';
import { catchStrayFailures, endProcess, failAndExit, watchParent } from './lifecycle';
import { describeFailure, runEngine } from './run/engineRun';
import { loadTf } from './tf';
import { RunMemo } from './run/memo';
import { setOrtThreads } from './onnx/ortSession';
import { seedMathRandom } from './util/rng';

export function startWorker(): void {
  if (!process.send) {
    process.stderr.write('engine --worker takes its runs over an IPC channel (start it with child_process.fork)\n');
    process.exitCode = 2;
    return;
  }
  const memo = new RunMemo();
  // A sweep runs `parallel` workers side by side: ONNX Runtime gets one core in each.
  setOrtThreads(1);
  const queue: WorkerRunRequest[] = [];
  let stopping = false;
  let busy = false;

  const send = (m: WorkerMessage) => {
    if (process.connected) process.send!(m);
  };
  // Lets the last IPC messages drain; the process then ends (code 1 after a failed run).
  const finish = () => endProcess(failedRun ? 1 : 0);
  let failedRun = false;
  const stop = () => {
    stopping = true;
    if (!busy) finish();
  };

  const serve = async () => {
    if (busy) return;
    busy = true;
    for (let r = queue.shift(); r && !stopping; r = queue.shift()) {
      const code = await runEngine({ request: r.request, send, shouldStop: () => stopping, memo }).catch((e) => {
        // Told as a single engine tells it, then this run ends; the worker takes no more.
        send({ type: 'engine_failed', message: describeFailure(e) });
        if (process.env.DISTILLERY_DEBUG) process.stderr.write(`engine failed: ${(e as Error)?.stack ?? e}\n`);
        stopping = failedRun = true;
        return 1;
      });
      memo.endRun();
      send({ type: 'run_end', id: r.id, code });
    }
    busy = false;
    if (stopping) finish();
  };

  const crash = (e: unknown) => failAndExit(e, send);
  catchStrayFailures(send);
  process.on('message', (m: WorkerCommand) => {
    if (m?.type === 'stop') stop();
    else if (m?.type === 'run' && !stopping) {
      queue.push(m);
      serve().catch(crash);
    }
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A parent that dies takes its IPC channel with it: an orphan finishes its step and stops,
  // or is killed by the watchdog when it cannot.
  watchParent(() => {
    stopping = true;
  });
  // tfjs takes about half a second to load: now, while the parent sends the first run (its
  // message waits until this returns). Under a seeded Math.random, so that loadTf learns how
  // far loading moves it: runEngine replays that in every run.
  seedMathRandom(0);
  loadTf();
}
