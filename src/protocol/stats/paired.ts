/**
 * Did two classifiers evaluated on the same test samples differ by more than noise? The
 * samples are paired (each is scored by both), so only the discordant ones carry evidence:
 * b = first right & second wrong, c = the reverse. McNemar's exact test is the two-sided
 * binomial test of b against b + c at ½; the 95 % interval for the accuracy difference is
 * Newcombe's hybrid score ("square-and-add") interval for paired proportions, method 10 of
 * Newcombe (1998), Stat Med 17:2635–2650: Wilson intervals of the two accuracies, combined
 * with their correlation φ. Pure: no tfjs, no I/O; the run's end and the tests call it.
 */
import type { Significance } from '../events';
import { verdictOf } from './verdict';

/** The paired 2×2 table: both right, only the first right, only the second right, both wrong. */
export interface PairedTable {
  both: number;
  onlyFirst: number;
  onlySecond: number;
  neither: number;
}

/** z for a two-sided 95 % interval: Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

export const NEWCOMBE_METHOD = 'Newcombe (1998) hybrid score interval for paired proportions (method 10)';

export function pairedTable(labels: ArrayLike<number>, first: ArrayLike<number>, second: ArrayLike<number>): PairedTable {
  if (first.length !== labels.length || second.length !== labels.length)
    throw new Error(`paired predictions need one per label: ${labels.length} labels, ${first.length} and ${second.length} predictions`);
  const t: PairedTable = { both: 0, onlyFirst: 0, onlySecond: 0, neither: 0 };
  for (let i = 0; i < labels.length; i++) {
    const a = first[i] === labels[i];
    const b = second[i] === labels[i];
    if (a && b) t.both++;
    else if (a) t.onlyFirst++;
    else if (b) t.onlySecond++;
    else t.neither++;
  }
  return t;
}

/**
 * McNemar's exact two-sided p-value: 2·P(X ≤ min(b, c)) for X ~ Bin(b + c, ½), at most 1.
 * Summed in log space, so that tens of thousands of discordant pairs do not underflow.
 */
export function mcnemarExactP(b: number, c: number): number {
  const n = b + c;
  const m = Math.min(b, c);
  if (n === 0 || b === c) return 1;
  // log C(n, k) for k = 0..m, by the ratio C(n, k+1)/C(n, k) = (n − k)/(k + 1).
  const logs: number[] = [0];
  for (let k = 0; k < m; k++) logs.push(logs[k] + Math.log(n - k) - Math.log(k + 1));
  const top = logs[m];
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - top);
  const logTail = top + Math.log(sum) - n * Math.LN2;
  return Math.min(1, 2 * Math.exp(logTail));
}

/** Wilson's score interval for x successes in n trials. */
export function wilsonInterval(x: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Newcombe's method 10 for θ = p₁ − p₂, where p₁ = (both + onlyFirst)/n and
 * p₂ = (both + onlySecond)/n. φ is the correlation of the two outcomes, with Newcombe's
 * adjustment of a positive numerator by N/2 (0 when a margin is empty).
 */
export function newcombePairedInterval(t: PairedTable, z = Z95): [number, number] {
  const n = t.both + t.onlyFirst + t.onlySecond + t.neither;
  if (n === 0) return [-1, 1];
  const x1 = t.both + t.onlyFirst;
  const x2 = t.both + t.onlySecond;
  const p1 = x1 / n;
  const p2 = x2 / n;
  const [l1, u1] = wilsonInterval(x1, n, z);
  const [l2, u2] = wilsonInterval(x2, n, z);
  const margins = [x1, n - x1, x2, n - x2];
  let phi = 0;
  if (margins.every((m) => m > 0)) {
    const cross = t.both * t.neither - t.onlyFirst * t.onlySecond;
    const numerator = cross > n / 2 ? cross - n / 2 : cross >= 0 ? 0 : cross;
    phi = numerator / Math.sqrt(margins.reduce((a, b) => a * b, 1));
  }
  const d = p1 - p2;
  const lower = d - Math.sqrt(Math.max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2));
  const upper = d + Math.sqrt(Math.max(0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2));
  return [Math.max(-1, lower), Math.min(1, upper)];
}

/** Whether `first` (the distilled student) beat `second` (the baseline) on the same test samples, beyond noise. */
export function pairedSignificance(labels: ArrayLike<number>, first: ArrayLike<number>, second: ArrayLike<number>): Significance {
  const t = pairedTable(labels, first, second);
  const interval95 = newcombePairedInterval(t);
  return {
    test: 'mcnemar',
    discordant: [t.onlyFirst, t.onlySecond],
    pValue: mcnemarExactP(t.onlyFirst, t.onlySecond),
    interval95,
    method: NEWCOMBE_METHOD,
    verdict: verdictOf(interval95),
  };
}
