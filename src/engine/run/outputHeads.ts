/**
 * Multi-output (detection-style) distillation in a run: every model carries one regression
 * head per kd.json `outputs` entry beside its class logits (presets grow them; model files
 * must have them, see models/heads.ts).
 *
 * - A teacher trained here learns its heads with its logits, from the truth (`<name>_gt`,
 *   labelWeight).
 * - The student learns KL on the logits (Hinton's terms) plus, per output, the regression
 *   loss against the teacher's head (`<name>_kd`, weight) and against the truth (`<name>_gt`).
 * - The baseline learns the heads from the truth only.
 * - Each head is scored on the test split for all three models (IoU, pixel error or MAE).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { OutputResult } from '../../protocol/events';
import { makeBatch, type Dataset, type Split } from '../data/dataset';
import { outputSamples, outputValues, type ResolvedOutput } from '../data/targets';
import { tInterval95 } from '../../protocol/stats/seeds';
import { verdictOf } from '../../protocol/stats/verdict';
import type { LossTerm } from '../losses/logits';
import { OutputRegression } from '../losses/outputs';
import { findHeads, type HeadSpec } from '../models/heads';
import { tappedFn, type HeadOutputs, type TappedFn } from '../models/taps';

type Tensor = tfTypes.Tensor;

/** The head each output needs in a model. */
export function headSpecs(outputs: ResolvedOutput[]): HeadSpec[] {
  return outputs.map((o) => ({ name: o.name, units: o.dim, activation: o.activation }));
}

/** The model's heads for the outputs, by name (the model was checked by prepare). */
function headOutputs(model: tfTypes.LayersModel, outputs: ResolvedOutput[]): HeadOutputs {
  const found = findHeads(model, headSpecs(outputs));
  if ('problem' in found) throw new Error(`model "${model.name}": ${found.problem}`);
  return { names: outputs.map((o) => o.name), indices: found.indices };
}

/** Forward pass returning the logits and every head's output by name. */
export function outputsFn(tf: typeof tfTypes, model: tfTypes.LayersModel, outputs: ResolvedOutput[], training: boolean): TappedFn {
  return tappedFn(tf, model, [], training, headOutputs(model, outputs));
}

/** The true value of every output for a training batch: its (augmented) pixels and the images' indices in the training set. */
export function targetsFor(
  outputs: ResolvedOutput[],
  ds: Dataset,
): (x: Float32Array, size: number, indices: ArrayLike<number>) => Record<string, { data: Float32Array; dim: number }> {
  return (x, size, indices) =>
    Object.fromEntries(outputs.map((o) => [o.name, { data: outputValues(o, x, size, ds.shape, ds.train.set, indices), dim: o.dim }]));
}

/** The regression terms: against the teacher's heads (distillation) and the truth, or the truth only (teacher, baseline). */
export function outputLosses(outputs: ResolvedOutput[], withTeacher: boolean): LossTerm[] {
  return outputs.flatMap(({ name, spec: o }) => [
    // A teacher term of weight 0 is no term, as α = 0 is no KD term (hintonLoss): a sweep's
    // baseline trial zeroes the weights and then trains exactly what a run's baseline trains.
    ...(withTeacher && o.weight > 0 ? [new OutputRegression(name, 'teacher', o.weight, o.loss, o.beta)] : []),
    new OutputRegression(name, 'truth', o.labelWeight, o.loss, o.beta),
  ]);
}

/** Each head's predictions and true values over a split (no augmentation), as [n × dim] by output name. */
export async function predictOutputs(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  outputs: ResolvedOutput[],
  ds: Dataset,
  split: Split,
): Promise<Record<string, { pred: Float32Array; truth: Float32Array }>> {
  const forward = outputsFn(tf, model, outputs, false);
  const n = split.indices.length;
  const got = Object.fromEntries(outputs.map((o) => [o.name, { pred: new Float32Array(n * o.dim), truth: new Float32Array(n * o.dim) }]));
  for (let start = 0; start < n; start += 256) {
    const idx = split.indices.subarray(start, Math.min(n, start + 256));
    const batch = makeBatch(ds, split, idx);
    const outs = tf.tidy(() => {
      const o = forward(tf.tensor4d(batch.x, [batch.size, ...ds.shape])).outputs!;
      return outputs.map((out) => tf.keep(o[out.name]) as Tensor);
    });
    for (const [k, o] of outputs.entries()) {
      got[o.name].pred.set((await outs[k].data()) as Float32Array, start * o.dim);
      got[o.name].truth.set(outputValues(o, batch.x, batch.size, ds.shape, split.set, idx), start * o.dim);
    }
    tf.dispose(outs);
  }
  return got;
}

/** Each output's metric per test sample (outputSamples): the same samples for every model, so two models pair. */
export async function evaluateOutputs(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  outputs: ResolvedOutput[],
  ds: Dataset,
  split: Split,
): Promise<Record<string, Float64Array>> {
  const got = await predictOutputs(tf, model, outputs, ds, split);
  return Object.fromEntries(outputs.map((o) => [o.name, outputSamples(o, got[o.name].pred, got[o.name].truth, ds.shape)]));
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length ? sum / values.length : NaN;
}

/**
 * The summary's entry of each output: the metric of every model, and distilled minus scratch
 * with the 95 % t-interval of the mean of the per-sample differences (the two students are
 * scored on the same test samples, so the difference is paired). `verdict` says whether
 * distillation made the head better, turning the sign for metrics where lower is better.
 */
export function outputResults(
  outputs: ResolvedOutput[],
  teacher: Record<string, Float64Array>,
  student: Record<string, Float64Array>,
  baseline?: Record<string, Float64Array>,
): Record<string, OutputResult> {
  return Object.fromEntries(
    outputs.map((o) => {
      const result: OutputResult = { target: o.spec.target, metric: o.metric, teacher: mean(teacher[o.name]), student: mean(student[o.name]) };
      if (baseline) {
        const s = student[o.name];
        const b = baseline[o.name];
        const t = tInterval95(Array.from(s, (v, i) => v - b[i]));
        result.baseline = mean(b);
        result.gain = result.student - result.baseline;
        if (t.interval95) {
          const better = verdictOf(o.metric === 'iou' ? t.interval95 : [-t.interval95[1], -t.interval95[0]]);
          Object.assign(result, { gainInterval95: t.interval95, verdict: better });
        }
      }
      return [o.name, result];
    }),
  );
}

export function describeOutputs(outputs: ResolvedOutput[]): string {
  return outputs
    .map(
      (o) =>
        `${o.name} (${o.builtin ?? `values of ${o.spec.target}`}, ${o.dim} ${o.activation === 'sigmoid' ? 'sigmoid' : 'linear'} outputs, ${o.spec.loss}${o.spec.loss === 'smoothL1' ? ` β = ${o.spec.beta}` : ''}, weight ${o.spec.weight}, label weight ${o.spec.labelWeight})`,
    )
    .join(', ');
}
