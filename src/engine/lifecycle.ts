/**
 * How an engine process ends. Two rules, for the single engine (main.ts) and the worker
 * (worker.ts) alike:
 *
 * - A failure ends the process. An open IPC channel keeps a Node process alive, so an engine
 *   that only printed its error and set an exit code waited forever, and so did the CLI
 *   waiting on it. A failure is told to the parent as an `engine_failed` message (and on stderr
 *   when there is no parent to tell), in words: the stack only with DISTILLERY_DEBUG set.
 * - An engine never outlives its parent. The IPC channel's `disconnect` asks the run to stop
 *   after its step; a watchdog thread, which runs even while the main thread is blocked,
 *   notices the parent's death by the process being re-parented and kills the engine when it
 *   has not ended within a grace period.
 */
import { Worker } from 'node:worker_threads';
import type { EngineFailedMessage } from '../protocol/events';
import { describeFailure } from './run/engineRun';

/** How long an engine whose parent died may take to stop by itself before the watchdog kills it. */
export const ORPHAN_GRACE_MS = 3000;
/** How long a finished engine may take to drain its last messages before it is made to exit. */
const EXIT_GRACE_MS = 5000;

let failed = false;

/**
 * Reports a failure the engine did not expect and ends the process with exit code 1. Only the
 * first failure is reported: after it, the process is on its way out.
 */
export function failAndExit(e: unknown, send: (m: EngineFailedMessage) => void): void {
  if (failed) return;
  failed = true;
  const message = describeFailure(e);
  const debug = !!process.env.DISTILLERY_DEBUG;
  if (debug) process.stderr.write(`engine failed: ${(e as Error)?.stack ?? e}\n`);
  else if (!process.connected) process.stderr.write(`engine failed: ${message}\n`);
  try {
    send({ type: 'engine_failed', message });
  } catch {
    // The channel is gone: stderr said it.
    if (!debug) process.stderr.write(`engine failed: ${message}\n`);
  }
  endProcess(1);
}

/**
 * Ends the process with `code`: the IPC channel closes once the last messages have drained,
 * and whatever else still holds the event loop (a timer, a pending read) cannot keep it alive.
 */
export function endProcess(code: number): void {
  // A failure already reported keeps its exit code, whatever ends later (a worker's run).
  const exitCode = failed ? 1 : code;
  process.exitCode = exitCode;
  setImmediate(() => {
    if (process.connected) process.disconnect();
  });
  setTimeout(() => process.exit(exitCode), EXIT_GRACE_MS).unref();
}

/**
 * Failures outside any promise chain (a throw from a timer, an unhandled rejection) end the
 * process the same way. tfjs's wasm backend installs listeners that rethrow (exit code 7, a
 * stack on stderr), so exceptions are captured instead of listened to.
 */
export function catchStrayFailures(send: (m: EngineFailedMessage) => void): void {
  process.setUncaughtExceptionCaptureCallback((e) => failAndExit(e, send));
  process.on('unhandledRejection', (e) => failAndExit(e, send));
}

/**
 * Calls `onOrphan` when the parent dies (the IPC channel closes, or the process is
 * re-parented), and kills the process `graceMs` after the parent's death if it is still there:
 * from a thread of its own, so that a main thread blocked in a read or a long kernel cannot
 * hold it up. Started by a parent that is already gone (ppid 1), it cannot tell, and does nothing.
 */
export function watchParent(onOrphan: () => void, graceMs = ORPHAN_GRACE_MS, pollMs = 250): void {
  process.on('disconnect', onOrphan);
  const parent = process.ppid;
  if (parent <= 1) return;
  const watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { parent, graceMs, pollMs } });
  watchdog.on('message', onOrphan);
  // Neither the thread nor its failure to start may keep the engine alive, or end it.
  watchdog.on('error', () => undefined);
  watchdog.unref();
}

/** The watchdog thread: plain JavaScript, evaluated as is (no bundler, no TypeScript). */
const WATCHDOG_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { parent, graceMs, pollMs } = workerData;
const gone = () => {
  if (process.ppid !== parent) return true;
  try { process.kill(parent, 0); return false; } catch (e) { return e.code === 'ESRCH'; }
};
const timer = setInterval(() => {
  if (!gone()) return;
  clearInterval(timer);
  parentPort.postMessage('orphan');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), graceMs);
}, pollMs);
`;
