/**
 * Thinning a long curve to what a canvas can show. Largest-Triangle-Three-Buckets keeps the
 * visual shape (spikes survive) with a fixed point budget, so a 100 000-step run draws as
 * fast as a 100-step one. Pure and allocation-light: it runs on every redraw.
 */
export interface Point {
  x: number;
  y: number;
}

/**
 * LTTB (Steinarsson 2013): the first and last points, plus one point per bucket — the one
 * forming the largest triangle with the previous pick and the next bucket's mean.
 * Returns all points when there are no more than `threshold`.
 */
export function lttb(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): Point[] {
  const n = Math.min(xs.length, ys.length);
  if (threshold >= n) {
    const all: Point[] = new Array(n);
    for (let i = 0; i < n; i++) all[i] = { x: xs[i], y: ys[i] };
    return all;
  }
  // Too small a budget for buckets: the ends are what is left to show.
  if (threshold < 3)
    return threshold <= 0
      ? []
      : [
          { x: xs[0], y: ys[0] },
          { x: xs[n - 1], y: ys[n - 1] },
        ].slice(0, threshold);
  const out: Point[] = [{ x: xs[0], y: ys[0] }];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // The mean of the next bucket is the triangle's third corner.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    const len = Math.max(1, nextEnd - nextStart);
    avgX /= len;
    avgY /= len;

    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a];
    const ay = ys[a];
    let maxArea = -1;
    let pick = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j] - ay) - (ax - xs[j]) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        pick = j;
      }
    }
    out.push({ x: xs[pick], y: ys[pick] });
    a = pick;
  }
  out.push({ x: xs[n - 1], y: ys[n - 1] });
  return out;
}

/**
 * Min/max bucketing: for each of `buckets` equal-width x ranges, the lowest and highest point
 * in x order. Never hides an extreme, at most 2·buckets points (plus the last point).
 */
export function minMaxBuckets(xs: ArrayLike<number>, ys: ArrayLike<number>, buckets: number): Point[] {
  const n = Math.min(xs.length, ys.length);
  if (n <= 2 * buckets || buckets < 1) {
    const all: Point[] = new Array(n);
    for (let i = 0; i < n; i++) all[i] = { x: xs[i], y: ys[i] };
    return all;
  }
  const x0 = xs[0];
  const width = (xs[n - 1] - x0) / buckets || 1;
  const out: Point[] = [];
  let i = 0;
  while (i < n) {
    const b = Math.min(buckets - 1, Math.floor((xs[i] - x0) / width));
    let lo = i;
    let hi = i;
    let j = i;
    while (j < n && Math.min(buckets - 1, Math.floor((xs[j] - x0) / width)) === b) {
      if (ys[j] < ys[lo]) lo = j;
      if (ys[j] > ys[hi]) hi = j;
      j++;
    }
    const first = Math.min(lo, hi);
    const second = Math.max(lo, hi);
    out.push({ x: xs[first], y: ys[first] });
    if (second !== first) out.push({ x: xs[second], y: ys[second] });
    i = j;
  }
  const last = out[out.length - 1];
  if (last.x !== xs[n - 1]) out.push({ x: xs[n - 1], y: ys[n - 1] });
  return out;
}
