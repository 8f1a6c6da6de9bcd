/**
 * PyTorch's sweep given the same cores as ours: its loop split over one process per core, each on
 * one thread (torch_bench.py --sweep-part K/N, the teacher the main PyTorch run saved), started
 * together; the wall time from the first spawn to the last exit, process starts included as ours are.
 */
import * as path from 'node:path';
import { runProcess, torchEnv } from './common';

export interface TorchParallelSweep {
  seconds: number;
  processes: number;
  trials: number;
}

export async function torchSweepParallel(py: string, dataDir: string, processes: number): Promise<TorchParallelSweep> {
  const t0 = performance.now();
  const parts = await Promise.all(
    Array.from({ length: processes }, (_, k) =>
      runProcess(py, [path.join(__dirname, 'torch_bench.py'), dataDir, '--sweep-part', `${k}/${processes}`], { env: torchEnv() }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  let trials = 0;
  for (const [k, r] of parts.entries()) {
    if (r.code !== 0) throw new Error(`torch_bench.py --sweep-part ${k}/${processes} failed:\n${r.stderr.slice(-2000)}`);
    trials += (JSON.parse(r.stdout.trim().split('\n').pop()!) as { trials: unknown[] }).trials.length;
  }
  return { seconds, processes, trials };
}
