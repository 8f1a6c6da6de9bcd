/**
 * Keeps training from computing the gradient of the input images.
 *
 * Why: tf.layers runs a Conv2D with a linear activation as tfjs's fused conv2d, whose
 * gradient function computes the input gradient and the filter gradient together, eagerly,
 * even when nothing asks for the input's. For a model's first convolution that input is the
 * batch of images, so every step pays for a Conv2DBackpropInput that is thrown away (2.5 ms
 * of a 27 ms backward pass for the CNN student on wasm). The same conv written as conv2d +
 * bias add has per-op gradients that tfjs evaluates lazily, only for inputs on the path to a
 * trained variable: the images are not, so theirs is never computed.
 *
 * The layer keeps its fused forward pass whenever no gradient is being recorded (evaluation,
 * prediction, the teacher), and its class, config and weights are untouched, so a saved model
 * is the same model.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { asLinearConv } from '../models/convLayer';

const PATCHED = Symbol.for('distillery.lazyInputGradient');

/** The Conv2D layers (linear activation, channels last) that read `model`'s own inputs. */
function firstConvolutions(model: tfTypes.LayersModel): tfTypes.layers.Layer[] {
  const inputs = new Set(model.inputs);
  return model.layers.filter((layer) => {
    if (!asLinearConv(layer)) return false;
    const reads = layer.inboundNodes.flatMap((node) => node.inputTensors);
    return reads.length > 0 && reads.every((t) => inputs.has(t));
  });
}

/** Makes `model`'s first convolutions skip the images' gradient while training. Idempotent. */
export function skipInputGradient(tf: typeof tfTypes, model: tfTypes.LayersModel): number {
  const layers = firstConvolutions(model).filter((l) => !(l as unknown as Record<symbol, boolean>)[PATCHED]);
  for (const layer of layers) {
    const c = asLinearConv(layer)!;
    const fused = c.call.bind(layer);
    c.call = (inputs, kwargs) => {
      if ((tf.engine().state as unknown as { gradientDepth: number }).gradientDepth === 0) return fused(inputs, kwargs);
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfTypes.Tensor4D;
        const y = tf.conv2d(x, c.kernel.read(), c.strides, c.padding, 'NHWC', c.dilationRate);
        return c.bias ? tf.add(y, c.bias.read()) : y;
      });
    };
    (layer as unknown as Record<symbol, boolean>)[PATCHED] = true;
  }
  return layers.length;
}
