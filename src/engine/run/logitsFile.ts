/**
 * logits.json, written at the end of a done run: the teacher's and student's logits on the first
 * test samples (the dark-knowledge view re-softens these), and `samples`, every test sample some
 * model got wrong or on which teacher and student disagree, with a thumbnail and each model's
 * top classes (the confusion view shows them beside a clicked cell). No tfjs here.
 */
import type { ClassProbability, InspectedSamples, LogitsFile } from '../../protocol/webviewMessages';
import type { Pixels } from '../data/sources';

/** What bounds `samples`: at most this many samples, this many thumbnail bytes, thumbnails this many pixels a side. */
export interface InspectLimits {
  maxSamples: number;
  maxImageBytes: number;
  maxSide: number;
}

/** 5000 samples and 4 MiB of pixels (≈ 5.3 MiB of base64): a few MB of JSON the dashboard reads whole. */
export const INSPECT_LIMITS: InspectLimits = { maxSamples: 5000, maxImageBytes: 4 * 1024 * 1024, maxSide: 64 };
export const TOP_CLASSES = 3;
export const INSPECT_RULE = 'misclassified by the teacher, the student or the baseline, or where the teacher and a student disagree';

export interface ModelOutputs {
  /** [n, classes] row-major, test order. */
  logits: Float32Array;
  pred: ArrayLike<number>;
}

export interface LogitsInput {
  numClasses: number;
  /** [height, width, channels] of one sample. */
  shape: readonly [number, number, number];
  /** Labels in test order. */
  labels: ArrayLike<number>;
  /** Test position → the sample's values (h·w·c, uint8 or float32). */
  pixelsAt: (position: number) => Pixels;
  teacher: ModelOutputs;
  student: ModelOutputs;
  baseline?: ModelOutputs;
  /** How many leading test samples keep their full logits (evaluation.logitsSamples). */
  logitsSamples: number;
  classNames?: string[];
  limits?: InspectLimits;
}

/** Grey or RGB pictures (a table's rows, or 2- or 4-channel arrays, are no picture). */
export function isImageShape(shape: readonly number[]): boolean {
  return shape[0] > 1 && (shape[2] === 1 || shape[2] === 3);
}

/** The whole of logits.json. */
export function logitsFileOf(input: LogitsInput): LogitsFile {
  const { numClasses: c, shape } = input;
  const k = Math.min(input.logitsSamples, input.labels.length);
  const image = isImageShape(shape);
  const rows = (a: Float32Array) => Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c), (v) => Math.round(v * 1e4) / 1e4));
  const first = Array.from({ length: k }, (_, i) => i);
  return {
    ...(image ? { shape: [...shape] } : {}),
    labels: first.map((i) => input.labels[i]),
    teacher: rows(input.teacher.logits),
    student: rows(input.student.logits),
    ...(image ? { images: first.map((i) => Buffer.from(thumbnailBytes(input.pixelsAt(i))).toString('base64')) } : {}),
    ...(input.classNames ? { classNames: input.classNames } : {}),
    samples: inspectedSamples(input),
  };
}

/** The samples worth a look, in test order, capped by `limits` (what is left out is counted, never silently dropped). */
export function inspectedSamples(input: LogitsInput): InspectedSamples {
  const limits = input.limits ?? INSPECT_LIMITS;
  const { labels, teacher, student, baseline, numClasses } = input;
  const image = isImageShape(input.shape);
  const factor = reductionFactor(input.shape, limits.maxSide);
  const thumb = image ? thumbnailShape(input.shape, limits.maxSide) : undefined;
  const thumbBytes = thumb ? thumb[0] * thumb[1] * thumb[2] : 0;
  const cap = Math.max(0, Math.min(limits.maxSamples, thumbBytes ? Math.floor(limits.maxImageBytes / thumbBytes) : limits.maxSamples));
  const positions: number[] = [];
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const t = teacher.pred[i];
    const s = student.pred[i];
    const b = baseline?.pred[i];
    const qualifies = t !== y || s !== y || t !== s || (b !== undefined && (b !== y || b !== t));
    if (!qualifies) continue;
    total++;
    if (positions.length < cap) positions.push(i);
  }
  const top = (m: ModelOutputs) => positions.map((i) => topClasses(m.logits.subarray(i * numClasses, (i + 1) * numClasses), TOP_CLASSES));
  return {
    rule: INSPECT_RULE,
    positions,
    ...(thumb
      ? { shape: thumb, images: positions.map((i) => Buffer.from(reduce(thumbnailBytes(input.pixelsAt(i)), input.shape, thumb, factor)).toString('base64')) }
      : {}),
    top: { teacher: top(teacher), student: top(student), ...(baseline ? { baseline: top(baseline) } : {}) },
    total,
    omitted: total - positions.length,
    cap,
  };
}

/**
 * The k likeliest classes under softmax at T = 1, likeliest first. Probabilities are rounded
 * down to 4 decimals, so the listed ones never sum above 1 (rounding to nearest could).
 */
export function topClasses(logits: ArrayLike<number>, k: number): ClassProbability[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, cls) => [cls, e / sum] as ClassProbability)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k)
    .map(([cls, p]) => [cls, Math.floor(p * 1e4) / 1e4]);
}

/** The smallest integer that brings the longer side to ≤ maxSide (1: the data's own size). */
function reductionFactor(shape: readonly number[], maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(shape[0], shape[1]) / maxSide));
}

/** The thumbnail's size: the data's own, or divided by reductionFactor. */
export function thumbnailShape(shape: readonly [number, number, number], maxSide: number): [number, number, number] {
  const f = reductionFactor(shape, maxSide);
  return [Math.max(1, Math.floor(shape[0] / f)), Math.max(1, Math.floor(shape[1] / f)), shape[2]];
}

/** Box-averages f×f blocks of HWC bytes (a ragged edge past to·f is dropped); the identity for f = 1. */
function reduce(bytes: Uint8Array, from: readonly number[], to: readonly number[], f: number): Uint8Array {
  if (f === 1) return bytes;
  const [h, w, c] = to;
  const out = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) sum += bytes[((y * f + dy) * from[1] + x * f + dx) * c + ch];
        out[(y * w + x) * c + ch] = Math.round(sum / (f * f));
      }
  return out;
}

/** One image's pixels as bytes: uint8 as stored, floats stretched from their own min–max to 0–255. */
export function thumbnailBytes(values: Pixels): Uint8Array {
  if (values instanceof Uint8Array) return values;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi > lo ? hi - lo : 1;
  return Uint8Array.from(values, (v) => Math.round(((v - lo) / span) * 255));
}
