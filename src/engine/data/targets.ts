/**
 * Regression targets computed from an image's own pixels, for multi-output (detection-style)
 * distillation on digit data sets that carry only class labels. They are computed per batch
 * from the pixels the models see, after augmentation, so a shifted digit's box shifts too.
 *
 * Ink is what stands out of the image: pixels above the midpoint between its darkest and its
 * brightest value (any normalisation, any channel count: channels are averaged).
 */
import type { OutputTarget } from '../../protocol/config';

/** Values per sample of each target. */
export const TARGET_DIM: Record<OutputTarget, number> = { inkBox: 4, inkCentre: 2 };

/** [top, left, bottom, right] of the ink, as fractions of the height and width; an empty image gives a zero box at the centre. */
function inkBox(img: Float32Array, h: number, w: number, c: number, out: Float32Array, at: number): void {
  const { lo, hi } = range(img);
  const mid = (lo + hi) / 2;
  let top = h;
  let left = w;
  let bottom = -1;
  let right = -1;
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      if (pixel(img, r, col, w, c) <= mid || hi <= lo) continue;
      if (r < top) top = r;
      if (r > bottom) bottom = r;
      if (col < left) left = col;
      if (col > right) right = col;
    }
  }
  if (bottom < 0) out.set([0.5, 0.5, 0.5, 0.5], at);
  else out.set([top / h, left / w, (bottom + 1) / h, (right + 1) / w], at);
}

/** [y, x] of the ink's centre of mass (pixel centres), as fractions; the image centre when there is no ink. */
function inkCentre(img: Float32Array, h: number, w: number, c: number, out: Float32Array, at: number): void {
  const { lo } = range(img);
  let mass = 0;
  let y = 0;
  let x = 0;
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const m = pixel(img, r, col, w, c) - lo;
      mass += m;
      y += m * (r + 0.5);
      x += m * (col + 0.5);
    }
  }
  if (mass <= 0) out.set([0.5, 0.5], at);
  else out.set([y / mass / h, x / mass / w], at);
}

function pixel(img: Float32Array, r: number, col: number, w: number, c: number): number {
  let v = 0;
  for (let ch = 0; ch < c; ch++) v += img[(r * w + col) * c + ch];
  return v / c;
}

function range(img: Float32Array): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of img) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

/** The target of every image of a batch x [size, h, w, c], as [size × dim]. */
export function batchTargets(target: OutputTarget, x: Float32Array, size: number, shape: [number, number, number]): Float32Array {
  const [h, w, c] = shape;
  const px = h * w * c;
  const dim = TARGET_DIM[target];
  const out = new Float32Array(size * dim);
  const fn = target === 'inkBox' ? inkBox : inkCentre;
  for (let b = 0; b < size; b++) fn(x.subarray(b * px, (b + 1) * px), h, w, c, out, b * dim);
  return out;
}

/** Mean intersection over union of predicted and true boxes [size × 4] (top, left, bottom, right). */
export function meanIoU(pred: Float32Array, truth: Float32Array): number {
  const n = truth.length / 4;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const [pt, pl, pb, pr] = ordered(pred, i);
    const [tt, tl, tb, tr] = ordered(truth, i);
    const ih = Math.max(0, Math.min(pb, tb) - Math.max(pt, tt));
    const iw = Math.max(0, Math.min(pr, tr) - Math.max(pl, tl));
    const inter = ih * iw;
    const union = (pb - pt) * (pr - pl) + (tb - tt) * (tr - tl) - inter;
    sum += union > 0 ? inter / union : 0;
  }
  return n ? sum / n : 0;
}

/** A box with its edges in order (a head may predict top below bottom). */
function ordered(a: Float32Array, i: number): [number, number, number, number] {
  const [t, l, b, r] = a.subarray(i * 4, i * 4 + 4);
  return [Math.min(t, b), Math.min(l, r), Math.max(t, b), Math.max(l, r)];
}

/** Mean distance between predicted and true points [size × 2] (y, x as fractions), in pixels of an h × w image. */
export function meanPixelError(pred: Float32Array, truth: Float32Array, h: number, w: number): number {
  const n = truth.length / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.hypot((pred[2 * i] - truth[2 * i]) * h, (pred[2 * i + 1] - truth[2 * i + 1]) * w);
  return n ? sum / n : 0;
}
