/**
 * A Sequential model's inference pass with every Conv2D (linear) followed by a ReLU layer run
 * as one fused convolution.
 *
 * Why: the presets build a convolution and its ReLU as two layers (so that feature and
 * attention pairs can name the ReLU's output), and tf.layers runs them as two kernels. At
 * inference, a teacher's ReLU is a whole extra pass over its largest activations (128×28×28×32
 * floats after the first convolution); fused, it is free in the convolution's output stage
 * (XNNPACK's clamp, or Winograd's output transform). The result is the same numbers.
 * Other layers run as they are; models that are not Sequential get undefined (model.predict).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { asLinearConv } from './convLayer';

type Tensor = tfTypes.Tensor;

function isRelu(layer: tfTypes.layers.Layer | undefined): boolean {
  if (!layer) return false;
  if (layer.getClassName() === 'ReLU') return (layer.getConfig() as { maxValue?: number | null }).maxValue == null;
  return layer.getClassName() === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'relu';
}

export function fusedInference(tf: typeof tfTypes, model: tfTypes.LayersModel): ((x: Tensor) => Tensor) | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const steps: ((x: Tensor) => Tensor)[] = [];
  const layers = model.layers;
  let fused = 0;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const c = asLinearConv(layer);
    if (c && isRelu(layers[i + 1])) {
      steps.push((x) =>
        tf.fused.conv2d({
          x: x as tfTypes.Tensor4D,
          filter: c.kernel.read(),
          bias: c.bias?.read(),
          strides: c.strides,
          pad: c.padding,
          dilations: c.dilationRate,
          dataFormat: 'NHWC',
          activation: 'relu',
        }),
      );
      fused++;
      i++;
      continue;
    }
    steps.push((x) => layer.apply(x) as Tensor);
  }
  if (!fused) return undefined;
  return (x) => steps.reduce((t, step) => step(t), x);
}
