import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { EngineMessage } from '../../src/protocol/events';

export const CLI = path.resolve(__dirname, '../../bin/distill.js');

/** Runs `distill run --json` and hands every event to `onEvent`; resolves with the exit code. */
export function runCli(kd: string, onEvent: (m: EngineMessage, child: ChildProcess) => void, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
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
