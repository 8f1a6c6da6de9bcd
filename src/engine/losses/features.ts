/**
 * Intermediate-layer distillation terms. Each reads the student's and the teacher's
 * activations of its layer pairs from `studentFeatures` / `teacherFeatures` (one slot per
 * pair) and sums the pairs' weighted losses into one logged term, weighted by β.
 *
 *   feature (FitNets):     Σ_i w_i · d(adapter_i(S_i), T_i),  d = MSE or 1 − cos
 *   attention (Zagoruyko): Σ_i w_i · mean_batch ‖a(S_i) − a(T_i)‖²,
 *                          a(F) = vec(mean_c F²) / ‖vec(mean_c F²)‖₂
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { alignSpatial, type Adapter } from '../models/adapters';
import type { Knobs, LossInputs, LossTerm } from './logits';

type Tensor = tfTypes.Tensor;
type Scalar = tfTypes.Scalar;

/** Mean over all elements of (a − b)². */
export function mseTerm(tf: typeof tfTypes, a: Tensor, b: Tensor): Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as Scalar);
}

/** Mean over the batch of 1 − cos(a_i, b_i), each sample flattened. */
export function cosineTerm(tf: typeof tfTypes, a: Tensor, b: Tensor): Scalar {
  return tf.tidy(() => {
    const n = a.shape[0]!;
    const fa = tf.reshape(a, [n, -1]);
    const fb = tf.reshape(b, [n, -1]);
    const dot = tf.sum(tf.mul(fa, fb), -1);
    const norms = tf.mul(tf.norm(fa, 'euclidean', -1), tf.norm(fb, 'euclidean', -1));
    return tf.mean(tf.sub(1, tf.div(dot, tf.maximum(norms, 1e-8)))) as Scalar;
  });
}

/** [b, h, w, c] → [b, h, w, 1]: the channel mean of squared activations. */
export function attentionEnergy(tf: typeof tfTypes, f: Tensor): Tensor {
  return tf.mean(tf.square(f), -1, true);
}

/** [b, h, w, 1] energy → [b, h·w] map with unit L2 norm per sample. */
export function normalizeMap(tf: typeof tfTypes, energy: Tensor): Tensor {
  const flat = tf.reshape(energy, [energy.shape[0]!, -1]);
  return tf.div(flat, tf.maximum(tf.norm(flat, 'euclidean', -1, true), 1e-12));
}

/** The spatial attention map of a [b, h, w, c] activation, as [b, h·w]. */
export function attentionMap(tf: typeof tfTypes, f: Tensor): Tensor {
  return tf.tidy(() => normalizeMap(tf, attentionEnergy(tf, f)));
}

/** Mean over the batch of ‖a(S) − a(T)‖², the smaller map's size used when they differ. */
export function attentionTerm(tf: typeof tfTypes, student: Tensor, teacher: Tensor): Scalar {
  return tf.tidy(() => {
    const [es, et] = alignSpatial(tf, attentionEnergy(tf, student), attentionEnergy(tf, teacher));
    return tf.mean(tf.sum(tf.squaredDifference(normalizeMap(tf, es), normalizeMap(tf, et)), -1)) as Scalar;
  });
}

export interface FeaturePair {
  /** Slot in studentFeatures / teacherFeatures. */
  slot: number;
  weight: number;
  loss: 'mse' | 'cosine';
  adapter?: Adapter;
}

export interface AttentionPair {
  slot: number;
  weight: number;
}

function slots(inputs: LossInputs, slot: number, who: string): [Tensor, Tensor] {
  const s = inputs.studentFeatures?.[slot];
  const t = inputs.teacherFeatures?.[slot];
  if (!s || !t) throw new Error(`${who} needs the student's and the teacher's activations of pair ${slot}`);
  return [s, t];
}

export class FeatureDistillation implements LossTerm {
  readonly name = 'feature';
  constructor(
    readonly pairs: FeaturePair[],
    private readonly knobs: Pick<Knobs, 'beta'>,
  ) {}
  get weight(): number {
    return this.knobs.beta;
  }
  /** The adapters' weights: trained with the student, never saved with it. */
  get variables(): tfTypes.Variable[] {
    return this.pairs.flatMap((p) => p.adapter?.variables ?? []);
  }
  compute(tf: typeof tfTypes, inputs: LossInputs): Scalar {
    return tf.tidy(() => {
      const parts = this.pairs.map((p) => {
        const [s, t] = slots(inputs, p.slot, 'feature distillation');
        const [sa, ta] = alignSpatial(tf, p.adapter ? p.adapter.apply(s) : s, t);
        return tf.mul(p.loss === 'mse' ? mseTerm(tf, sa, ta) : cosineTerm(tf, sa, ta), p.weight);
      });
      return tf.addN(parts) as Scalar;
    });
  }
}

export class AttentionTransfer implements LossTerm {
  readonly name = 'attention';
  constructor(
    readonly pairs: AttentionPair[],
    private readonly knobs: Pick<Knobs, 'beta'>,
  ) {}
  get weight(): number {
    return this.knobs.beta;
  }
  compute(tf: typeof tfTypes, inputs: LossInputs): Scalar {
    return tf.tidy(() => {
      const parts = this.pairs.map((p) => {
        const [s, t] = slots(inputs, p.slot, 'attention transfer');
        return tf.mul(attentionTerm(tf, s, t), p.weight);
      });
      return tf.addN(parts) as Scalar;
    });
  }
}
