import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { EngineMessage } from '../../src/protocol/events';

/** The CLI the fault tests drive; DISTILL_CLI_UNDER_TEST points them at another build (e.g. an older one, to see a test fail there). */
export const CLI = process.env.DISTILL_CLI_UNDER_TEST ?? path.resolve(__dirname, '../../bin/distill.js');

/** Runs `distill run --json` and hands every event to `onEvent`; resolves with the exit code. */
export function runCli(
  kd: string,
  onEvent: (m: EngineMessage, child: ChildProcess) => void,
  extra: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', kd, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t) => (stderr += t));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line), child);
    } catch {
      /* not an event */
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

export function waitFor<T>(what: string, ms: number, poll: () => T | undefined): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = poll();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

export interface BoundedResult {
  /** null when the process was killed for running past the bound (or by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** `distill <args>`, killed (and reported as timed out) if it has not exited within `ms`: a hang fails a test instead of stalling the suite. */
export function distillBounded(args: string[], ms = 60_000, env: NodeJS.ProcessEnv = {}): Promise<BoundedResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t) => (stderr += t));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child.pid!);
  }, ms);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: Date.now() - t0 });
    }),
  );
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: read past its last ')'.
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Alive, and not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILLs a process and its descendants (a hung CLI and the engine it waits on). */
export function killTree(pid: number): void {
  for (const c of childPids(pid)) killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** No line of a JS stack trace (`    at f (file:1:2)`). */
export const STACK_LINE = /^\s+at \S/m;
