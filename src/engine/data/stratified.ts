/**
 * Stratified subsets: every subset a run draws (data.limit, the test split, the validation
 * split, a limited test file) holds each class in proportion to the samples it is drawn
 * from. A plain "first N of the shuffled order" gave a class-sorted test file a test set of
 * only 0s and 1s; per-class quotas cannot. The draw is deterministic in the seeded order it
 * is given, and keeps that order, so the subsets are not grouped by class.
 */

/**
 * `n` of `order` (a seeded shuffle of sample indices), each class's share by largest
 * remainder; ties go to the class that appears first in `order` (random, but seeded, rather
 * than always class 0). Both parts keep `order`'s order.
 */
export function stratifiedTake(order: Uint32Array, labels: ArrayLike<number>, n: number): { taken: Uint32Array; rest: Uint32Array } {
  const total = order.length;
  n = Math.max(0, Math.min(n, total));
  if (n === total) return { taken: order, rest: new Uint32Array(0) };
  if (n === 0) return { taken: new Uint32Array(0), rest: order };
  const count = new Map<number, number>();
  const firstSeen = new Map<number, number>();
  order.forEach((i, at) => {
    const c = labels[i];
    count.set(c, (count.get(c) ?? 0) + 1);
    if (!firstSeen.has(c)) firstSeen.set(c, at);
  });
  const quota = new Map<number, number>();
  let given = 0;
  for (const [c, k] of count) {
    const q = Math.floor((n * k) / total);
    quota.set(c, q);
    given += q;
  }
  const byRemainder = [...count.keys()].sort((a, b) => {
    const ra = (n * count.get(a)!) % total;
    const rb = (n * count.get(b)!) % total;
    return rb - ra || firstSeen.get(a)! - firstSeen.get(b)!;
  });
  for (let k = 0; given < n; k++, given++) {
    const c = byRemainder[k];
    quota.set(c, quota.get(c)! + 1);
  }
  const taken = new Uint32Array(n);
  const rest = new Uint32Array(total - n);
  let t = 0;
  let r = 0;
  for (const i of order) {
    const c = labels[i];
    const left = quota.get(c)!;
    if (left > 0) {
      taken[t++] = i;
      quota.set(c, left - 1);
    } else rest[r++] = i;
  }
  return { taken, rest };
}

/** How many samples of each class `indices` holds: index = class. */
export function classCounts(indices: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let k = 0; k < indices.length; k++) counts[labels[indices[k]]]++;
  return counts;
}
