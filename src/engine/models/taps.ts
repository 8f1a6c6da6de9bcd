/**
 * Reading intermediate activations by layer name: a multi-output model over the same layers
 * (so the same weights), whose outputs are the named layers' and, last, the logits.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { endsInSoftmax } from './forward';

type Tensor = tfTypes.Tensor;

export class UnknownLayerError extends Error {}

export interface TappedOutputs {
  logits: Tensor;
  features: Tensor[];
  /** Extra heads' outputs by name (multi-output distillation). */
  outputs?: Record<string, Tensor>;
}

export type TappedFn = (images: Tensor) => TappedOutputs;

/** Names of the layers a pair could name (no input layers). */
export function layerNames(model: tfTypes.LayersModel): string[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
}

/** An activation's shape without the batch dimension. */
export function layerShape(model: tfTypes.LayersModel, name: string): number[] {
  const out = layerOutput(model, name);
  return out.shape.slice(1) as number[];
}

function layerOutput(model: tfTypes.LayersModel, name: string): tfTypes.SymbolicTensor {
  let layer: tfTypes.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new UnknownLayerError(`no layer "${name}" in model "${model.name}" (its layers: ${layerNames(model).join(', ')})`);
  }
  const out = layer.output;
  if (Array.isArray(out)) throw new UnknownLayerError(`layer "${name}" has several outputs; pick a layer with one`);
  return out;
}

/** A model with outputs [layer₁, …, layerₙ, logits] sharing the given model's weights. */
export function tapModel(tf: typeof tfTypes, model: tfTypes.LayersModel, names: string[]): tfTypes.LayersModel {
  const outputs = [...names.map((n) => layerOutput(model, n)), model.outputs[0]];
  return tf.model({ inputs: model.inputs, outputs, name: `${model.name}_taps` });
}

/** Forward pass that returns the logits (log-probabilities for softmax models) and the activations. */
export function tappedFn(tf: typeof tfTypes, model: tfTypes.LayersModel, names: string[], training: boolean): TappedFn {
  // tfjs drops repeated outputs, so each layer is tapped once and handed to every slot naming it.
  const unique = [...new Set(names)];
  const slotOf = names.map((n) => unique.indexOf(n));
  const tapped = tapModel(tf, model, unique);
  const soft = endsInSoftmax(model);
  const flat = model.inputs[0].shape.length === 2;
  return (images) => {
    const x = flat ? tf.reshape(images, [images.shape[0]!, -1]) : images;
    const outs = (training ? tapped.apply(x, { training: true }) : tapped.predict(x)) as Tensor | Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    const y = list[list.length - 1];
    return { logits: soft ? tf.log(tf.clipByValue(y, 1e-7, 1)) : y, features: slotOf.map((u) => list[u]) };
  };
}
