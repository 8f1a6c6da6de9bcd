/**
 * The loss of one shard of a batch, as both sides of a split step compute it (the main thread
 * on its rows, each gradient thread on its own): Hinton's terms on the logits, and the step's
 * row [total, ...terms, correct] in the trainer's layout (train/trainer.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { combineLosses, HardLabelCrossEntropy, LogitsDistillation, type LossTerm } from '../losses/logits';
import type { LossSpec } from './protocol';

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

/** The loss terms a shard computes, from their plain-number form (protocol.ts). */
export function termsOf(specs: LossSpec[]): LossTerm[] {
  return specs.map((s) => (s.name === 'kd' ? new LogitsDistillation(s.weight, s.temperature) : new HardLabelCrossEntropy(s.weight)));
}

/**
 * The gradients of one shard's mean loss (by variable, in `vars` order) and its row's values:
 * what the main thread computes on its rows and a gradient thread on its own. Call inside a tidy;
 * the gradients are the caller's to keep or let go.
 */
export function shardGradients(
  tf: typeof tfTypes,
  s: { forward: (x: tfTypes.Tensor) => tfTypes.Tensor; vars: tfTypes.Variable[]; terms: LossTerm[]; classes: number; inputShape: [number, number, number] },
  x: Float32Array,
  y: Int32Array,
  teacher: Float32Array | undefined,
): { grads: tfTypes.Tensor[]; values: number[] } {
  const rows = y.length;
  const xs = tf.tensor4d(x, [rows, ...s.inputShape]);
  const t = teacher ? tf.tensor2d(teacher, [rows, s.classes]) : undefined;
  let row: tfTypes.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    const out = shardLoss(tf, s.forward(xs), y, s.classes, s.terms, t);
    row = tf.keep(out.row);
    return out.total;
  }, s.vars);
  // Kept tensors outlive every tidy: the row is read, then let go.
  const values = Array.from(row!.dataSync());
  row!.dispose();
  return { grads: s.vars.map((v) => grads[v.name]), values };
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
