/**
 * What Distillery reads of a tf.layers Conv2D (its fields are not in tfjs's public types), and
 * which ones it may run its own way: 2-D, channels last, 'same' or 'valid' padding, no
 * activation of its own.
 */
import type * as tfTypes from '@tensorflow/tfjs';

export interface ConvLayer {
  kernel: { read(): tfTypes.Tensor4D };
  bias?: { read(): tfTypes.Tensor1D } | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dataFormat: string;
  dilationRate: [number, number];
  rank: number;
  activation?: { getClassName(): string };
  call(inputs: tfTypes.Tensor | tfTypes.Tensor[], kwargs: object): tfTypes.Tensor | tfTypes.Tensor[];
}

export function asLinearConv(layer: tfTypes.layers.Layer | undefined): ConvLayer | undefined {
  if (!layer || layer.getClassName() !== 'Conv2D') return undefined;
  const c = layer as unknown as ConvLayer;
  const plain =
    c.rank === 2 &&
    c.dataFormat === 'channelsLast' &&
    (c.padding === 'same' || c.padding === 'valid') &&
    (!c.activation || c.activation.getClassName() === 'linear');
  return plain ? c : undefined;
}
