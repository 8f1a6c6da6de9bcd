/**
 * The engine as a child process, for its two parents: the CLI and the extension host.
 * Neither loads tfjs; both talk to the engine through EngineMessage over Node's IPC channel.
 * The process is a Disposable: disposing kills it, so no engine outlives its owner.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineMessage } from '../protocol/events';
import { engineArgv, engineRequest, type EngineJob, type EngineLaunch } from '../protocol/engineArgs';
import { WORKER_FLAG, type WorkerCommand } from '../protocol/worker';

/** How to start an engine (its launch: protocol/engineArgs.ts) and what it is to do. */
export interface EngineStartOptions {
  /** dist/engine.js */
  enginePath: string;
  /** The Node binary and the engine's flags, as the launch policy (or the CLI) decided them (default: this Node, no flags). */
  launch?: EngineLaunch;
  /** A new run, a resume, or the checks only; 'worker': runs come later, over IPC (engineWorker.ts). */
  job: EngineJob | 'worker';
  env?: NodeJS.ProcessEnv;
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the engine wrote to stderr, kept for crash reports. */
  stderrTail: string;
}

export const STDERR_TAIL_BYTES = 8192;

export class EngineProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<EngineExit>;
  private stderrTail = '';
  private readonly messageListeners: ((m: EngineMessage) => void)[] = [];
  private readonly stderrListeners: ((text: string) => void)[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(o: EngineStartOptions) {
    this.child = fork(o.enginePath, o.job === 'worker' ? [WORKER_FLAG] : engineArgv(engineRequest(o.launch ?? {}, o.job)), {
      execPath: o.launch?.execPath ?? process.execPath,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as plain Node.
      env: { ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child.on('message', (m) => this.messageListeners.forEach((l) => l(m as EngineMessage)));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
      this.stderrListeners.forEach((l) => l(text));
    });
    // stdout carries nothing when IPC is on, but must be drained so the engine never blocks.
    this.child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.done = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve({ code, signal, stderrTail: this.stderrTail });
      });
      this.child.on('error', (err) => {
        this.stderrTail += `\n${err.message}`;
        // A process that never started (the Node binary is missing or not executable) emits
        // 'error' and never 'exit': its parent must not wait for it forever.
        if (this.child.pid === undefined && !this.done) {
          this.done = true;
          if (this.killTimer) clearTimeout(this.killTimer);
          resolve({ code: null, signal: null, stderrTail: `${this.stderrTail.trim()} (the engine could not be started)` });
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Sends a command over the IPC channel (false when it is closed). */
  send(m: WorkerCommand): boolean {
    if (!this.child.connected) return false;
    this.child.send(m);
    return true;
  }

  /** Closes the IPC channel: a worker then exits (after its run, stopped, if it had one). */
  disconnect(): void {
    if (this.child.connected) this.child.disconnect();
  }

  onMessage(listener: (m: EngineMessage) => void): void {
    this.messageListeners.push(listener);
  }

  onStderr(listener: (text: string) => void): void {
    this.stderrListeners.push(listener);
  }

  /**
   * Asks the engine to stop after its current step; it then writes a "stopped" summary.
   * If it has not exited after `graceMs`, it is killed.
   */
  stop(graceMs = 1500): Promise<EngineExit> {
    if (this.done) return this.exited;
    if (this.child.connected) this.child.send({ type: 'stop' });
    else this.child.kill('SIGTERM');
    this.killTimer ??= setTimeout(() => this.kill(), graceMs);
    return this.exited;
  }

  kill(): void {
    if (!this.done) this.child.kill('SIGKILL');
  }

  dispose(): void {
    this.kill();
  }
}
