/**
 * Statistics over seeds: is a difference between two settings (a distilled student and its
 * from-scratch baseline, or a sweep's best setting and its runner-up) larger than what another
 * seed would change? Both sides of a comparison run the same seeds, and a seed fixes the data
 * split, the order and the initial weights, so the comparison is paired by seed: the
 * difference of seed s is a(s) − b(s), and the 95 % interval of the mean difference is
 * Student's t with n − 1 degrees of freedom over those n differences. One rule decides
 * everywhere: the interval contains 0 → "no measurable difference".
 *
 * The t quantile is computed, not looked up: the t CDF from the regularised incomplete beta
 * function (Numerical Recipes' continued fraction), inverted by bisection. Tested against
 * the closed forms for 1, 2 and 4 degrees of freedom and published tables.
 * Pure: no node, no tfjs, no vscode (the webview imports it too).
 */
import { intervalPoints, signedPoints } from '../format';
import { verdictOf, type Verdict } from './verdict';

/** a − b, paired by seed. */
export interface SeedComparison {
  test: 'paired-t';
  /** The seeds both sides finished, in order. */
  seeds: number[];
  n: number;
  /** Mean and sample standard deviation (n − 1) of the per-seed differences. */
  meanDiff: number;
  sdDiff: number;
  /** 95 % t-interval of the mean difference; absent with fewer than 2 seeds. */
  interval95?: [number, number];
  /** "better" when the interval lies above 0, "worse" below, else "no measurable difference"; absent with fewer than 2 seeds. */
  verdict?: Verdict;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x below the mean; above it, use the symmetry.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` (> 0) degrees of freedom, 0 < p < 1. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile needs 0 < p < 1 and df > 0 (got p = ${p}, df = ${df})`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  let lo = 0;
  // Bisection to the last representable digit: about 60 halvings from any bracket.
  for (let i = 0; i < 200 && hi - lo > 1e-14 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean and sample sd (n − 1) of the values and the 95 % t-interval of their mean (none for n < 2). */
export function tInterval95(values: number[]): { n: number; mean: number; sd: number; interval95?: [number, number] } {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { n, mean, sd: n ? 0 : NaN };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, interval95: [mean - half, mean + half] };
}

/** a − b over the seeds both have a value for, paired by seed. */
export function compareBySeed(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): SeedComparison {
  const seeds = [...a.keys()].filter((s) => b.has(s) && Number.isFinite(a.get(s)!) && Number.isFinite(b.get(s)!)).sort((x, y) => x - y);
  const t = tInterval95(seeds.map((s) => a.get(s)! - b.get(s)!));
  return {
    test: 'paired-t',
    seeds,
    n: t.n,
    meanDiff: t.mean,
    sdDiff: t.sd,
    ...(t.interval95 ? { interval95: t.interval95, verdict: verdictOf(t.interval95) } : {}),
  };
}

/** Two values are distinguishable when their paired interval excludes 0 (needs ≥ 2 seeds). */
export function distinguishable(c: SeedComparison): boolean {
  return c.verdict === 'better' || c.verdict === 'worse';
}

const pts = (x: number) => (x * 100).toFixed(2).replace('-', '−');
/** "+1.20 pts ± 0.50 sd, 95 % CI +0.30 to +2.10 pts over 3 seeds", or the reason there is no interval. */
export function describeComparison(c: SeedComparison): string {
  if (!c.n) return 'no seed finished on both sides';
  const head = `${signedPoints(c.meanDiff)}`;
  if (!c.interval95) return `${head} (one seed: no interval; run 2 or more seeds)`;
  return `${head} ± ${pts(c.sdDiff)} sd, 95 % CI ${intervalPoints(c.interval95, 2)} over ${c.n} seeds`;
}
