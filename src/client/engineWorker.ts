/**
 * A worker engine (`dist/engine.js --worker`, protocol/worker.ts) from its parent's side: one
 * process that does runs one after another. Each run ends with the worker's `run_end` (the
 * exit code a single engine would have had) or with the worker's death, reported with what it
 * wrote to stderr during that run. Like EngineProcess, it is a Disposable: disposing kills it.
 */
import type { EngineMessage } from '../protocol/events';
import type { WorkerMessage, WorkerRunRequest } from '../protocol/worker';
import { EngineProcess, STDERR_TAIL_BYTES, type EngineExit, type WorkerStartOptions } from './engineProcess';

/** `failure`: the worker's `engine_failed` message for this run, when it sent one. */
export type WorkerRunOutcome = ({ ended: true; code: number } | { ended: false; exit: EngineExit }) & { failure?: string };

interface Current {
  id: number;
  stderr: string;
  failure?: string;
  onMessage: (m: EngineMessage) => void;
  resolve: (o: WorkerRunOutcome) => void;
}

export class EngineWorker {
  readonly engine: EngineProcess;
  private nextId = 1;
  private current: Current | undefined;

  constructor(o: Omit<WorkerStartOptions, 'worker'>) {
    this.engine = new EngineProcess({ ...o, worker: true });
    this.engine.onMessage((message) => {
      const m = message as WorkerMessage;
      const c = this.current;
      if (!c) return;
      if (m.type === 'engine_failed') c.failure = m.message;
      if (m.type !== 'run_end') c.onMessage(m);
      else if (m.id === c.id) this.end({ ended: true, code: m.code });
    });
    this.engine.onStderr((text) => {
      if (this.current) this.current.stderr = (this.current.stderr + text).slice(-STDERR_TAIL_BYTES);
    });
    void this.engine.exited.then((exit) => this.current && this.end({ ended: false, exit: { ...exit, stderrTail: this.current.stderr } }));
  }

  get pid(): number | undefined {
    return this.engine.pid;
  }

  /** Alive and taking runs. */
  get alive(): boolean {
    return this.engine.running && this.engine.child.connected;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs one run; its messages go to `onMessage`. One at a time. */
  run(request: Omit<WorkerRunRequest, 'type' | 'id'>, onMessage: (m: EngineMessage) => void): Promise<WorkerRunOutcome> {
    if (this.current) throw new Error('this engine worker is already running a run');
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.current = { id, stderr: '', onMessage, resolve };
      if (!this.engine.send({ type: 'run', id, ...request })) void this.engine.exited.then((exit) => this.end({ ended: false, exit: { ...exit, stderrTail: '' } }));
    });
  }

  /** Stops the current run after its step; the worker then exits. Killed if not gone after `graceMs`. */
  stop(graceMs = 1500): Promise<EngineExit> {
    return this.engine.stop(graceMs);
  }

  /** Lets the worker exit once idle (killed if not gone after `graceMs`). */
  close(graceMs = 10_000): Promise<EngineExit> {
    if (!this.engine.running) return this.engine.exited;
    this.engine.disconnect();
    const timer = setTimeout(() => this.engine.kill(), graceMs);
    return this.engine.exited.finally(() => clearTimeout(timer));
  }

  kill(): void {
    this.engine.kill();
  }

  dispose(): void {
    this.engine.dispose();
  }

  private end(outcome: WorkerRunOutcome): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    c.resolve(c.failure ? { ...outcome, failure: c.failure } : outcome);
  }
}
