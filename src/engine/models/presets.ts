/**
 * The architecture presets of kd.json. Every initialiser gets its own seed derived from the
 * model's seed and the layer's position, so the distilled student and its from-scratch
 * baseline start from identical weights.
 *
 * With kd.json `outputs`, a preset also grows one dense head per output on the
 * representation its logits read; the model's outputs are then [logits, head₁, …]. The
 * layers before the heads are built exactly as without them (same names, same seeds).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ArchitectureSpec } from '../../protocol/config';
import { deriveSeed } from '../util/rng';
import type { HeadSpec } from './heads';
import { isGraphPreset } from '../../protocol/presetGraphs';
import { applyGraphPreset } from './graphPresets';

export function describeArchitecture(spec: ArchitectureSpec): string {
  switch (spec.preset) {
    case 'mlp':
      return `mlp ${spec.hidden.join('-')}`;
    case 'cnn':
      return `cnn conv${spec.filters.join('-conv')}${spec.dense.length ? '-dense' + spec.dense.join('-dense') : ''}`;
    case 'resnet':
      return `resnet${spec.depth} width ${spec.width}`;
    case 'mobilenet':
      return `mobilenet ${spec.filters.join('-')}×${spec.blocks} α${spec.widthMultiplier} ${spec.activation}`;
  }
}

export function buildPreset(
  tf: typeof tfTypes,
  spec: ArchitectureSpec,
  inputShape: [number, number, number],
  numClasses: number,
  seed: number,
  name: string,
  heads: HeadSpec[] = [],
): tfTypes.LayersModel {
  let layerSeed = seed;
  const init = () => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
    biasInitializer: tf.initializers.zeros(),
  });
  const layers: tfTypes.layers.Layer[] = [];
  const prefix = (s: string) => `${name}_${s}`;
  if (isGraphPreset(spec.preset)) {
    const input = tf.input({ shape: inputShape, name: prefix('input') });
    const features = applyGraphPreset(tf, spec as Extract<ArchitectureSpec, { preset: 'resnet' | 'mobilenet' }>, input, name, () => layerSeed++);
    const logits = tf.layers.dense({ units: numClasses, name: prefix('logits'), ...init() }).apply(features) as tfTypes.SymbolicTensor;
    return tf.model({
      inputs: input,
      outputs: [logits, ...heads.map((head) => headLayer(tf, head, seed, prefix).apply(features) as tfTypes.SymbolicTensor)],
      name,
    });
  }
  if (spec.preset === 'mlp') {
    layers.push(tf.layers.flatten({ inputShape, name: prefix('flatten') }));
    spec.hidden.forEach((units, i) => {
      layers.push(tf.layers.dense({ units, activation: 'relu', name: prefix(`dense${i + 1}`), ...init() }));
      if (spec.dropout > 0) layers.push(tf.layers.dropout({ rate: spec.dropout, name: prefix(`dropout${i + 1}`) }));
    });
  } else if (spec.preset === 'cnn') {
    spec.filters.forEach((filters, i) => {
      const conv = { filters, kernelSize: spec.kernelSize, padding: 'same' as const, name: prefix(`conv${i + 1}`), ...init() };
      layers.push(tf.layers.conv2d(i === 0 ? { ...conv, inputShape } : conv));
      if (spec.batchNorm) layers.push(tf.layers.batchNormalization({ name: prefix(`bn${i + 1}`) }));
      layers.push(tf.layers.activation({ activation: 'relu', name: prefix(`relu${i + 1}`) }));
      layers.push(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: prefix(`pool${i + 1}`) }));
    });
    layers.push(tf.layers.flatten({ name: prefix('flatten') }));
    spec.dense.forEach((units, i) => {
      if (spec.dropout > 0) layers.push(tf.layers.dropout({ rate: spec.dropout, name: prefix(`dropout${i + 1}`) }));
      layers.push(tf.layers.dense({ units, activation: 'relu', name: prefix(`dense${i + 1}`), ...init() }));
    });
  }
  // Logits out: the softmax belongs to the loss, where the temperature is applied.
  const logits = tf.layers.dense({ units: numClasses, name: prefix('logits'), ...init() });
  if (!heads.length) return tf.sequential({ layers: [...layers, logits], name });
  // The same layers as a graph, so that the heads can read what the logits read.
  const input = tf.input({ shape: inputShape, name: prefix('input') });
  let h = input;
  for (const layer of layers) h = layer.apply(h) as tfTypes.SymbolicTensor;
  const outputs = [logits.apply(h) as tfTypes.SymbolicTensor];
  for (const head of heads) outputs.push(headLayer(tf, head, seed, prefix).apply(h) as tfTypes.SymbolicTensor);
  return tf.model({ inputs: input, outputs, name });
}

function headLayer(tf: typeof tfTypes, head: HeadSpec, seed: number, prefix: (s: string) => string): tfTypes.layers.Layer {
  return tf.layers.dense({
    units: head.units,
    activation: head.activation,
    name: prefix(head.name),
    kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, `head:${head.name}`) }),
    biasInitializer: tf.initializers.zeros(),
  });
}
