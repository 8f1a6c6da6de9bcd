/**
 * How many threads one run may use: the one rule for every parent that starts engines (the
 * CLI, a sweep's workers, the extension) and for the engine when it is told nothing. A run
 * alone on a machine gets its cores; runs side by side share them, one core at least each.
 * Above MAX_THREADS the split steps' averaging costs more than another shard saves.
 */
import * as os from 'node:os';

export const MAX_THREADS = 4;

export function threadsPerRun(runsAtOnce: number, cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(cores / Math.max(1, runsAtOnce))));
}

/** A `--threads` value as given on a command line: a whole number ≥ 1, else undefined. */
export function parseThreads(v: string | undefined): number | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}
