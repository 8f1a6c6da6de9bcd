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

/** Every layer that is not itself a model: a user's functional model may nest a Sequential (a backbone). */
function leafLayers(layers: readonly tfTypes.layers.Layer[]): tfTypes.layers.Layer[] {
  return layers.flatMap((l) => {
    const inner = (l as unknown as { layers?: tfTypes.layers.Layer[] }).layers;
    return Array.isArray(inner) ? leafLayers(inner) : [l];
  });
}

function lossSpecs(losses: LossTerm[]): LossSpec[] | undefined {
  const specs: LossSpec[] = [];
  for (const l of losses) {
    if (l instanceof LogitsDistillation) specs.push({ name: 'kd', weight: l.weight, temperature: l.temperature });
    else if (l instanceof HardLabelCrossEntropy) specs.push({ name: 'ce', weight: l.weight });
    else return undefined; // ScheduledLogitsDistillation & co.: α or T moves per step
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
  if (o.teacher?.kind === 'live') return { why: 'the teacher runs live on each batch' };
  if (o.teacher?.outputs) return { why: "the teacher's heads are distilled too" };
  if (o.model.outputs.length !== 1) return { why: 'the model has more than one output' };
  const stateful = leafLayers(o.model.layers)
    .map((l) => l.getClassName())
    .filter((c) => BATCH_DEPENDENT.includes(c));
  if (stateful.length) return { why: `its ${[...new Set(stateful)].join(', ')} layers depend on the whole batch or on random draws` };
  const losses = lossSpecs(o.losses);
  if (!losses) return { why: `its loss has terms beyond Hinton's fixed ones (${o.losses.map((l) => l.name).join(', ')}; α or T on a schedule counts)` };
  return { losses };
}

/**
 * Multiply-adds of one sample's forward pass, counted over the layers with a kernel: the kernel's
 * size times the output's spatial positions (1 for a dense layer). A rough cost, used only to
 * tell a step worth splitting from one that a thread's round trip would outweigh.
 */
export function macsPerSample(model: tfTypes.LayersModel): number {
  let macs = 0;
  for (const layer of leafLayers(model.layers)) {
    const kernel = layer.weights.find((w) => /kernel/.test(w.originalName));
    if (!kernel) continue;
    const out = layer.outputShape as number[];
    const spatial = Array.isArray(out) && out.length > 2 ? out.slice(1, -1).reduce((a, b) => a * (b ?? 1), 1) : 1;
    macs += kernel.shape.reduce((a: number, b) => a * (b ?? 1), 1) * spatial;
  }
  return macs;
}

/**
 * When a split step pays. It costs a fixed round trip (messages, tensors made from shared memory)
 * and passes over every parameter (the weights copied out, the gradients copied back and summed),
 * so a shard must carry enough work in all and per parameter. Measured on 2 shared cores, batch
 * 128 (shards of 64), 2 threads against 1:
 *   CNN teacher conv32-conv64-dense256: 294 M multiply-adds a shard, 358 per parameter: 1.37×
 *   CNN student conv8-conv16-dense32:    19 M, 690 per parameter: 1.2–1.3×
 *   MLP 784-300-300-10:                  21 M,  64 per parameter: 0.64×
 *   MLP 784-32-10:                      1.6 M,  64 per parameter: 0.55×
 * (a dense layer does one multiply-add per weight and row, so an MLP's shard carries as many per
 * parameter as it has rows: it pays only at large batches).
 */
export const MIN_SHARD_MACS = 10e6;
export const MIN_SHARD_MACS_PER_PARAM = 150;

/** How many threads a step of `batchSize` rows of this model is worth, at most `threads`. */
export function threadsWorthIt(model: tfTypes.LayersModel, batchSize: number, threads: number): number {
  const macs = macsPerSample(model);
  const params = Math.max(1, model.countParams());
  for (let t = threads; t >= 2; t--) {
    const shard = macs * Math.floor(batchSize / t);
    if (shard >= MIN_SHARD_MACS && shard / params >= MIN_SHARD_MACS_PER_PARAM) return t;
  }
  return 1;
}
