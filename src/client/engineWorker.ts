/**
 * A worker engine (`dist/engine.js --worker`, protocol/worker.ts) from its parent's side: one
 * process that does runs one after another. Each run ends with the worker's `run_end` (the
 * exit code a single engine would have had) or with the worker's death, reported with what it
 * wrote to stderr during that run. Like EngineProcess, it is a Disposable: disposing kills it.
 */
import type { EngineMessage } from '../protocol/events';
import { engineRequest, type EngineLaunch, type NewRunJob } from '../protocol/engineArgs';
import type { WorkerMessage } from '../protocol/worker';
import { EngineProcess, STDERR_TAIL_BYTES, type EngineExit } from './engineProcess';

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

  /** `launch`: the Node binary, and the flags every run on this worker gets (protocol/engineArgs.ts; default: this Node, none). */
  constructor(private readonly o: { enginePath: string; launch?: EngineLaunch; env?: NodeJS.ProcessEnv }) {
    this.engine = new EngineProcess({ ...o, job: 'worker' });
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

  /** Runs one run, in the folder `job.runDir` (which the worker creates); its messages go to `onMessage`. One at a time. `flags.threads`: this run's share of the cores. */
  run(job: NewRunJob, onMessage: (m: EngineMessage) => void, flags: { threads?: number } = {}): Promise<WorkerRunOutcome> {
    if (this.current) throw new Error('this engine worker is already running a run');
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.current = { id, stderr: '', onMessage, resolve };
      if (!this.engine.send({ type: 'run', id, request: engineRequest({ ...this.o.launch, ...flags }, job) }))
        void this.engine.exited.then((exit) => this.end({ ended: false, exit: { ...exit, stderrTail: '' } }));
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
