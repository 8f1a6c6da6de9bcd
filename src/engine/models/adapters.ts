/**
 * Adapters bridge a student's activation to a teacher's when their shapes differ (FitNets'
 * regressor): a 1×1 convolution for feature maps, a dense layer for vectors. Spatial sizes
 * are aligned by pooling the larger map down to the smaller one (average pooling for whole
 * factors, bilinear resizing otherwise). Adapters train beside the student but are not
 * layers of it, so the exported student never contains them.
 */
import type * as tfTypes from '@tensorflow/tfjs';

type Tensor = tfTypes.Tensor;
/** An activation's shape without the batch dimension: [h, w, c] or [d]. */
export type ActivationShape = number[];

export interface Adapter {
  description: string;
  apply(x: Tensor): Tensor;
  variables: tfTypes.Variable[];
  dispose(): void;
}

export class AdapterShapeError extends Error {}

export function describeShape(s: ActivationShape): string {
  return `[${s.join(', ')}]`;
}

/**
 * The adapter from a student activation shape to a teacher's, or undefined when the shapes
 * already match. Throws AdapterShapeError when no adapter can bridge them (e.g. a feature
 * map against a vector).
 */
export function buildAdapter(tf: typeof tfTypes, student: ActivationShape, teacher: ActivationShape, name: string, seed: number): Adapter | undefined {
  if (student.length !== teacher.length || (student.length !== 1 && student.length !== 3)) {
    throw new AdapterShapeError(
      `the student's ${describeShape(student)} and the teacher's ${describeShape(teacher)} activations cannot be bridged: both must be feature maps [h, w, c] or both vectors [d]`,
    );
  }
  const channelsS = student[student.length - 1];
  const channelsT = teacher[teacher.length - 1];
  if (channelsS === channelsT) return undefined;
  const init = { kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.zeros() };
  const layer =
    student.length === 3 ? tf.layers.conv2d({ filters: channelsT, kernelSize: 1, name, ...init }) : tf.layers.dense({ units: channelsT, name, ...init });
  // Build the weights now, from the input shape, so they exist before the first step.
  layer.build([null, ...student]);
  return {
    description: student.length === 3 ? `1×1 conv ${channelsS}→${channelsT}` : `dense ${channelsS}→${channelsT}`,
    apply: (x) => layer.apply(x) as Tensor,
    variables: layer.trainableWeights.map((w) => w.read() as tfTypes.Variable),
    // tfjs refuses to dispose a layer never applied (a plan refused before training); its weights go either way.
    dispose: () => (layer.inboundNodes.length ? layer.dispose() : layer.weights.forEach((w) => w.dispose())),
  };
}

/** Brings a [b, h, w, c] map to [b, toH, toW, c]: average pooling for whole factors, else bilinear. */
export function resizeMap(tf: typeof tfTypes, x: Tensor, toH: number, toW: number): Tensor {
  const [, h, w] = x.shape;
  if (h === toH && w === toW) return x;
  if (h! >= toH && w! >= toW && h! % toH === 0 && w! % toW === 0) {
    return tf.avgPool(x as tfTypes.Tensor4D, [h! / toH, w! / toW], [h! / toH, w! / toW], 'valid');
  }
  return tf.image.resizeBilinear(x as tfTypes.Tensor4D, [toH, toW]);
}

/** Two [b, h, w, c] maps brought to the smaller of their spatial sizes. */
export function alignSpatial(tf: typeof tfTypes, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.rank !== 4) return [a, b];
  const h = Math.min(a.shape[1]!, b.shape[1]!);
  const w = Math.min(a.shape[2]!, b.shape[2]!);
  return [resizeMap(tf, a, h, w), resizeMap(tf, b, h, w)];
}
