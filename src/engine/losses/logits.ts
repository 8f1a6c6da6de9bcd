/**
 * Hinton's distillation loss, as small composable terms (the shape of Keras 3's
 * `LogitsDistillation`): each term names itself, so its value can be logged and plotted.
 *
 *   L = α · T² · KL(p_T^teacher ‖ p_T^student) + (1 − α) · CE(y, p_1^student)
 *
 * The T² keeps the soft-target gradients at the same scale as the hard-target ones when T
 * changes (their magnitude falls as 1/T²).
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Tensor = tfTypes.Tensor;
type Scalar = tfTypes.Scalar;

export interface LossInputs {
  studentLogits: Tensor;
  /** Present for distillation terms; absent in the from-scratch baseline. */
  teacherLogits?: Tensor;
  /** One-hot labels, [batch, classes]. */
  labels: Tensor;
  /** [batch]: 1 where the label may be used, 0 for unlabeled transfer samples (absent: all 1). */
  labelMask?: Tensor;
  /** Intermediate activations for feature/attention terms, one slot per layer pair. */
  studentFeatures?: Tensor[];
  teacherFeatures?: Tensor[];
  /** Multi-output models: each extra head's output [batch, dim], by output name. */
  studentOutputs?: Record<string, Tensor>;
  teacherOutputs?: Record<string, Tensor>;
  /** The true value of each extra output for the batch [batch, dim], by output name. */
  targets?: Record<string, Tensor>;
}

/**
 * The knobs a schedule turns while a stage trains: α, T and β. Terms built on a Knobs object
 * read it at every step, so a schedule only has to update these three numbers.
 */
export interface Knobs {
  alpha: number;
  temperature: number;
  beta: number;
}

export interface LossTerm {
  /** The key under which the term is logged: `kd`, `ce`, … */
  readonly name: string;
  readonly weight: number;
  compute(tf: typeof tfTypes, inputs: LossInputs): Scalar;
}

/** T² · mean over the batch of KL(softmax(t/T) ‖ softmax(s/T)). */
export function kdTerm(tf: typeof tfTypes, studentLogits: Tensor, teacherLogits: Tensor, temperature: number): Scalar {
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1);
    return tf.mul(tf.mean(kl), temperature * temperature) as Scalar;
  });
}

/**
 * Mean cross-entropy of the student's T = 1 softmax against one-hot labels. With a mask, the
 * mean runs over the labeled samples only (0 when a batch has none).
 */
export function ceTerm(tf: typeof tfTypes, studentLogits: Tensor, labels: Tensor, mask?: Tensor): Scalar {
  return tf.tidy(() => {
    const perSample = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(studentLogits)), -1));
    if (!mask) return tf.mean(perSample) as Scalar;
    return tf.div(tf.sum(tf.mul(perSample, mask)), tf.maximum(tf.sum(mask), 1)) as Scalar;
  });
}

export class LogitsDistillation implements LossTerm {
  readonly name = 'kd';
  constructor(
    readonly weight: number,
    readonly temperature: number,
  ) {}
  compute(tf: typeof tfTypes, { studentLogits, teacherLogits }: LossInputs): Scalar {
    if (!teacherLogits) throw new Error('LogitsDistillation needs teacher logits');
    return kdTerm(tf, studentLogits, teacherLogits, this.temperature);
  }
}

export class HardLabelCrossEntropy implements LossTerm {
  readonly name = 'ce';
  constructor(readonly weight: number) {}
  compute(tf: typeof tfTypes, { studentLogits, labels, labelMask }: LossInputs): Scalar {
    return ceTerm(tf, studentLogits, labels, labelMask);
  }
}

/** The KD term with α and T read from knobs at every step (for schedules). */
export class ScheduledLogitsDistillation implements LossTerm {
  readonly name = 'kd';
  constructor(private readonly knobs: Knobs) {}
  get weight(): number {
    return this.knobs.alpha;
  }
  compute(tf: typeof tfTypes, { studentLogits, teacherLogits }: LossInputs): Scalar {
    if (!teacherLogits) throw new Error('LogitsDistillation needs teacher logits');
    return kdTerm(tf, studentLogits, teacherLogits, this.knobs.temperature);
  }
}

/** The CE term weighted 1 − α, α read from knobs at every step. */
export class ScheduledHardLabelCrossEntropy implements LossTerm {
  readonly name = 'ce';
  constructor(private readonly knobs: Knobs) {}
  get weight(): number {
    return 1 - this.knobs.alpha;
  }
  compute(tf: typeof tfTypes, { studentLogits, labels, labelMask }: LossInputs): Scalar {
    return ceTerm(tf, studentLogits, labels, labelMask);
  }
}

/** Hinton's loss on knobs: both terms are always present, so a schedule may move α through 0. */
export function scheduledHintonLoss(knobs: Knobs): LossTerm[] {
  return [new ScheduledLogitsDistillation(knobs), new ScheduledHardLabelCrossEntropy(knobs)];
}

/** The guide's loss for a given α and T; α = 0 is plain training on labels (the baseline). */
export function hintonLoss(alpha: number, temperature: number): LossTerm[] {
  const terms: LossTerm[] = [new HardLabelCrossEntropy(1 - alpha)];
  if (alpha > 0) terms.unshift(new LogitsDistillation(alpha, temperature));
  return terms;
}

export interface CombinedLoss {
  total: Scalar;
  terms: Record<string, Scalar>;
}

/** Weighted sum of the terms; each unweighted term is returned too, for logging. */
export function combineLosses(tf: typeof tfTypes, terms: LossTerm[], inputs: LossInputs): CombinedLoss {
  const values: Record<string, Scalar> = {};
  let total: Scalar = tf.scalar(0);
  for (const term of terms) {
    const v = term.compute(tf, inputs);
    values[term.name] = v;
    total = tf.add(total, tf.mul(v, term.weight)) as Scalar;
  }
  return { total, terms: values };
}
