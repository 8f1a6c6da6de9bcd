/**
 * A frozen teacher that tfjs cannot train or look inside (an ONNX model run by ONNX Runtime, a
 * tfjs GraphModel) as a tfjs LayersModel, so that everything a teacher goes through — shape
 * checks, logits functions, the teacher-logits cache, feature and attention taps, ensembles —
 * takes it as it takes any other: input [h, w, c] → one layer that runs the forward and gives
 * the logits and the tapped activations → one named pass-through layer per output. The
 * logits layer reports a softmax activation when the teacher outputs probabilities, so
 * forward.ts's rule (log-probabilities stand in for logits) applies.
 */
import type * as tfTypes from '@tensorflow/tfjs';

/** What the forward gives for a batch of NHWC images: the logits [n, classes] and each tap, NHWC or flat, in order. */
export interface ExternalForward {
  /** Per sample, without the batch: [classes], then each tap's shape (NHWC for feature maps). */
  outputShapes: number[][];
  run(images: Float32Array, n: number): Float32Array[];
  dispose(): void;
}

export interface ExternalTeacherInfo {
  /** "onnx" or "graph-model". */
  kind: string;
  file: string;
  /** What determines its outputs (file bytes digest, layout, output name): the teacher cache's and the memo's key. */
  identity: string;
  /** Every name a teacherLayer may give (node outputs of the graph). */
  tapNames: string[];
  /** Its weights' element count (ONNX initializers, GraphModel weights): it has no tfjs weights to count. */
  params: number;
  probabilities: boolean;
}

/** Parameters of a model, a frozen external teacher's included. */
export function paramCount(model: tfTypes.LayersModel): number {
  return INFO.get(model)?.params ?? model.countParams();
}

/** A teacherLayer that the ONNX graph or GraphModel does not have: reported at the pair that names it. */
export class UnknownTapError extends Error {
  constructor(
    message: string,
    readonly tap: string,
  ) {
    super(message);
  }
}

const INFO = new WeakMap<tfTypes.LayersModel, ExternalTeacherInfo>();

/** The external teacher behind a model, or undefined for a tfjs LayersModel. */
export function externalTeacherInfo(model: tfTypes.LayersModel): ExternalTeacherInfo | undefined {
  return INFO.get(model);
}

export function externalTeacherModel(
  tf: typeof tfTypes,
  inputShape: number[],
  forward: ExternalForward,
  tapNames: string[],
  info: Omit<ExternalTeacherInfo, 'probabilities'>,
  name: string,
): tfTypes.LayersModel {
  const record: ExternalTeacherInfo = { ...info, probabilities: false };
  class Forward extends tf.layers.Layer {
    static className = 'DistilleryExternalForward';
    computeOutputShape(): tfTypes.Shape[] {
      return forward.outputShapes.map((s) => [null, ...s]);
    }
    call(inputs: tfTypes.Tensor | tfTypes.Tensor[]): tfTypes.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const n = x.shape[0];
      const outs = forward.run(x.dataSync() as Float32Array, n);
      return outs.map((data, i) => tf.tensor(data, [n, ...forward.outputShapes[i]]));
    }
    dispose(): ReturnType<tfTypes.layers.Layer['dispose']> {
      const r = super.dispose();
      if (r.refCountAfterDispose === 0) forward.dispose();
      return r;
    }
  }
  class Output extends tf.layers.Layer {
    static className = 'DistilleryExternalOutput';
    constructor(
      args: { name: string; trainable: boolean },
      private readonly logits: boolean,
    ) {
      super(args);
    }
    call(inputs: tfTypes.Tensor | tfTypes.Tensor[]): tfTypes.Tensor {
      return tf.clone(Array.isArray(inputs) ? inputs[0] : inputs);
    }
    computeOutputShape(s: tfTypes.Shape): tfTypes.Shape {
      return s;
    }
    getConfig(): tfTypes.serialization.ConfigDict {
      // A probabilities output reads as a softmax (forward.ts endsInSoftmax): log p stands in for logits.
      return { ...super.getConfig(), ...(this.logits ? { activation: record.probabilities ? 'softmax' : 'linear' } : {}) };
    }
  }
  const input = tf.input({ shape: inputShape, name: `${name}_input` });
  const outs = [new Forward({ name: `${name}_forward`, trainable: false }).apply(input)].flat() as tfTypes.SymbolicTensor[];
  const logits = new Output({ name: `${name}_logits`, trainable: false }, true).apply(outs[0]) as tfTypes.SymbolicTensor;
  const taps = tapNames.map((t, i) => new Output({ name: t, trainable: false }, false).apply(outs[i + 1]) as tfTypes.SymbolicTensor);
  // The taps are outputs too (after the logits): the layers are then part of the model and getLayer finds them;
  // logits functions take outputs[0] alone (heads.ts logitsModel).
  const model = tf.model({ inputs: input, outputs: [logits, ...taps], name });
  INFO.set(model, record);
  return model;
}

/**
 * Whether a batch of the teacher's outputs are probabilities (rows ≥ 0 summing to 1): then
 * it is marked so, and its log-probabilities stand in for logits.
 */
export function detectProbabilities(model: tfTypes.LayersModel, rows: Float32Array, classes: number): boolean {
  const info = INFO.get(model);
  if (!info) return false;
  let probabilities = rows.length > 0;
  for (let r = 0; probabilities && r < rows.length / classes; r++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const v = rows[r * classes + k];
      if (!(v >= 0)) probabilities = false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) probabilities = false;
  }
  info.probabilities = probabilities;
  return probabilities;
}
