/**
 * The loss of one shard of a batch, as both sides of a split step compute it (the main thread
 * on its rows, each gradient thread on its own): Hinton's terms on the logits, and the step's
 * row [total, ...terms, correct] in the trainer's layout (train/trainer.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { combineLosses, type LossTerm } from '../losses/logits';

export function shardLoss(
  tf: typeof tfTypes,
  studentLogits: tfTypes.Tensor,
  y: Int32Array,
  classes: number,
  terms: LossTerm[],
  teacherLogits?: tfTypes.Tensor,
): { total: tfTypes.Scalar; row: tfTypes.Tensor } {
  const labelsIndex = tf.tensor1d(y, 'int32');
  const labels = tf.oneHot(labelsIndex, classes).asType('float32');
  const { total, terms: values } = combineLosses(tf, terms, { studentLogits, teacherLogits, labels });
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(studentLogits, -1), labelsIndex), 'float32'));
  return { total, row: tf.stack([total, ...terms.map((t) => values[t.name]), correct]) };
}

/**
 * One step's row from its shards' rows: a mean loss per shard becomes the batch's mean
 * (weighted by rows), the correct counts add up. The gradients are combined with the same weights.
 */
export function combineRows(rows: { values: ArrayLike<number>; rows: number }[]): number[] {
  const n = rows.reduce((s, r) => s + r.rows, 0);
  const width = rows[0].values.length;
  const out = new Array<number>(width).fill(0);
  for (const r of rows) {
    for (let c = 0; c < width - 1; c++) out[c] += (r.values[c] * r.rows) / n;
    out[width - 1] += r.values[width - 1];
  }
  return out;
}
