/**
 * The resnet and mobilenet presets as tfjs layers: one standard layer per node of
 * `presetGraph` (src/protocol/presetGraphs.ts, which decides the topology and the names), so
 * the ONNX exporter, feature pairs and the host's layer tree all see the same graph.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { GRAPH_INPUT, presetGraph, type GraphSpec } from '../../protocol/presetGraphs';

type Symbolic = tfTypes.SymbolicTensor;

/** The representation the logits read (global average pooling's output), from `input`; `nextSeed` seeds each initialiser in turn. */
export function applyGraphPreset(tf: typeof tfTypes, spec: GraphSpec, input: Symbolic, prefix: string, nextSeed: () => number): Symbolic {
  const outputs = new Map<string, Symbolic>([[GRAPH_INPUT, input]]);
  let last = input;
  for (const node of presetGraph(spec, prefix)) {
    const x = node.op === 'add' ? node.inputs.map((n) => outputs.get(n)!) : outputs.get(node.input)!;
    let layer: tfTypes.layers.Layer;
    switch (node.op) {
      case 'conv':
        layer = tf.layers.conv2d({
          name: node.name,
          filters: node.filters,
          kernelSize: node.kernel,
          strides: node.stride,
          padding: 'same',
          useBias: false,
          // He initialisation, as the ResNet and MobileNet papers train with.
          kernelInitializer: tf.initializers.heNormal({ seed: nextSeed() }),
        });
        break;
      case 'depthwise':
        layer = tf.layers.depthwiseConv2d({
          name: node.name,
          kernelSize: node.kernel,
          strides: node.stride,
          padding: 'same',
          useBias: false,
          depthwiseInitializer: tf.initializers.heNormal({ seed: nextSeed() }),
        });
        break;
      case 'bn':
        layer = tf.layers.batchNormalization({ name: node.name });
        break;
      case 'act':
        layer = tf.layers.activation({ name: node.name, activation: node.activation });
        break;
      case 'add':
        layer = tf.layers.add({ name: node.name });
        break;
      case 'gap':
        layer = tf.layers.globalAveragePooling2d({ name: node.name });
        break;
    }
    last = layer.apply(x) as Symbolic;
    outputs.set(node.name, last);
  }
  return last;
}
