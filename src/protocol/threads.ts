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

/**
 * The share of a run started while others run: what their threads leave of the cores (a run
 * keeps the threads it started with), one at least. A run alone gets threadsPerRun(1).
 */
export function threadsBeside(taken: readonly number[], cores: number = os.availableParallelism()): number {
  const free = cores - taken.reduce((a, b) => a + b, 0);
  return Math.max(1, Math.min(MAX_THREADS, free));
}

/**
 * The threads a run uses when told a number: at most the cores (more threads than cores only
 * slow each other; MAX_THREADS is the default's cap, a person may ask for more on a big machine).
 */
export function threadsAsked(asked: number, cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.min(Math.floor(asked), cores));
}

/**
 * A Slurm task's share: the cores of its allocation (`--cpus-per-task`, which Slurm exports as
 * SLURM_CPUS_PER_TASK), not the node's, which other tasks of the array use.
 */
export function threadsOfSlurmTask(env: NodeJS.ProcessEnv = process.env, cores: number = os.availableParallelism()): number {
  const allocated = parseThreads(env.SLURM_CPUS_PER_TASK);
  return threadsPerRun(1, allocated === undefined ? cores : Math.min(allocated, cores));
}

/** A `--threads` value as given on a command line: a whole number ≥ 1, else undefined. */
export function parseThreads(v: string | undefined): number | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}
