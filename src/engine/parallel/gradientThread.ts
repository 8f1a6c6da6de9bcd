/**
 * A gradient thread: a second tfjs (its own wasm instance) on another core, holding a replica
 * of the model being trained. At each step it reads the current weights and its part of the
 * batch from shared memory, computes the loss and its gradients on that part, and writes the
 * gradients back; the main thread averages them with its own and applies the optimizer
 * (shards.ts). It keeps no optimizer state, so there is one source of truth for the weights.
 */
import { parentPort } from 'node:worker_threads';
import type * as tfTypes from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select';
import { loadTf } from '../tf';
import type { LossTerm } from '../losses/logits';
import { logitsFn } from '../models/forward';
import { skipInputGradient } from '../train/inputGradient';
import { shardGradients, termsOf } from './shardLoss';
import type { FromThread, InitMessage, ToThread } from './protocol';

interface Replica {
  tf: typeof tfTypes;
  init: InitMessage;
  vars: tfTypes.Variable[];
  forward: (x: tfTypes.Tensor) => tfTypes.Tensor;
  terms: LossTerm[];
  offsets: number[];
}

async function build(init: InitMessage): Promise<Replica> {
  const tf = loadTf();
  await selectBackend(tf, init.backend);
  const model = await tf.models.modelFromJSON(JSON.parse(init.modelJson));
  skipInputGradient(tf, model);
  const vars = model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  const want = init.variables.map((v) => v.shape.join('×')).join(', ');
  const got = vars.map((v) => v.shape.join('×')).join(', ');
  if (want !== got) throw new Error(`the rebuilt model's variables (${got}) differ from the trained model's (${want})`);
  const offsets: number[] = [];
  let at = 0;
  for (const v of vars) {
    offsets.push(at);
    at += v.size;
  }
  return { tf, init, vars, forward: logitsFn(tf, model, true), terms: termsOf(init.losses), offsets };
}

function step(r: Replica, rows: number): number[] {
  const { tf, init, vars, offsets } = r;
  const weights = new Float32Array(init.buffers.weights);
  const grads = new Float32Array(init.buffers.grads);
  const pixels = init.inputShape[0] * init.inputShape[1] * init.inputShape[2];
  return tf.tidy(() => {
    vars.forEach((v, i) => v.assign(tf.tensor(weights.subarray(offsets[i], offsets[i] + v.size), v.shape)));
    const hasTeacher = init.losses.some((l) => l.name === 'kd');
    const { grads: g, values } = shardGradients(
      tf,
      { forward: r.forward, vars, terms: r.terms, classes: init.classes, inputShape: init.inputShape },
      new Float32Array(init.buffers.x, 0, rows * pixels),
      new Int32Array(init.buffers.y, 0, rows),
      hasTeacher ? new Float32Array(init.buffers.teacher, 0, rows * init.classes) : undefined,
    );
    g.forEach((t, i) => grads.set(t.dataSync() as Float32Array, offsets[i]));
    return values;
  });
}

export function startGradientThread(): void {
  const port = parentPort;
  if (!port) throw new Error('a gradient thread runs in a worker thread');
  let replica: Replica | undefined;
  const reply = (m: FromThread) => port.postMessage(m);
  port.on('message', (m: ToThread) => {
    if (m.type === 'init')
      build(m).then(
        (r) => {
          replica = r;
          reply({ type: 'ready' });
        },
        (e) => reply({ type: 'error', message: (e as Error).message }),
      );
    else {
      try {
        if (!replica) throw new Error('step before init');
        reply({ type: 'done', row: step(replica, m.rows) });
      } catch (e) {
        reply({ type: 'error', message: (e as Error).message });
      }
    }
  });
}
