/** Predictions, accuracy, confusion, agreement, size and latency of a model. */
import type * as tfTypes from '@tensorflow/tfjs';
import { externalTeacherInfo } from '../models/externalTeacher';
import type { Dataset, Split } from '../data/dataset';
import { makeBatch } from '../data/dataset';
import type { ModelLatency } from '../../protocol/events';
import { measureLatencies, type LatencyPlan } from '../../protocol/stats/latency';

export type LogitsFn = (x: tfTypes.Tensor) => tfTypes.Tensor;

/** Logits of every sample of a split at T = 1, in inference mode, as [n × classes] (or [n × width] for a forward that gives rows of another width). */
export async function predictLogits(
  tf: typeof tfTypes,
  forward: LogitsFn,
  ds: Dataset,
  split: Split,
  batchSize = 512,
  width = ds.numClasses,
): Promise<Float32Array> {
  const n = split.indices.length;
  const out = new Float32Array(n * width);
  for (let start = 0; start < n; start += batchSize) {
    const idx = split.indices.subarray(start, Math.min(n, start + batchSize));
    const batch = makeBatch(ds, split, idx);
    const logits = tf.tidy(() => forward(tf.tensor4d(batch.x, [batch.size, ...ds.shape])));
    out.set(await logits.data(), start * width);
    logits.dispose();
  }
  return out;
}

/** The rows of `table` (one per sample of a set, `width` values each) for `split`'s samples, in its order. */
export function rowsOf(table: Float32Array, width: number, split: Split): Float32Array {
  const out = new Float32Array(split.indices.length * width);
  split.indices.forEach((i, r) => out.set(table.subarray(i * width, (i + 1) * width), r * width));
  return out;
}

export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    pred[i] = best;
  }
  return pred;
}

export function labelsOf(split: Split): Int32Array {
  return Int32Array.from(split.indices, (i) => split.set.labels[i]);
}

export function accuracy(pred: Int32Array, labels: Int32Array): number {
  if (pred.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / pred.length;
}

export function confusionMatrix(pred: Int32Array, labels: Int32Array, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < pred.length; i++) m[labels[i]][pred[i]]++;
  return m;
}

export function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}

/** Batch 1: many cheap passes; the cap on passes is kd.json `evaluation.latencySamples`. */
const BATCH1_PLAN: Omit<LatencyPlan, 'maxPasses'> = { warmupPasses: 10, warmupMs: 20, minPasses: 20, targetRelativeError: 0.02, budgetMs: 250 };
/** The training batch: fewer, dearer passes. */
const BATCH_PLAN: LatencyPlan = { warmupPasses: 2, warmupMs: 20, minPasses: 7, maxPasses: 100, targetRelativeError: 0.03, budgetMs: 400 };
/** The batch latency is measured at the training batch size, up to this many samples (memory). */
export const MAX_LATENCY_BATCH = 1024;

/**
 * Per-sample latency of each forward pass at batch 1 and at the training batch size: the
 * models timed interleaved (protocol/stats/latency.ts), each the median of passes timed one
 * by one after a warm-up, with its interquartile range. The input is real test images: the
 * sparse kernels (backend/simd) take time by the zeros of the pixels and activations, so
 * random input would time another model. Bounded in time: about 0.7 s per model.
 */
export async function measureModelLatencies(
  tf: typeof tfTypes,
  forwards: LogitsFn[],
  ds: Dataset,
  split: Split,
  batchSize: number,
  maxPasses: number,
): Promise<ModelLatency[]> {
  const at = async (size: number, plan: LatencyPlan) => {
    const n = split.indices.length;
    const batch = makeBatch(
      ds,
      split,
      Int32Array.from({ length: size }, (_, i) => split.indices[i % n]),
    );
    const x = tf.tensor4d(batch.x, [size, ...ds.shape]);
    const passes = forwards.map((forward) => async () => {
      const y = tf.tidy(() => forward(x));
      await y.data();
      y.dispose();
    });
    try {
      return await measureLatencies(passes, () => performance.now(), plan, size);
    } finally {
      x.dispose();
    }
  };
  const size = Math.max(1, Math.min(batchSize, MAX_LATENCY_BATCH));
  const batch1 = await at(1, { ...BATCH1_PLAN, maxPasses });
  const batch = await at(size, BATCH_PLAN);
  return batch1.map((b1, i) => ({ batch1: b1, batch: { ...batch[i], size } }));
}

export function modelBytes(model: tfTypes.LayersModel): number {
  const external = externalTeacherInfo(model);
  if (external) return external.params * 4;
  let n = 0;
  for (const w of model.weights) n += (w.shape as number[]).reduce((a, b) => a * b, 1) * 4;
  return n;
}
