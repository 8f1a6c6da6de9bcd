/** What the bench's pieces share: the sweep's data split and settings, process helpers. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The sweep's data: all 10 000 bundled digits, 80% train / 10% validation / 10% test. */
export const SWEEP_DATA = { source: 'mnist' as const, validationSplit: 0.1, testSplit: 0.1 };
export const SWEEP_SEED = 42;
export const SWEEP_TEMPERATURES = [1, 2, 3, 4, 6, 8, 12];
export const SWEEP_ALPHA = 0.7;
export const SWEEP_WORKLOAD = 'cnn' as const;

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to its end, collecting its output; `onLine` sees stdout lines as they come. */
export function runProcess(
  cmd: string,
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; echoStderr?: boolean } = {},
): Promise<Exit> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!o.onLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      lines.forEach(o.onLine);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (o.echoStderr) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

/** A TypeScript file of this folder, run by the current Node with tsx. */
export function tsxArgs(file: string, args: string[]): string[] {
  return ['--import', 'tsx', path.join(__dirname, file), ...args];
}

export const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * PyTorch's environment: one thread, and OpenBLAS where one is found. Debian's python3-torch is
 * built with BLAS_INFO=generic and so runs on whatever libblas.so.3 the system's alternatives
 * point at: the reference BLAS by default (a 1024² matmul at ~3.5 GFLOP/s here, against
 * OpenBLAS's ~80–240), which says more about that choice than about PyTorch. The bench compares
 * against PyTorch on OpenBLAS: `--torch-blas DIR` (a folder holding OpenBLAS's libblas.so.3, e.g.
 * libopenblas0-pthread's, unpacked), else the system's openblas-pthread folder when installed;
 * `--torch-blas system` keeps the system's libblas. torchBlas says which ran.
 */
const OPENBLAS_DIRS = ['/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread'];
export function torchBlas(): string {
  const i = process.argv.indexOf('--torch-blas');
  const chosen = i > 0 ? process.argv[i + 1] : OPENBLAS_DIRS.find((d) => fs.existsSync(path.join(d, 'libblas.so.3')));
  if (chosen && chosen !== 'system' && !fs.existsSync(path.join(chosen, 'libblas.so.3'))) throw new Error(`--torch-blas ${chosen}: no libblas.so.3 there`);
  return chosen ?? 'system';
}

export function torchEnv(): NodeJS.ProcessEnv {
  const blas = torchBlas();
  const lib = blas === 'system' ? {} : { LD_LIBRARY_PATH: [blas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  return { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', ...lib };
}
