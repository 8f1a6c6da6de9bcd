/**
 * Models as logit functions. Presets end in logits; a model file may end in a softmax, and
 * then log-probabilities stand in for logits: softmax(log p / T) equals softmax(z / T) for
 * the z that produced p, since the two differ by a constant per row.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { LogitsFn } from '../train/evaluate';

export function endsInSoftmax(model: tfTypes.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const cfg = last.getConfig() as { activation?: string };
  return cfg.activation === 'softmax' || last.getClassName() === 'Softmax';
}

export function logitsFn(tf: typeof tfTypes, model: tfTypes.LayersModel, training: boolean): LogitsFn {
  const soft = endsInSoftmax(model);
  // Models that take flat vectors (a 784-input MLP from elsewhere) get the images flattened.
  const flat = model.inputs[0].shape.length === 2;
  return (images) => {
    const x = flat ? tf.reshape(images, [images.shape[0], -1]) : images;
    const y = (training ? model.apply(x, { training: true }) : model.predict(x)) as tfTypes.Tensor;
    return soft ? tf.log(tf.clipByValue(y, 1e-7, 1)) : y;
  };
}

/** Mean logits of several teachers: the guide's way of combining an ensemble. */
export function ensembleLogitsFn(tf: typeof tfTypes, models: tfTypes.LayersModel[]): LogitsFn {
  const fns = models.map((m) => logitsFn(tf, m, false));
  if (fns.length === 1) return fns[0];
  return (x) => tf.div(tf.addN(fns.map((f) => f(x))), fns.length);
}
