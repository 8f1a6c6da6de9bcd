/**
 * Latency that can be trusted. One timed forward pass is noise (a GC pause, a cold cache, the
 * other process on a 2-core machine); a mean of them is pulled by every such outlier, which is
 * how two identical students once measured 0.041 and 0.107 ms. So: warm up first, time each
 * pass on its own, repeat until the median is stable (its estimated relative standard error
 * under a target) or a time budget is spent, and report the median with its interquartile
 * range. The models of a run are timed interleaved (measureLatencies). Two latencies whose
 * ranges overlap are within noise of each other. Pure: the clock
 * and the forward pass are injected, so the unit tests drive them with fakes.
 */

/** Per-sample milliseconds: the median and the interquartile range of the timed passes. */
export interface LatencyStats {
  medianMs: number;
  q1Ms: number;
  q3Ms: number;
  /** Timed passes (after the warm-up). */
  repetitions: number;
}

export interface LatencyPlan {
  /** Warm-up: at least this many passes and this many milliseconds, untimed. */
  warmupPasses: number;
  warmupMs: number;
  /** Timed passes: at least `minPasses` (unless the budget runs out first, then at least 3), at most `maxPasses`. */
  minPasses: number;
  maxPasses: number;
  /** Stop once the median's relative standard error is below this (0.02 = 2 %). */
  targetRelativeError: number;
  /** Milliseconds of timed passes after which the measurement stops. */
  budgetMs: number;
}

/** The least timed passes a median is reported from, even when the budget is spent. */
const FLOOR_PASSES = 3;

/** Quantile q of ascending `sorted` by linear interpolation between order statistics (R's type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The median's standard error relative to the median: 1.2533·σ/√n (the median's asymptotic
 * efficiency under a normal), with σ estimated robustly as IQR/1.349.
 */
export function medianRelativeError(sorted: readonly number[]): number {
  const median = quantile(sorted, 0.5);
  if (!(median > 0)) return Infinity;
  const sigma = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 1.349;
  return (1.2533 * sigma) / Math.sqrt(sorted.length) / median;
}

export function summarise(samples: readonly number[], perPass = 1): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5) / perPass,
    q1Ms: quantile(sorted, 0.25) / perPass,
    q3Ms: quantile(sorted, 0.75) / perPass,
    repetitions: sorted.length,
  };
}

/**
 * Times `pass` by `plan` on clock `now` (milliseconds). `perPass`: samples in one pass, so
 * that a batch's latency is reported per sample.
 */
export async function measureLatency(pass: () => Promise<void>, now: () => number, plan: LatencyPlan, perPass = 1): Promise<LatencyStats> {
  return (await measureLatencies([pass], now, plan, perPass))[0];
}

/**
 * Times several models' passes interleaved, one pass of each per round, so that a burst of
 * load from another process (or a GC) falls on all of them alike instead of on whichever was
 * being timed: two identical models then read alike. Rounds go on until every median is
 * stable, the cap on passes, or the budget (`budgetMs` per model) is spent.
 */
export async function measureLatencies(passes: (() => Promise<void>)[], now: () => number, plan: LatencyPlan, perPass = 1): Promise<LatencyStats[]> {
  if (!passes.length) return [];
  const budget = plan.budgetMs * passes.length;
  const round = async (each: (i: number, ms: number) => void) => {
    for (let i = 0; i < passes.length; i++) {
      const t0 = now();
      await passes[i]();
      each(i, now() - t0);
    }
  };
  // Warm-up: the first passes compile kernels and fill caches. At least one round, and never
  // longer than the budget (a model whose one pass takes seconds gets one warm-up pass).
  const warmStart = now();
  for (let r = 0; r < 10 * plan.warmupPasses + 100; r++) {
    const elapsed = now() - warmStart;
    if (r >= 1 && elapsed >= budget) break;
    if (r >= plan.warmupPasses && elapsed >= plan.warmupMs) break;
    await round(() => {});
  }
  const samples: number[][] = passes.map(() => []);
  const start = now();
  for (let r = 1; r <= plan.maxPasses; r++) {
    await round((i, ms) => samples[i].push(ms));
    if (now() - start >= budget && r >= FLOOR_PASSES) break;
    if (r >= plan.minPasses && samples.every((s) => medianRelativeError([...s].sort((a, b) => a - b)) <= plan.targetRelativeError)) break;
  }
  return samples.map((s) => summarise(s, perPass));
}

/** Two latencies are within noise of each other when their interquartile ranges overlap. */
export function withinNoise(a: Pick<LatencyStats, 'q1Ms' | 'q3Ms'>, b: Pick<LatencyStats, 'q1Ms' | 'q3Ms'>): boolean {
  return a.q1Ms <= b.q3Ms && b.q1Ms <= a.q3Ms;
}
