/**
 * Models with extra outputs (multi-output distillation): the class logits first, then one
 * regression head per kd.json output. Presets name a head `<model>_<output>`; a model file
 * must have an output layer with that suffix (or the output's bare name) and the right size.
 */
import type * as tfTypes from '@tensorflow/tfjs';

/** One head a preset grows: kd.json's output name, its size and its activation. */
export interface HeadSpec {
  name: string;
  units: number;
  activation: 'sigmoid' | 'linear';
}

function outputLayerName(t: tfTypes.SymbolicTensor): string {
  return t.sourceLayer.name;
}

/**
 * Where each head is among `model.outputs` (never 0, the logits), or why the model cannot
 * serve: a missing head, or one of the wrong size.
 */
export function findHeads(model: tfTypes.LayersModel, heads: HeadSpec[]): { indices: number[] } | { problem: string } {
  const outs = model.outputs;
  const describe = () => outs.map((o) => `${outputLayerName(o)} [${o.shape.slice(1).join(', ')}]`).join(', ');
  const indices: number[] = [];
  const problems: string[] = [];
  for (const head of heads) {
    const i = outs.findIndex((o, k) => k > 0 && (outputLayerName(o) === head.name || outputLayerName(o).endsWith(`_${head.name}`)));
    if (i < 0) {
      problems.push(`no output for "${head.name}" (an output layer named "…_${head.name}" of size ${head.units})`);
      continue;
    }
    const shape = outs[i].shape.slice(1);
    if (shape.length !== 1 || shape[0] !== head.units)
      problems.push(`output "${outputLayerName(outs[i])}" gives [${shape.join(', ')}] per sample; "${head.name}" needs [${head.units}]`);
    indices.push(i);
  }
  if (!problems.length) return { indices };
  return {
    problem: `the model's outputs are ${describe()}: ${problems.join('; ')}. With kd.json "outputs", a model file must carry the heads, like a student or teacher Distillery trained with the same "outputs"`,
  };
}

/** The logits alone of a model with heads: a model over the same layers (same weights). */
export function logitsModel(tf: typeof tfTypes, model: tfTypes.LayersModel): tfTypes.LayersModel {
  if (model.outputs.length === 1) return model;
  return tf.model({ inputs: model.inputs, outputs: model.outputs[0], name: `${model.name}_logits` });
}
