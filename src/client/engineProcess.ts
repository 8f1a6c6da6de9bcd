/**
 * The engine as a child process, for its two parents: the CLI and the extension host.
 * Neither loads tfjs; both talk to the engine through EngineMessage over Node's IPC channel.
 * The process is a Disposable: disposing kills it, so no engine outlives its owner.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineMessage } from '../protocol/events';
import { engineArgv, type EngineArgs } from '../protocol/engineArgs';
import { WORKER_FLAG, type WorkerCommand } from '../protocol/worker';

/** The engine's arguments (protocol/engineArgs.ts, one table for both sides) and how to start it. */
export interface EngineStartOptions extends EngineArgs {
  /** dist/engine.js */
  enginePath: string;
  configPath: string;
  /** The Node binary; in VS Code's extension host this is Electron run as Node. */
  execPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** `dist/engine.js --worker`: runs come later, over IPC (engineWorker.ts). */
export interface WorkerStartOptions {
  worker: true;
  enginePath: string;
  execPath?: string;
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
  private messageListeners: ((m: EngineMessage) => void)[] = [];
  private stderrListeners: ((text: string) => void)[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(o: EngineStartOptions | WorkerStartOptions) {
    this.child = fork(o.enginePath, 'worker' in o ? [WORKER_FLAG] : engineArgv(o), {
      execPath: o.execPath ?? process.execPath,
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
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** Stops forwarding messages to `listener`. */
  offMessage(listener: (m: EngineMessage) => void): void {
    this.messageListeners = this.messageListeners.filter((l) => l !== listener);
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
