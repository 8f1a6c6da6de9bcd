/**
 * The runs this window started: one EngineProcess each, at most `maxParallel` at once (the
 * policy: runQueue.ts), the rest queued first in, first out. A new run's folder is decided here, when it is queued (runId.ts), and its
 * engine is told to write exactly there, so the Runs tree, the dashboards and a crash record
 * all point at the folder the engine writes. Everything it creates (processes, emitters) it
 * owns. Other parts of the host (progress UI, tree, dashboards) listen to `onDidChange` and
 * `onMessage`. When the window closes, engines are stopped before they are killed: each is
 * asked to stop (it writes a "stopped" summary and its last checkpoint) and killed only if
 * still running after a grace period; `shutdown()` resolves when all have exited, and
 * deactivate returns it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { recordAbnormalExit } from '../../client/abnormalExit';
import { EngineProcess, type EngineExit } from '../../client/engineProcess';
import type { NewRunJob, ResumeJob } from '../../protocol/engineArgs';
import type { EngineMessage } from '../../protocol/events';
import { newRunJob, runName } from '../../protocol/runId';
import { Disposable } from '../disposable';
import type { LaunchRequest } from './launchPolicy';
import { threadsBeside } from '../../protocol/threads';
import { runSlots } from './runQueue';
import { affectsSetting } from '../settings';

/** How long a stopped engine may take to write its summary before it is killed. */
export const STOP_GRACE_MS = 3000;

export type RunState = 'queued' | 'running' | 'finished';

export interface ManagedRun {
  runId: string;
  runDir: string;
  /** The kd.json it runs (or, resumed, the one it was started from, when known: it runs its folder's config.json). */
  configPath?: string;
  name: string;
  state: RunState;
  engine?: EngineProcess;
  exit?: EngineExit;
  /** The latest messages of interest, for late subscribers (status bar, dashboards). */
  last?: EngineMessage;
  /** What its engine does: a new run in `runDir`, or the continuation of a crashed or stopped `runDir` from its last checkpoint. */
  job: NewRunJob | ResumeJob;
  /** How its engine starts: the one launch policy's request (launchPolicy.ts). */
  launch: LaunchRequest;
  /** The threads its engine was started with (protocol/threads.ts), while it runs. */
  threads?: number;
  /** Resolves when the engine has exited (or the queued run was cancelled). */
  finished: Promise<EngineExit | undefined>;
}

export class RunManager extends Disposable {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly queue: ManagedRun[] = [];
  private readonly resolvers = new Map<string, (e: EngineExit | undefined) => void>();
  private readonly changed = this.track(new vscode.EventEmitter<ManagedRun>());
  private readonly messages = this.track(new vscode.EventEmitter<{ run: ManagedRun; message: EngineMessage }>());
  readonly onDidChange = this.changed.event;
  readonly onMessage = this.messages.event;
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly enginePath: string,
    private readonly log: Pick<vscode.OutputChannel, 'append' | 'appendLine'>,
    /** How many run at once (runQueue.ts: one per core); the rest wait in a FIFO queue. */
    private readonly maxParallel: () => number = runSlots,
  ) {
    super();
    // Raising the runsAtOnce setting starts what waits now, not only when the next run ends.
    this.track(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, 'runsAtOnce')) this.pump();
      }),
    );
  }

  /** The log, while it is ours to write: after disposal (the window closing) it may be closed. */
  private note(line: string, partial = false): void {
    if (this.isDisposed) return;
    if (partial) this.log.append(line);
    else this.log.appendLine(line);
  }

  get all(): ManagedRun[] {
    return [...this.runs.values()];
  }

  get active(): ManagedRun[] {
    return this.all.filter((r) => r.state !== 'finished');
  }

  /** The runs waiting for a slot, first to start first. */
  get queued(): ManagedRun[] {
    return [...this.queue];
  }

  get(runId: string): ManagedRun | undefined {
    return this.runs.get(runId);
  }

  /**
   * Queues a new run of `configPath` (`name`: kd.json's, if it has one), in a folder decided now;
   * `now`: starts it at once, beyond the runs-at-once limit (Start Run's "Run both now").
   */
  enqueueRun(configPath: string, name: string | undefined, launch: LaunchRequest, now = false): ManagedRun {
    return this.enqueue(newRunJob(configPath, name), runName(configPath, name), launch, configPath, now);
  }

  /** Queues the continuation of the run folder `runDir`; `configPath`, its kd.json if known, is only shown. */
  enqueueResume(runDir: string, name: string, configPath: string | undefined, launch: LaunchRequest): ManagedRun {
    return this.enqueue({ kind: 'resume', runDir }, name, launch, configPath);
  }

  /** Queues a run; it starts at once when fewer than `maxParallel` are running (or `now`). */
  private enqueue(job: NewRunJob | ResumeJob, name: string, launch: LaunchRequest, configPath: string | undefined, now = false): ManagedRun {
    const runId = path.basename(job.runDir);
    let resolve!: (e: EngineExit | undefined) => void;
    const finished = new Promise<EngineExit | undefined>((r) => (resolve = r));
    const run: ManagedRun = { runId, runDir: job.runDir, configPath, name, state: 'queued', finished, job, launch };
    this.resolvers.set(runId, resolve);
    this.runs.set(runId, run);
    this.changed.fire(run);
    if (now && !this.shuttingDown) this.launch(run);
    else {
      this.queue.push(run);
      this.pump();
    }
    return run;
  }

  private pump(): void {
    while (!this.shuttingDown && this.queue.length && this.all.filter((r) => r.state === 'running').length < this.maxParallel()) {
      this.launch(this.queue.shift()!);
    }
  }

  private launch(run: ManagedRun): void {
    // Its share of the cores now (protocol/threads.ts): a run alone splits its steps over them; a
    // run started beside others takes what their threads leave (they keep theirs until they end).
    const taken = this.all.filter((r) => r.state === 'running').map((r) => r.threads ?? 1);
    const launch = { ...run.launch, threads: run.launch.threads ?? threadsBeside(taken) };
    run.threads = launch.threads;
    const engine = new EngineProcess({ enginePath: this.enginePath, launch, job: run.job });
    run.engine = engine;
    run.state = 'running';
    this.note(`[${run.runId}] engine started (pid ${engine.pid}) for ${run.job.kind === 'run' ? run.job.configPath : `${run.runDir} (resumed)`}`);
    engine.onStderr((t) => this.note(`[${run.runId}] ${t}`, true));
    // Its folder is this engine's once it said so (run_started), a resumed run's too: an engine
    // that failed before (its chosen folder was taken, a resume with no checkpoint) leaves
    // whatever is there alone, instead of a "crashed" record over a folder it never touched.
    let ownsFolder = false;
    engine.onMessage((message) => {
      run.last = message;
      if (message.type === 'run_started') ownsFolder = true;
      if (message.type === 'engine_failed') this.note(`[${run.runId}] engine failed: ${message.message}`);
      if (message.type === 'log') this.note(`[${run.runId}] ${message.level === 'info' ? '' : message.level + ': '}${message.message}`);
      if (message.type === 'epoch')
        this.note(
          `[${run.runId}] ${message.stage} epoch ${message.epoch}/${message.epochs}: loss ${message.loss.toFixed(4)}, validation ${(message.valAccuracy * 100).toFixed(2)}%`,
        );
      this.messages.fire({ run, message });
    });
    this.changed.fire(run);
    void engine.exited.then((exit) => {
      run.exit = exit;
      run.state = 'finished';
      this.note(`[${run.runId}] engine exited (${exit.signal ?? exit.code})`);
      if (ownsFolder && run.last?.type !== 'run_finished' && run.last?.type !== 'config_error') {
        try {
          const summary = recordAbnormalExit(run.runDir, exit);
          if (summary) this.note(`[${run.runId}] marked ${summary.status}: ${summary.error}\n${exit.stderrTail}`);
        } catch (e) {
          this.note(`[${run.runId}] could not record the engine's exit in ${run.runDir}: ${(e as Error).message}\n${exit.stderrTail}`);
        }
      }
      this.resolvers.get(run.runId)?.(exit);
      this.changed.fire(run);
      this.pump();
    });
  }

  /** Stops a running run (or cancels a queued one); the newest active run when no id is given. */
  async stop(runId?: string): Promise<ManagedRun | undefined> {
    const run = runId ? this.runs.get(runId) : this.active.at(-1);
    if (!run || run.state === 'finished') return run;
    if (run.state === 'queued') {
      this.cancelQueued(run);
      return run;
    }
    await run.engine!.stop();
    return run;
  }

  private cancelQueued(run: ManagedRun): void {
    this.queue.splice(this.queue.indexOf(run), 1);
    run.state = 'finished';
    this.resolvers.get(run.runId)?.(undefined);
    this.changed.fire(run);
  }

  /**
   * Cancels the queue and stops every running engine, killing any still running after
   * `graceMs`; resolves when all have exited. Called once (later calls get the same promise).
   */
  shutdown(graceMs = STOP_GRACE_MS): Promise<void> {
    this.shuttingDown ??= (async () => {
      for (const run of [...this.queue]) this.cancelQueued(run);
      const running = this.all.filter((r) => r.state === 'running');
      await Promise.all(running.map((r) => r.engine!.stop(graceMs)));
      // The exit handlers (summaries of killed engines included) have run once `finished` resolves.
      await Promise.all(running.map((r) => r.finished));
    })();
    return this.shuttingDown;
  }

  /** Stops the engines (see shutdown) and drops the emitters; engines still stopping finish on their own. */
  dispose(): void {
    void this.shutdown();
    super.dispose();
  }
}
