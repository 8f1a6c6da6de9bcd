/**
 * The messages between a training stage's main thread and its gradient threads (shards.ts ↔
 * gradientThread.ts): one contract for both sides. Tensors never travel in messages: the
 * weights, the shard's batch and its gradients live in SharedArrayBuffers set up once at
 * `init`, and each `step` message only says how many samples the shard holds.
 */
import type { ConcreteBackend } from '../backend/select';

/** How a gradient thread is recognised when the engine's bundle starts in a worker thread (main.ts). */
export const GRADIENT_THREAD_ROLE = 'distillery-gradients';

/** A loss term a gradient thread can rebuild: Hinton's two terms, fixed weights (losses/logits.ts). */
export type LossSpec = { name: 'kd'; weight: number; temperature: number } | { name: 'ce'; weight: number };

export interface ThreadBuffers {
  /** Every trainable variable's values, flat in the model's trainableWeights order (written by the main thread before each step). */
  weights: SharedArrayBuffer;
  /** The shard's gradients, flat like `weights` (written by the thread). */
  grads: SharedArrayBuffer;
  /** The shard's images, [maxRows, ...inputShape] float32. */
  x: SharedArrayBuffer;
  /** The shard's labels, [maxRows] int32. */
  y: SharedArrayBuffer;
  /** The shard's cached teacher logits, [maxRows, classes] float32 (distillation stages). */
  teacher: SharedArrayBuffer;
}

export interface InitMessage {
  type: 'init';
  backend: ConcreteBackend;
  /** model.toJSON(): the topology; weights come through `buffers.weights` at every step. */
  modelJson: string;
  /** [name, shape] of each trainable variable, to check the rebuilt model against. */
  variables: { shape: number[] }[];
  losses: LossSpec[];
  classes: number;
  inputShape: [number, number, number];
  buffers: ThreadBuffers;
}

export interface StepMessage {
  type: 'step';
  rows: number;
}

export type ToThread = InitMessage | StepMessage;

export type FromThread =
  | { type: 'ready' }
  /** [total, ...terms, correct] over the shard's rows: means, except `correct`, a count. */
  | { type: 'done'; row: number[] }
  | { type: 'error'; message: string };
