/**
 * The main thread's side of data-parallel training: starts the gradient threads
 * (gradientThread.ts), hands each its rows of a batch through shared memory, and collects their
 * gradients. Every thread is torn down with the stage (dispose), and a thread that fails or
 * exits is reported as a rejected step, never as a hang: the trainer then computes that shard
 * itself (splitStep.ts).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as tfTypes from '@tensorflow/tfjs';
import type { ConcreteBackend } from '../backend/select';
import { GRADIENT_THREAD_ROLE, type FromThread, type InitMessage, type LossSpec, type ThreadBuffers } from './protocol';

export interface ShardsOptions {
  backend: ConcreteBackend;
  model: tfTypes.LayersModel;
  vars: tfTypes.Variable[];
  losses: LossSpec[];
  classes: number;
  inputShape: [number, number, number];
  /** The largest batch a step will split. */
  batchSize: number;
  /** Threads in all, the main thread included (≥ 2). */
  threads: number;
}

/** How `size` rows split over `parts` shards: as evenly as possible, the first ones taking the remainder. */
export function splitRows(size: number, parts: number): number[] {
  const base = Math.floor(size / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < size % parts ? 1 : 0));
}

/**
 * A gradient thread. From source (tests, bench under tsx) the thread loads the TypeScript through
 * tsx's require hook; from a bundle (dist/engine.js, the .vsix), the bundle itself, which
 * starts as a gradient thread when it sees the role (engine/main.ts).
 */
function spawnThread(): Worker {
  if (__filename.endsWith('.ts')) {
    // Resolved here, not named in the thread's source: the bundles must not read as requiring tsx (scripts/package/cli.mjs).
    const tsx = JSON.stringify(require.resolve('tsx/cjs/api', { paths: [__dirname] }));
    const entry = JSON.stringify(path.join(__dirname, 'gradientThread.ts'));
    return new Worker(`require(${tsx}).register(); require(${entry}).startGradientThread();`, { eval: true });
  }
  return new Worker(__filename, { workerData: { role: GRADIENT_THREAD_ROLE } });
}

class Thread {
  private waiting?: { resolve: (m: FromThread) => void; reject: (e: Error) => void };
  private dead?: Error;

  constructor(
    readonly worker: Worker,
    readonly buffers: ThreadBuffers,
  ) {
    worker.on('message', (m: FromThread) => {
      const w = this.waiting;
      this.waiting = undefined;
      worker.unref();
      if (m.type === 'error') w?.reject(new Error(m.message));
      else w?.resolve(m);
    });
    const die = (e: Error) => {
      this.dead ??= e;
      this.waiting?.reject(e);
      this.waiting = undefined;
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the gradient thread exited (code ${code})`)));
    // A stage that ends without dispose (a crash) must not keep the engine alive for its threads:
    // a thread holds the process only while an answer is awaited.
    worker.unref();
  }

  /** Sends `m` and resolves with the thread's answer. */
  ask(m: object): Promise<FromThread> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(m);
    });
  }
}

export class GradientShards {
  private constructor(
    private readonly threads: Thread[],
    private readonly weights: Float32Array,
    private readonly pixels: number,
    private readonly classes: number,
  ) {}

  /** Starts `threads − 1` gradient threads and waits until each holds a replica of the model. */
  static async start(o: ShardsOptions): Promise<GradientShards> {
    const params = o.vars.reduce((s, v) => s + v.size, 0);
    const pixels = o.inputShape[0] * o.inputShape[1] * o.inputShape[2];
    const maxRows = Math.ceil(o.batchSize / o.threads);
    const weights = new SharedArrayBuffer(params * 4);
    const started: Thread[] = [];
    try {
      for (let t = 1; t < o.threads; t++) {
        const buffers: ThreadBuffers = {
          weights,
          grads: new SharedArrayBuffer(params * 4),
          x: new SharedArrayBuffer(maxRows * pixels * 4),
          y: new SharedArrayBuffer(maxRows * 4),
          teacher: new SharedArrayBuffer(maxRows * o.classes * 4),
        };
        started.push(new Thread(spawnThread(), buffers));
      }
      const init = (buffers: ThreadBuffers): InitMessage => ({
        type: 'init',
        backend: o.backend,
        modelJson: JSON.stringify(o.model.toJSON(null, false)),
        variables: o.vars.map((v) => ({ shape: v.shape })),
        losses: o.losses,
        classes: o.classes,
        inputShape: o.inputShape,
        buffers,
      });
      await Promise.all(started.map((t) => t.ask(init(t.buffers))));
    } catch (e) {
      await Promise.all(started.map((t) => t.worker.terminate()));
      throw e;
    }
    return new GradientShards(started, new Float32Array(weights), pixels, o.classes);
  }

  /** Shards in all, the main thread's included. */
  get parts(): number {
    return this.threads.length + 1;
  }

  /** The current weights, for the threads' next step. */
  pushWeights(vars: tfTypes.Variable[]): void {
    let at = 0;
    for (const v of vars) {
      this.weights.set(v.dataSync() as Float32Array, at);
      at += v.size;
    }
  }

  /**
   * Hands thread t the rows `ranges[t + 1]` of the batch (the main thread keeps ranges[0]) and
   * starts their steps; each promise resolves with that thread's row values, its gradients in
   * `gradients(t)` (undefined for a thread given no rows).
   */
  send(x: Float32Array, y: Int32Array, teacher: Float32Array | undefined, ranges: [number, number][]): Promise<number[] | undefined>[] {
    return this.threads.map((thread, t) => {
      const [from, to] = ranges[t + 1];
      if (to === from) return Promise.resolve(undefined);
      new Float32Array(thread.buffers.x).set(x.subarray(from * this.pixels, to * this.pixels));
      new Int32Array(thread.buffers.y).set(y.subarray(from, to));
      if (teacher) new Float32Array(thread.buffers.teacher).set(teacher.subarray(from * this.classes, to * this.classes));
      return thread.ask({ type: 'step', rows: to - from }).then((m) => (m.type === 'done' ? m.row : []));
    });
  }

  gradients(t: number): Float32Array {
    return new Float32Array(this.threads[t].buffers.grads);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
