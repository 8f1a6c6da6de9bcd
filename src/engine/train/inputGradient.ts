/**
 * Keeps training from computing the gradient of the input images.
 *
 * Why: tf.layers runs a Conv2D with a linear activation as tfjs's fused conv2d, whose
 * gradient function computes the input gradient and the filter gradient together, eagerly,
 * even when nothing asks for the input's. For a model's first convolution that input is the
 * batch of images, so every step pays for a Conv2DBackpropInput that is thrown away (2.5 ms
 * of a 27 ms backward pass for the CNN student on wasm). While training, the layer runs as a
 * fused conv (bias included) with a gradient of our own (tf.customGrad) that gives the filter
 * and bias gradients and a zero tensor for the images. (Before: conv2d + a separate bias add,
 * whose per-op gradients tfjs evaluates lazily; but wasm's broadcasting Add cost 1.7 ms a step
 * for 128×28×28×8, and the fused form took the CNN student's cached step from 6 000–6 500 to
 * 7 100–7 300 samples/s.)
 *
 * The layer keeps its fused forward pass whenever no gradient is being recorded (evaluation,
 * prediction, the teacher), and its class, config and weights are untouched, so a saved model
 * is the same model.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { asLinearConv } from '../models/convLayer';

const PATCHED = Symbol.for('distillery.lazyInputGradient');

type CustomGradientFunc = Parameters<typeof tfTypes.customGrad>[0];

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
    const filterGradient = (x: tfTypes.Tensor4D, dy: tfTypes.Tensor4D, filter: tfTypes.Tensor4D) =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: c.strides, pad: c.padding, dataFormat: 'NHWC', filterShape: filter.shape },
        ) as tfTypes.Tensor4D;
    // The images' gradient is never read: a zero tensor of their shape stands for it.
    const convWithBias = tf.customGrad(((x: tfTypes.Tensor4D, filter: tfTypes.Tensor4D, bias: tfTypes.Tensor1D, save: tfTypes.GradSaveFunc) => {
      save([x, filter]);
      const value = tf.fused.conv2d({ x, filter, bias, strides: c.strides, pad: c.padding, dataFormat: 'NHWC', dilations: c.dilationRate });
      const gradFunc = (dy: tfTypes.Tensor4D, [sx, sf]: tfTypes.Tensor[]) => [
        tf.zerosLike(sx),
        filterGradient(sx as tfTypes.Tensor4D, dy, sf as tfTypes.Tensor4D),
        tf.sum(dy, [0, 1, 2]),
      ];
      return { value, gradFunc };
    }) as unknown as CustomGradientFunc);
    const convNoBias = tf.customGrad(((x: tfTypes.Tensor4D, filter: tfTypes.Tensor4D, save: tfTypes.GradSaveFunc) => {
      save([x, filter]);
      const value = tf.conv2d(x, filter, c.strides, c.padding, 'NHWC', c.dilationRate);
      const gradFunc = (dy: tfTypes.Tensor4D, [sx, sf]: tfTypes.Tensor[]) => [
        tf.zerosLike(sx),
        filterGradient(sx as tfTypes.Tensor4D, dy, sf as tfTypes.Tensor4D),
      ];
      return { value, gradFunc };
    }) as unknown as CustomGradientFunc);
    c.call = (inputs, kwargs) => {
      if ((tf.engine().state as unknown as { gradientDepth: number }).gradientDepth === 0) return fused(inputs, kwargs);
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfTypes.Tensor4D;
      return c.bias ? convWithBias(x, c.kernel.read(), c.bias.read()) : convNoBias(x, c.kernel.read());
    };
    (layer as unknown as Record<symbol, boolean>)[PATCHED] = true;
  }
  return layers.length;
}
