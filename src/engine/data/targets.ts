/**
 * The regression targets of multi-output (detection-style) distillation.
 *
 * Built-in targets are computed from an image's own pixels, so digit data sets that carry
 * only class labels can have them. They are computed per batch from the pixels the models
 * see, after augmentation, so a shifted digit's box shifts too. Ink is what stands out of the
 * image: pixels above the midpoint between its darkest and its brightest value (any
 * normalisation, any channel count: channels are averaged).
 *
 * A file target is an IDX file of [N, d] values, one row per image of the set, looked up by
 * the image's index (so it does not move with augmentation).
 */
import * as path from 'node:path';
import { BUILTIN_TARGET_DIM, isBuiltinTarget, type BuiltinTarget, type OutputSpec } from '../../protocol/config';
import type { OutputResult } from '../../protocol/events';
import type { ConfigIssue } from '../../protocol/loadConfig';
import { readIdxValues } from './idx';
import type { ImageSet } from './sources';

/** Values per sample of each built-in target. */
export const TARGET_DIM = BUILTIN_TARGET_DIM;

/** One kd.json output, ready for a run: its size, its head's activation, its metric, and its values. */
export interface ResolvedOutput {
  name: string;
  spec: OutputSpec;
  dim: number;
  /** Built-in targets are fractions of the image (sigmoid heads); file values are anything (linear heads). */
  activation: 'sigmoid' | 'linear';
  metric: OutputResult['metric'];
  builtin?: BuiltinTarget;
  /** File targets: [count × dim] values of each image set (the training set, and the test set when it has its own files). */
  rows?: Map<ImageSet, Float32Array>;
}

/** The true values of one output for a batch: pixels [size, h, w, c] after augmentation, and the images' indices in `set`. */
export function outputValues(
  o: ResolvedOutput,
  x: Float32Array,
  size: number,
  shape: [number, number, number],
  set: ImageSet,
  indices: ArrayLike<number>,
): Float32Array {
  if (o.builtin) return batchTargets(o.builtin, x, size, shape);
  const table = o.rows?.get(set);
  if (!table) throw new Error(`output "${o.name}": no target values for this image set`);
  const out = new Float32Array(size * o.dim);
  for (let b = 0; b < size; b++) out.set(table.subarray(indices[b] * o.dim, (indices[b] + 1) * o.dim), b * o.dim);
  return out;
}

/** An output's test metric: mean IoU of boxes, mean pixel error of centres, mean absolute error of file values. */
export function outputMetric(o: ResolvedOutput, pred: Float32Array, truth: Float32Array, shape: [number, number, number]): number {
  return mean(outputSamples(o, pred, truth, shape));
}

/**
 * The metric of each test sample (its box's IoU, its centre's error, its row's mean absolute
 * error): the metric is their mean, and the paired difference between two models on the same
 * samples is what the verdict on a head rests on (outputHeads.ts).
 */
export function outputSamples(o: ResolvedOutput, pred: Float32Array, truth: Float32Array, shape: [number, number, number]): Float64Array {
  if (o.builtin === 'inkBox') return sampleIoU(pred, truth);
  if (o.builtin === 'inkCentre') return samplePixelError(pred, truth, shape[0], shape[1]);
  return sampleAbsoluteError(pred, truth, o.dim);
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length ? sum / values.length : 0;
}

/**
 * The outputs of a kd.json, with file targets read and checked against the image sets: one
 * row per image. Problems come back as issues at the output's JSON path.
 */
export function resolveOutputs(
  outputs: Record<string, OutputSpec>,
  baseDir: string,
  sets: { train: ImageSet; test?: ImageSet },
): { outputs: ResolvedOutput[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const resolved: ResolvedOutput[] = [];
  for (const [name, spec] of Object.entries(outputs)) {
    if (isBuiltinTarget(spec.target)) {
      resolved.push({
        name,
        spec,
        dim: TARGET_DIM[spec.target],
        activation: 'sigmoid',
        metric: spec.target === 'inkBox' ? 'iou' : 'pixelError',
        builtin: spec.target,
      });
      continue;
    }
    const rows = new Map<ImageSet, Float32Array>();
    let dim: number | undefined;
    const parts: [keyof typeof sets, string | undefined, string][] = [
      ['train', spec.target, 'target'],
      ['test', spec.testTarget, 'testTarget'],
    ];
    for (const [part, file, key] of parts) {
      const set = sets[part];
      if (!set || !file) continue;
      const abs = path.resolve(baseDir, file);
      try {
        const { dims, values } = readIdxValues(abs);
        const d = dims.slice(1).reduce((a, b) => a * b, 1);
        if (dims[0] !== set.count)
          throw new Error(
            `${abs} has ${dims[0]} rows, but the ${part === 'train' ? 'training' : 'test'} images are ${set.count}: one row of values per image, in file order`,
          );
        if (dim !== undefined && d !== dim) throw new Error(`${abs} has ${d} values per row, the training targets ${dim}`);
        if (!values.every(Number.isFinite)) throw new Error(`${abs} holds values that are not finite numbers`);
        dim = d;
        rows.set(set, values);
      } catch (e) {
        const message = (e as Error).message;
        issues.push({ path: ['outputs', name, key], message: message.startsWith(abs) || message.includes(abs) ? message : `${abs}: ${message}` });
      }
    }
    if (dim !== undefined) resolved.push({ name, spec, dim, activation: 'linear', metric: 'mae', rows });
  }
  return { outputs: resolved, issues };
}

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
export function batchTargets(target: BuiltinTarget, x: Float32Array, size: number, shape: [number, number, number]): Float32Array {
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
  return mean(sampleIoU(pred, truth));
}

/** The IoU of each box (0 when both are empty). */
export function sampleIoU(pred: Float32Array, truth: Float32Array): Float64Array {
  const n = truth.length / 4;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [pt, pl, pb, pr] = ordered(pred, i);
    const [tt, tl, tb, tr] = ordered(truth, i);
    const ih = Math.max(0, Math.min(pb, tb) - Math.max(pt, tt));
    const iw = Math.max(0, Math.min(pr, tr) - Math.max(pl, tl));
    const inter = ih * iw;
    const union = (pb - pt) * (pr - pl) + (tb - tt) * (tr - tl) - inter;
    out[i] = union > 0 ? inter / union : 0;
  }
  return out;
}

/** A box with its edges in order (a head may predict top below bottom). */
function ordered(a: Float32Array, i: number): [number, number, number, number] {
  const [t, l, b, r] = a.subarray(i * 4, i * 4 + 4);
  return [Math.min(t, b), Math.min(l, r), Math.max(t, b), Math.max(l, r)];
}

/** Mean distance between predicted and true points [size × 2] (y, x as fractions), in pixels of an h × w image. */
export function meanPixelError(pred: Float32Array, truth: Float32Array, h: number, w: number): number {
  return mean(samplePixelError(pred, truth, h, w));
}

/** The distance in pixels of each predicted centre from the true one. */
export function samplePixelError(pred: Float32Array, truth: Float32Array, h: number, w: number): Float64Array {
  const n = truth.length / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.hypot((pred[2 * i] - truth[2 * i]) * h, (pred[2 * i + 1] - truth[2 * i + 1]) * w);
  return out;
}

/** Each row's mean absolute difference (rows of `dim` values): their mean is meanAbsoluteError. */
export function sampleAbsoluteError(pred: Float32Array, truth: Float32Array, dim: number): Float64Array {
  const n = Math.floor(truth.length / dim);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = i * dim; k < (i + 1) * dim; k++) sum += Math.abs(pred[k] - truth[k]);
    out[i] = sum / dim;
  }
  return out;
}

/** Mean absolute difference over every value. */
export function meanAbsoluteError(pred: Float32Array, truth: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs(pred[i] - truth[i]);
  return truth.length ? sum / truth.length : 0;
}
