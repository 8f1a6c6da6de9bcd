/**
 * The engine's worker mode, `dist/engine.js --worker`: one process that does several runs in
 * turn (the trials of a sweep), so Node, tfjs and its wasm backend start once, not once per
 * trial, and what the trials share (the data, the teacher, its logits and test accuracy) is
 * loaded once. Each run sends exactly the EngineMessages a single engine would, then a
 * `run_end` marker with the exit code that engine would have exited with.
 */
import type { EngineFlags, NewRunJob } from './engineArgs';
import type { EngineCommand, EngineMessage } from './events';

export interface WorkerRunRequest {
  type: 'run';
  /** Chosen by the parent; the run's `run_end` echoes it. */
  id: number;
  /** The run, as a single engine's argv would ask it (engineArgs.ts): a new run in the folder the parent chose. */
  request: NewRunJob & EngineFlags;
}

/**
 * Parent → worker: a run to do (one at a time: the next is sent after the last one's
 * `run_end`), or `stop`: the current run stops after its step, and the worker exits instead of
 * taking another. A worker whose IPC channel closes does the same.
 */
export type WorkerCommand = WorkerRunRequest | EngineCommand;

/** Worker → parent, after a run's last EngineMessage. `code` is an engine exit code (EXIT in engineRun.ts). */
export interface WorkerRunEnd {
  type: 'run_end';
  id: number;
  code: number;
}

export type WorkerMessage = EngineMessage | WorkerRunEnd;

export const WORKER_FLAG = '--worker';
