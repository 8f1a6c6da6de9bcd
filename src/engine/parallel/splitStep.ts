/**
 * A training step split over threads (data parallelism on one machine): the main thread and
 * each gradient thread compute the loss's gradients on their rows of the batch, the main thread
 * averages them (weighted by rows) and applies the optimizer once. The result is the one-thread
 * step's, to float rounding: the gradient of a mean loss is the weighted mean of its shards'.
 *
 * A gradient thread that fails is not fatal: its rows are computed on the main thread, the
 * threads are stopped, the reason is logged, and the stage goes on on one thread.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ConcreteBackend } from '../backend/select';
import { logitsFn } from '../models/forward';
import type { StageOptions } from '../train/trainer';
import { combineRows, shardGradients, termsOf } from './shardLoss';
import { GradientShards, splitRows } from './shards';
import { splitPlan, threadsWorthIt } from './eligibility';

/** A seam for tests: sees each stage's gradient threads once started (test/unit/engine/parallel/splitStep.test.ts stops them mid-stage). */
export const splitHooks: { started?: (shards: GradientShards) => void } = {};

export interface SplitTrainer {
  /** Threads this stage's steps run on now. */
  readonly threads: number;
  /** One optimiser step on a batch; returns its row [total, ...terms, correct], a tensor the caller disposes. */
  step(x: Float32Array, y: Int32Array, size: number, teacher: Float32Array | undefined): Promise<tfTypes.Tensor>;
  dispose(): Promise<void>;
}

/** Gradient threads for the stage when `o.threads` > 1 and the stage can split (eligibility.ts); undefined otherwise, the reason logged. */
export async function startSplitTrainer(
  tf: typeof tfTypes,
  o: StageOptions,
  vars: tfTypes.Variable[],
  optimizer: tfTypes.Optimizer,
  batchSize: number,
  log: (message: string) => void,
): Promise<SplitTrainer | undefined> {
  if ((o.threads ?? 1) < 2) return undefined;
  const threads = threadsWorthIt(o.model, batchSize, o.threads ?? 1);
  if (threads < 2) return undefined;
  const plan = splitPlan(tf, o);
  if ('why' in plan) {
    log(`${o.stage}: one thread (${plan.why})`);
    return undefined;
  }
  const t0 = performance.now();
  let shards: GradientShards | undefined;
  try {
    shards = await GradientShards.start({
      backend: tf.getBackend() as ConcreteBackend,
      model: o.model,
      vars,
      losses: plan.losses,
      classes: o.ds.numClasses,
      inputShape: o.ds.shape,
      batchSize,
      threads,
    });
  } catch (e) {
    log(`${o.stage}: one thread (the gradient threads did not start: ${(e as Error).message})`);
    return undefined;
  }
  let split: Split;
  try {
    split = new Split(tf, o, vars, optimizer, plan.losses, shards, log);
  } catch (e) {
    // Started but not handed to the stage, whose finally would have ended them.
    await shards.dispose();
    throw e;
  }
  splitHooks.started?.(shards);
  log(
    `${o.stage}: ${threads} threads, data-parallel (each batch of ${batchSize} split ${splitRows(batchSize, threads).join(' + ')}, gradients averaged; started in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return split;
}

class Split implements SplitTrainer {
  private readonly forward;
  private readonly terms;
  private readonly offsets: number[] = [];

  constructor(
    private readonly tf: typeof tfTypes,
    private readonly o: StageOptions,
    private readonly vars: tfTypes.Variable[],
    private readonly optimizer: tfTypes.Optimizer,
    losses: Parameters<typeof termsOf>[0],
    private shards: GradientShards | undefined,
    private readonly log: (message: string) => void,
  ) {
    this.forward = logitsFn(tf, o.model, true);
    this.terms = termsOf(losses);
    let at = 0;
    for (const v of vars) {
      this.offsets.push(at);
      at += v.size;
    }
  }

  get threads(): number {
    return this.shards?.parts ?? 1;
  }

  /** Gradients (tensors) and row values of rows [from, to) on this thread. */
  private local(x: Float32Array, y: Int32Array, teacher: Float32Array | undefined, from: number, to: number) {
    const { tf, o } = this;
    const classes = o.ds.numClasses;
    const pixels = o.ds.shape[0] * o.ds.shape[1] * o.ds.shape[2];
    const shard = { forward: this.forward, vars: this.vars, terms: this.terms, classes, inputShape: o.ds.shape };
    return tf.tidy(() =>
      shardGradients(tf, shard, x.subarray(from * pixels, to * pixels), y.subarray(from, to), teacher?.subarray(from * classes, to * classes)),
    );
  }

  async step(x: Float32Array, y: Int32Array, size: number, teacher: Float32Array | undefined): Promise<tfTypes.Tensor> {
    const { tf, vars } = this;
    const sizes = splitRows(size, this.threads);
    const ranges: [number, number][] = [];
    sizes.reduce((from, rows) => (ranges.push([from, from + rows]), from + rows), 0);
    const shards = this.shards;
    let pending: Promise<number[] | undefined>[] = [];
    if (shards) {
      shards.pushWeights(vars);
      // Every answer gets its handler now: a thread that fails while an earlier one is awaited must
      // not reject unhandled (the engine treats that as a crash).
      pending = shards.send(x, y, teacher, ranges).map((p) => p.catch((e: Error) => this.lose(e)));
    }
    // The threads compute while this one does its own rows.
    const parts: { grads: tfTypes.Tensor[]; values: number[]; rows: number }[] = [{ ...this.local(x, y, teacher, ...ranges[0]), rows: sizes[0] }];
    for (const [t, answer] of pending.entries()) {
      const [from, to] = ranges[t + 1];
      const values = await answer;
      if (values && shards) {
        const flat = shards.gradients(t);
        const grads = vars.map((v, i) => tf.tensor(flat.subarray(this.offsets[i], this.offsets[i] + v.size), v.shape));
        parts.push({ grads, values, rows: to - from });
      } else if (to > from) parts.push({ ...this.local(x, y, teacher, from, to), rows: to - from });
    }
    tf.tidy(() => {
      const named: tfTypes.NamedTensorMap = {};
      vars.forEach((v, i) => {
        named[v.name] = parts.map((p) => tf.mul(p.grads[i], p.rows / size)).reduce((a, b) => tf.add(a, b));
      });
      this.optimizer.applyGradients(named);
    });
    parts.forEach((p) => p.grads.forEach((g) => g.dispose()));
    return tf.tensor1d(combineRows(parts.map((p) => ({ values: p.values, rows: p.rows }))));
  }

  /** A gradient thread failed: the stage goes on on this thread alone. */
  private lose(e: Error): undefined {
    if (this.shards) {
      this.log(`${this.o.stage}: a gradient thread failed (${e.message}); going on on one thread`);
      void this.shards.dispose();
      this.shards = undefined;
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    await this.shards?.dispose();
    this.shards = undefined;
  }
}
