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

/** A model with outputs [layer₁, …, layerₙ, logits, heads…] sharing the given model's weights. */
export function tapModel(tf: typeof tfTypes, model: tfTypes.LayersModel, names: string[], headIndices: number[] = []): tfTypes.LayersModel {
  const outputs = [...names.map((n) => layerOutput(model, n)), model.outputs[0], ...headIndices.map((i) => model.outputs[i])];
  return tf.model({ inputs: model.inputs, outputs, name: `${model.name}_taps` });
}

/** Extra outputs to return by name: kd.json's output name and its index among the model's outputs (see models/heads.ts). */
export interface HeadOutputs {
  names: string[];
  indices: number[];
}

/**
 * Forward pass that returns the logits (log-probabilities for softmax models), the activations
 * of the named layers and, given `heads`, the model's extra outputs by name.
 */
export function tappedFn(tf: typeof tfTypes, model: tfTypes.LayersModel, names: string[], training: boolean, heads?: HeadOutputs): TappedFn {
  // tfjs drops repeated outputs, so each layer is tapped once and handed to every slot naming it.
  const unique = [...new Set(names)];
  const slotOf = names.map((n) => unique.indexOf(n));
  const tapped = tapModel(tf, model, unique, heads?.indices);
  const soft = endsInSoftmax(model);
  const flat = model.inputs[0].shape.length === 2;
  return (images) => {
    const x = flat ? tf.reshape(images, [images.shape[0]!, -1]) : images;
    const outs = (training ? tapped.apply(x, { training: true }) : tapped.predict(x, { batchSize: Math.max(1, x.shape[0]!) })) as Tensor | Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    const y = list[unique.length];
    const result: TappedOutputs = { logits: soft ? tf.log(tf.clipByValue(y, 1e-7, 1)) : y, features: slotOf.map((u) => list[u]) };
    if (heads) result.outputs = Object.fromEntries(heads.names.map((n, i) => [n, list[unique.length + 1 + i]]));
    return result;
  };
}
