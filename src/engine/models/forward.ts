/**
 * Models as logit functions. Presets end in logits; a model file may end in a softmax, and
 * then log-probabilities stand in for logits: softmax(log p / T) equals softmax(z / T) for
 * the z that produced p, since the two differ by a constant per row.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { LogitsFn } from '../train/evaluate';
import { fusedInference } from './fusedInference';
import { logitsModel } from './heads';

/** Whether the layer giving the model's first output (the class scores) is a softmax. */
export function endsInSoftmax(model: tfTypes.LayersModel): boolean {
  const last = model.outputs[0]?.sourceLayer ?? model.layers[model.layers.length - 1];
  const cfg = last.getConfig() as { activation?: string };
  return cfg.activation === 'softmax' || last.getClassName() === 'Softmax';
}

export function logitsFn(tf: typeof tfTypes, full: tfTypes.LayersModel, training: boolean): LogitsFn {
  const soft = endsInSoftmax(full);
  // A model with extra outputs (multi-output distillation): its logits alone, heads not computed.
  const model = logitsModel(tf, full);
  // Models that take flat vectors (a 784-input MLP from elsewhere) get the images flattened.
  const flat = model.inputs[0].shape.length === 2;
  // Inference with each conv + ReLU pair as one fused convolution (same numbers, one pass fewer).
  const fused = training ? undefined : fusedInference(tf, model);
  return (images) => {
    const x = flat ? tf.reshape(images, [images.shape[0], -1]) : images;
    // predict() alone splits the input into batches of 32, ~20% slower per 128-sample batch
    // on wasm (measured by scripts/bench); one call over the whole input instead.
    const y = (training ? model.apply(x, { training: true }) : fused ? fused(x) : model.predict(x, { batchSize: Math.max(1, x.shape[0]) })) as tfTypes.Tensor;
    return soft ? tf.log(tf.clipByValue(y, 1e-7, 1)) : y;
  };
}

export type EnsembleCombine = 'mean-logits' | 'mean-probabilities' | 'weighted';

export interface EnsembleOptions {
  combine: EnsembleCombine;
  /** For "weighted": one weight per teacher (normalised here). */
  weights?: number[];
  /** For "mean-probabilities": the temperature at which the probabilities are averaged. */
  temperature?: number;
}

/**
 * Several teachers' logits as one set of logits:
 *  - mean-logits: (1/n) Σ z_i (the guide's way);
 *  - weighted: Σ w_i z_i with Σ w_i = 1;
 *  - mean-probabilities: T · log((1/n) Σ softmax(z_i / T)), logits whose softmax at T is
 *    exactly the mean of the teachers' softened probabilities.
 * For one teacher each of them gives back that teacher's logits (up to a per-row constant).
 */
export function combineTeacherLogits(tf: typeof tfTypes, logits: tfTypes.Tensor[], o: EnsembleOptions = { combine: 'mean-logits' }): tfTypes.Tensor {
  if (logits.length === 1 && o.combine !== 'mean-probabilities') return logits[0];
  return tf.tidy(() => {
    if (o.combine === 'weighted') {
      const w = o.weights ?? logits.map(() => 1);
      const sum = w.reduce((a, b) => a + b, 0);
      return tf.addN(logits.map((z, i) => tf.mul(z, w[i] / sum)));
    }
    if (o.combine === 'mean-probabilities') {
      const T = o.temperature ?? 1;
      const meanP = tf.div(tf.addN(logits.map((z) => tf.softmax(tf.div(z, T)))), logits.length);
      return tf.mul(tf.log(tf.maximum(meanP, 1e-30)), T);
    }
    return tf.div(tf.addN(logits), logits.length);
  });
}

/** The ensemble as one logit function (mean logits unless told otherwise). */
export function ensembleLogitsFn(tf: typeof tfTypes, models: tfTypes.LayersModel[], o: EnsembleOptions = { combine: 'mean-logits' }): LogitsFn {
  const fns = models.map((m) => logitsFn(tf, m, false));
  if (fns.length === 1 && o.combine !== 'mean-probabilities') return fns[0];
  return (x) =>
    combineTeacherLogits(
      tf,
      fns.map((f) => f(x)),
      o,
    );
}
