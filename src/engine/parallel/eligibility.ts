/**
 * Whether a stage's steps can be split over gradient threads with the same result as one
 * thread (to float rounding): the gradient of a batch's mean loss is the rows-weighted mean of
 * its shards' gradients only when no sample's loss depends on another sample of the batch, and
 * when the threads can rebuild the loss from plain numbers. Anything else trains on one thread,
 * and the reason is logged.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { HardLabelCrossEntropy, LogitsDistillation, type LossTerm } from '../losses/logits';
import type { StageOptions } from '../train/trainer';
import type { LossSpec } from './protocol';

/** Layers whose training-mode output depends on the batch (statistics) or on random draws a replica would not share. */
const BATCH_DEPENDENT = ['BatchNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'];

function lossSpecs(losses: LossTerm[]): LossSpec[] | undefined {
  const specs: LossSpec[] = [];
  for (const l of losses) {
    if (l instanceof LogitsDistillation) specs.push({ name: 'kd', weight: l.weight, temperature: l.temperature });
    else if (l instanceof HardLabelCrossEntropy) specs.push({ name: 'ce', weight: l.weight });
    else return undefined;
  }
  return specs;
}

/** The loss terms a gradient thread rebuilds, or why this stage trains on one thread. */
export function splitPlan(tf: typeof tfTypes, o: StageOptions): { losses: LossSpec[] } | { why: string } {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return { why: `the ${backend} backend runs its kernels on threads of its own` };
  if (o.studentForward || o.targets) return { why: 'feature, attention or output-head terms need activations beside the logits' };
  if (o.extraVars?.length) return { why: 'feature adapters train beside the model' };
  if (o.labelMask) return { why: 'unlabeled samples mask the cross-entropy per batch' };
  if (o.hyper) return { why: 'α or T follows a schedule' };
  if (o.teacher?.kind === 'live') return { why: 'the teacher runs live on each batch' };
  if (o.teacher?.outputs) return { why: "the teacher's heads are distilled too" };
  if (o.model.outputs.length !== 1) return { why: 'the model has more than one output' };
  const stateful = o.model.layers.map((l) => l.getClassName()).filter((c) => BATCH_DEPENDENT.includes(c));
  if (stateful.length) return { why: `its ${[...new Set(stateful)].join(', ')} layers depend on the whole batch or on random draws` };
  const losses = lossSpecs(o.losses);
  if (!losses) return { why: `its loss has terms beyond Hinton's (${o.losses.map((l) => l.name).join(', ')})` };
  return { losses };
}

/**
 * Multiply-adds of one sample's forward pass, counted over the layers with a kernel: the kernel's
 * size times the output's spatial positions (1 for a dense layer). A rough cost, used only to
 * tell a step worth splitting from one that a thread's round trip would outweigh.
 */
export function macsPerSample(model: tfTypes.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const kernel = layer.weights.find((w) => /kernel/.test(w.originalName));
    if (!kernel) continue;
    const out = layer.outputShape as number[];
    const spatial = Array.isArray(out) && out.length > 2 ? out.slice(1, -1).reduce((a, b) => a * (b ?? 1), 1) : 1;
    macs += kernel.shape.reduce((a: number, b) => a * (b ?? 1), 1) * spatial;
  }
  return macs;
}

/**
 * The least forward work a shard should carry: a split step costs the threads' round trip,
 * the weights copied out and the gradients summed (~5–10 ms a step here). Measured on 2 cores:
 * the CNN teacher conv32-conv64-dense256 (4.6 M multiply-adds a sample, 64-row shards: 290 M)
 * trains 1.37× faster on 2 threads; the MLP-32 student (25 k, shards of 1.6 M) 0.55× as fast.
 */
export const MIN_SHARD_MACS = 50e6;

/** How many threads a step of `batchSize` rows of this model is worth, at most `threads`. */
export function threadsWorthIt(model: tfTypes.LayersModel, batchSize: number, threads: number): number {
  const work = macsPerSample(model) * batchSize;
  return Math.max(1, Math.min(threads, Math.floor(work / MIN_SHARD_MACS)));
}
