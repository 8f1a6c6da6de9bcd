/**
 * Multi-output (detection-style) distillation: one regression head per kd.json `outputs`
 * entry, beside the class logits, on the representation the logits are computed from (the
 * input of the model's last layer).
 *
 * - The teacher's heads are fitted on its frozen features (a probe), so any teacher, trained
 *   here or loaded from a file, gets them the same way.
 * - The student's heads train with the student: KL on the logits (Hinton's terms) plus, per
 *   output, the regression loss against the teacher's head (`<name>_kd`, weight) and against
 *   the truth (`<name>_gt`, labelWeight). The baseline's heads learn from the truth only.
 * - Heads are small models of their own, trained beside a model like feature adapters; the
 *   student is also saved with its heads as one multi-output model (FILES.studentWithHeads).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { OutputSpec, OutputTarget } from '../../protocol/config';
import type { OutputResult } from '../../protocol/events';
import { epochOrder, makeBatch, type Dataset, type Split } from '../data/dataset';
import { batchTargets, meanIoU, meanPixelError, TARGET_DIM } from '../data/targets';
import type { LossTerm } from '../losses/logits';
import { OutputRegression, regressionTerm } from '../losses/outputs';
import { loadLayersModel, saveLayersModel } from '../models/modelFiles';
import { tappedFn, type TappedFn } from '../models/taps';
import { deriveSeed, mulberry32 } from '../util/rng';

type Tensor = tfTypes.Tensor;

export interface Heads {
  /** The layer whose output the heads read. */
  layer: string;
  models: Record<string, tfTypes.LayersModel>;
  variables: tfTypes.Variable[];
  dispose(): void;
}

/** The layer feeding `model`'s last layer: the representation its logits come from. */
export function representationLayer(model: tfTypes.LayersModel): string {
  const last = model.layers[model.layers.length - 1];
  const feeding = last.inboundNodes[0]?.inboundLayers[0];
  if (!feeding || feeding.getClassName() === 'InputLayer') throw new Error(`model "${model.name}" has no layer before its last one for output heads to read`);
  return feeding.name;
}

/** A head per output on `model`'s representation: dense to the target's size, sigmoid (targets are fractions of the image). */
export function buildHeads(tf: typeof tfTypes, model: tfTypes.LayersModel, outputs: Record<string, OutputSpec>, seed: number, prefix: string): Heads {
  const layer = representationLayer(model);
  const inShape = (model.getLayer(layer).outputShape as (number | null)[]).slice(1) as number[];
  const models: Record<string, tfTypes.LayersModel> = {};
  Object.entries(outputs).forEach(([name, spec], i) => {
    const head = tf.sequential({ name: `${prefix}_${name}_head` });
    if (inShape.length > 1) head.add(tf.layers.flatten({ inputShape: inShape }));
    head.add(
      tf.layers.dense({
        units: TARGET_DIM[spec.target],
        activation: 'sigmoid',
        name: `${prefix}_${name}`,
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, `head:${name}:${i}`) }),
        ...(inShape.length > 1 ? {} : { inputShape: inShape }),
      }),
    );
    models[name] = head;
  });
  const variables = Object.values(models).flatMap((m) => m.trainableWeights.map((w) => w.read() as tfTypes.Variable));
  return { layer, models, variables, dispose: () => Object.values(models).forEach((m) => m.dispose()) };
}

/** Forward pass returning the logits and every head's output. */
export function withHeads(tf: typeof tfTypes, model: tfTypes.LayersModel, heads: Heads, training: boolean): TappedFn {
  const tapped = tappedFn(tf, model, [heads.layer], training);
  return (x) => {
    const { logits, features } = tapped(x);
    const outputs = Object.fromEntries(Object.entries(heads.models).map(([name, head]) => [name, (training ? head.apply(features[0], { training: true }) : head.predict(features[0])) as Tensor]));
    return { logits, features: [], outputs };
  };
}

/** The true value of every output for a batch of pixels, for the trainer. */
export function targetsFor(outputs: Record<string, OutputSpec>, shape: [number, number, number]): (x: Float32Array, size: number) => Record<string, { data: Float32Array; dim: number }> {
  return (x, size) => Object.fromEntries(Object.entries(outputs).map(([name, spec]) => [name, { data: batchTargets(spec.target, x, size, shape), dim: TARGET_DIM[spec.target] }]));
}

/** The regression terms: against the teacher's heads (distillation) and the truth, or the truth only (baseline). */
export function outputLosses(outputs: Record<string, OutputSpec>, withTeacher: boolean): LossTerm[] {
  return Object.entries(outputs).flatMap(([name, o]) => [
    ...(withTeacher ? [new OutputRegression(name, 'teacher', o.weight, o.loss, o.beta)] : []),
    new OutputRegression(name, 'truth', o.labelWeight, o.loss, o.beta),
  ]);
}

/**
 * Fits the teacher's heads on its frozen representation of the (augmented) training set, for
 * `epochs` epochs with Adam (the heads only). Returns each output's mean loss in the last epoch.
 */
export async function fitHeads(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  heads: Heads,
  outputs: Record<string, OutputSpec>,
  o: { ds: Dataset; epochs: number; batchSize: number; seed: number; shift: number; shouldStop: () => boolean },
): Promise<Record<string, number>> {
  const features = tappedFn(tf, model, [heads.layer], false);
  const targets = targetsFor(outputs, o.ds.shape);
  const names = Object.keys(outputs);
  const optimizer = tf.train.adam(0.01);
  const last: Record<string, number> = {};
  try {
    for (let epoch = 1; epoch <= o.epochs && !o.shouldStop(); epoch++) {
      const order = epochOrder(o.ds.train, deriveSeed(o.seed, 'heads'), epoch);
      const rng = mulberry32(deriveSeed(o.seed, `heads:augment:${epoch}`));
      const sums = new Array<number>(names.length).fill(0);
      let batches = 0;
      for (let start = 0; start < order.length; start += o.batchSize) {
        const batch = makeBatch(o.ds, o.ds.train, order.subarray(start, start + o.batchSize), o.shift, rng);
        const t = targets(batch.x, batch.size);
        const values = tf.tidy(() => {
          // The representation is computed outside minimize: the teacher stays frozen.
          const rep = features(tf.tensor4d(batch.x, [batch.size, ...o.ds.shape])).features[0];
          let row: Tensor | undefined;
          optimizer.minimize(() => {
            const parts = names.map((n) => regressionTerm(tf, outputs[n].loss, outputs[n].beta, heads.models[n].apply(rep, { training: true }) as Tensor, tf.tensor2d(t[n].data, [batch.size, t[n].dim])));
            // Kept past minimize, which disposes what its function made besides the loss.
            row = tf.keep(tf.stack(parts));
            return tf.addN(parts) as tfTypes.Scalar;
          }, false, heads.variables);
          return row!;
        });
        const v = await values.data();
        values.dispose();
        names.forEach((_, i) => (sums[i] += v[i]));
        batches++;
        await new Promise((r) => setImmediate(r));
      }
      names.forEach((n, i) => (last[n] = sums[i] / Math.max(1, batches)));
    }
  } finally {
    optimizer.dispose();
  }
  return last;
}

/** Each output's metric on a split (no augmentation): mean IoU for boxes, mean pixel error for centres. */
export async function evaluateHeads(tf: typeof tfTypes, model: tfTypes.LayersModel, heads: Heads, outputs: Record<string, OutputSpec>, ds: Dataset, split: Split): Promise<Record<string, number>> {
  const forward = withHeads(tf, model, heads, false);
  const names = Object.keys(outputs);
  const pred: Record<string, Float32Array[]> = Object.fromEntries(names.map((n) => [n, []]));
  const truth: Record<string, Float32Array[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let start = 0; start < split.indices.length; start += 256) {
    const batch = makeBatch(ds, split, split.indices.subarray(start, start + 256));
    const outs = tf.tidy(() => forward(tf.tensor4d(batch.x, [batch.size, ...ds.shape])).outputs!);
    for (const n of names) {
      pred[n].push((await outs[n].data()) as Float32Array);
      truth[n].push(batchTargets(outputs[n].target, batch.x, batch.size, ds.shape));
    }
    tf.dispose(Object.values(outs));
  }
  const join = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return Object.fromEntries(names.map((n) => [n, metricOf(outputs[n].target, join(pred[n]), join(truth[n]), ds.shape)]));
}

export function metricOf(target: OutputTarget, pred: Float32Array, truth: Float32Array, shape: [number, number, number]): number {
  return target === 'inkBox' ? meanIoU(pred, truth) : meanPixelError(pred, truth, shape[0], shape[1]);
}

export const METRIC_OF: Record<OutputTarget, OutputResult['metric']> = { inkBox: 'iou', inkCentre: 'pixelError' };

/** Saves `model` with its heads as one model: outputs [logits, head₁, …] in kd.json's order. */
export async function saveWithHeads(tf: typeof tfTypes, model: tfTypes.LayersModel, heads: Heads, dir: string): Promise<void> {
  const rep = model.getLayer(heads.layer).output as tfTypes.SymbolicTensor;
  const outputs = [model.outputs[0], ...Object.values(heads.models).map((h) => h.apply(rep) as tfTypes.SymbolicTensor)];
  const combined = tf.model({ inputs: model.inputs, outputs, name: `${model.name}_with_heads` });
  await saveLayersModel(combined, dir);
}

/** Sets heads' weights from a model saved by saveWithHeads (a resumed run whose student finished). */
export async function restoreHeads(tf: typeof tfTypes, heads: Heads, modelJson: string): Promise<void> {
  const saved = await loadLayersModel(tf, modelJson);
  try {
    for (const head of Object.values(heads.models)) {
      const dense = head.layers[head.layers.length - 1];
      dense.setWeights((saved.getLayer(head.name) as tfTypes.LayersModel).getLayer(dense.name).getWeights());
    }
  } finally {
    saved.dispose();
  }
}
