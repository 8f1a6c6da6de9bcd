/**
 * Losses for models with several outputs and for sequences: detection-style distillation
 * (KL on class logits plus a regression loss on boxes or points) and token-level
 * distillation of [batch, sequence, classes] logits under a mask of real tokens.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { LossInputs, LossTerm } from './logits';
import { kdTerm } from './logits';
import { mseTerm } from './features';

type Tensor = tfTypes.Tensor;
type Scalar = tfTypes.Scalar;

/** Huber-style smooth L1, mean over elements: ½d²/β where |d| < β, else |d| − ½β. */
export function smoothL1Term(tf: typeof tfTypes, pred: Tensor, target: Tensor, beta = 1): Scalar {
  return tf.tidy(() => {
    // With m = min(|d|, β): ½m²/β + (|d| − m) is both branches at once, and differentiable
    // everywhere in tfjs (a where() on a comparison has no gradient there).
    const d = tf.abs(tf.sub(pred, target));
    const m = tf.minimum(d, beta);
    return tf.mean(tf.add(tf.div(tf.mul(0.5, tf.square(m)), beta), tf.sub(d, m))) as Scalar;
  });
}

/**
 * T² · KL(p_T^teacher ‖ p_T^student) per token of [batch, seq, classes] logits, averaged over
 * the tokens where mask ([batch, seq]) is 1; padded positions contribute nothing, not even
 * to the denominator.
 */
export function maskedTokenKdTerm(tf: typeof tfTypes, studentLogits: Tensor, teacherLogits: Tensor, mask: Tensor, temperature: number): Scalar {
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1); // [batch, seq]
    const m = tf.cast(mask, 'float32');
    return tf.mul(tf.div(tf.sum(tf.mul(kl, m)), tf.maximum(tf.sum(m), 1)), temperature * temperature) as Scalar;
  });
}

/** One output's loss in a multi-output model. */
export interface OutputLossSpec {
  /** Index of the output (in the model's `outputs` order). */
  output: number;
  kind: 'kl' | 'smoothL1' | 'mse' | 'tokenKl';
  weight: number;
  /** For kl / tokenKl. */
  temperature?: number;
  /** For smoothL1. */
  beta?: number;
  /** Logged name; default `<kind><output>`. */
  name?: string;
}

export interface MultiOutputInputs {
  studentOutputs: Tensor[];
  teacherOutputs: Tensor[];
  /** For tokenKl: [batch, seq] mask of real tokens. */
  tokenMask?: Tensor;
}

/** A loss term per output spec; each compares the student's output with the teacher's. */
export function outputLossTerm(spec: OutputLossSpec): LossTerm & { computeOutputs(tf: typeof tfTypes, o: MultiOutputInputs): Scalar } {
  const name = spec.name ?? `${spec.kind}${spec.output}`;
  const computeOutputs = (tf: typeof tfTypes, o: MultiOutputInputs): Scalar => {
    const s = o.studentOutputs[spec.output];
    const t = o.teacherOutputs[spec.output];
    if (!s || !t) throw new Error(`output ${spec.output} is missing (the models have ${o.studentOutputs.length} and ${o.teacherOutputs.length} outputs)`);
    switch (spec.kind) {
      case 'kl':
        return kdTerm(tf, s, t, spec.temperature ?? 1);
      case 'tokenKl':
        if (!o.tokenMask) throw new Error('tokenKl needs a token mask');
        return maskedTokenKdTerm(tf, s, t, o.tokenMask, spec.temperature ?? 1);
      case 'smoothL1':
        return smoothL1Term(tf, s, t, spec.beta ?? 1);
      case 'mse':
        return mseTerm(tf, s, t);
    }
  };
  return {
    name,
    weight: spec.weight,
    computeOutputs,
    // In the single-output LossInputs world, output 0 is the logits and `features` carry the rest.
    compute: (tf, inputs) => {
      if (!inputs.teacherLogits) throw new Error(`${name} needs the teacher's outputs`);
      return computeOutputs(tf, {
        studentOutputs: [inputs.studentLogits, ...(inputs.studentFeatures ?? [])],
        teacherOutputs: [inputs.teacherLogits, ...(inputs.teacherFeatures ?? [])],
      });
    },
  };
}

/** Σ weight · loss over the output specs, with each term's value for logging. */
export function combineOutputLosses(tf: typeof tfTypes, specs: OutputLossSpec[], o: MultiOutputInputs): { total: Scalar; terms: Record<string, Scalar> } {
  const terms: Record<string, Scalar> = {};
  let total = tf.scalar(0) as Scalar;
  for (const spec of specs) {
    const term = outputLossTerm(spec);
    const v = term.computeOutputs(tf, o);
    terms[term.name] = v;
    total = tf.add(total, tf.mul(v, spec.weight)) as Scalar;
  }
  return { total, terms };
}

/**
 * One extra output's regression term: the student's head against the teacher's head
 * (`<output>_kd`) or against the true target (`<output>_gt`), by smooth L1 or MSE.
 */
export class OutputRegression implements LossTerm {
  readonly name: string;
  constructor(
    readonly output: string,
    readonly against: 'teacher' | 'truth',
    readonly weight: number,
    readonly loss: 'smoothL1' | 'mse',
    readonly beta: number,
  ) {
    this.name = `${output}_${against === 'teacher' ? 'kd' : 'gt'}`;
  }
  compute(tf: typeof tfTypes, { studentOutputs, teacherOutputs, targets }: LossInputs): Scalar {
    const pred = studentOutputs?.[this.output];
    const target = this.against === 'teacher' ? teacherOutputs?.[this.output] : targets?.[this.output];
    if (!pred || !target)
      throw new Error(`the ${this.name} term needs the student's "${this.output}" output and the ${this.against === 'teacher' ? "teacher's" : 'true'} one`);
    return regressionTerm(tf, this.loss, this.beta, pred, target);
  }
}

/** Smooth L1 (with its β) or MSE between a head's output and a target. */
export function regressionTerm(tf: typeof tfTypes, loss: 'smoothL1' | 'mse', beta: number, pred: Tensor, target: Tensor): Scalar {
  return loss === 'mse' ? mseTerm(tf, pred, target) : smoothL1Term(tf, pred, target, beta);
}
