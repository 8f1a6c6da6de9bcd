/**
 * One training stage: the teacher from scratch, the distilled student, or the student's
 * from-scratch baseline. They differ only in their loss terms and in whether teacher logits
 * exist, so the comparison between distilled and baseline is like for like: same initial
 * weights, same data order, same augmentation, same budget.
 *
 * The hot loop keeps the host busy only with tfjs: one tidy per step, no synchronous reads;
 * loss values are fetched asynchronously every `readEvery` steps.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TrainingSpec } from '../../protocol/config';
import { withSimdAdam } from '../backend/simd/adam';
import type { EventInput, StageName } from '../../protocol/events';
import { epochOrder, makeBatch, type Augment, type Dataset } from '../data/dataset';
import { combineLosses, type LossTerm } from '../losses/logits';
import { logitsFn } from '../models/forward';
import type { TappedFn } from '../models/taps';
import { deriveSeed, mulberry32 } from '../util/rng';
import { accuracy, argmaxRows, labelsOf, predictLogits, type LogitsFn } from './evaluate';
import { learningRateAt } from './schedule';
import { skipInputGradient } from './inputGradient';
import type { CheckpointContents } from '../run/checkpoint';
import { startSplitTrainer } from '../parallel/splitStep';

/** Teacher logits for a training batch: from a cache over the un-augmented data, or live. */
export type TeacherSource =
  | {
      kind: 'cached';
      logits: Float32Array /* [set.count × classes], indexed by sample */;
      /** Extra heads' outputs (kd.json `outputs`), [set.count × dim] each. */ outputs?: Record<string, { rows: Float32Array; dim: number }>;
    }
  | {
      kind: 'live';
      forward: LogitsFn;
      /** When feature/attention terms need the teacher's activations too, or the outputs of its heads. */ withFeatures?: TappedFn;
    };

export interface StageOptions {
  stage: StageName;
  model: tfTypes.LayersModel;
  losses: LossTerm[];
  teacher?: TeacherSource;
  training: TrainingSpec;
  ds: Dataset;
  seed: number;
  /** data.augment (a number: a shift only). */
  shift: number | Augment;
  emit: (e: EventInput) => void;
  shouldStop: () => boolean;
  readEvery?: number;
  /** Training-mode forward that also returns the student's tapped activations (feature/attention terms). */
  studentForward?: TappedFn;
  /** Trained beside the model's weights but not part of it (feature adapters). */
  extraVars?: tfTypes.Variable[];
  /** The true values of extra outputs for a batch of (augmented) pixels [size, h, w, c] and its samples' indices: data [size × dim] by output name. */
  targets?: (x: Float32Array, size: number, indices: Uint32Array) => Record<string, { data: Float32Array; dim: number }>;
  /** Per training-set sample (indexed like the set): 1 labeled, 0 label hidden. */
  labelMask?: Uint8Array;
  /** Sets the scheduled hyper-parameters for a step and returns them for the step events. */
  hyper?: (step: number, totalSteps: number) => Record<string, number>;
  /** Called after every optimiser step with the step number (tests use it to check leaks). */
  onStep?: (step: number) => void;
  /** Saves a checkpoint after every epoch, and optionally starts from one. */
  checkpoint?: StageCheckpointing;
  /** Threads the stage may use: above 1, each step's batch is split over gradient threads when the stage allows it (parallel/). */
  threads?: number;
}

export interface StageCheckpointing {
  resume?: CheckpointContents;
  save: (c: { epoch: number; step: number; valAccuracy: number; optimizer: tfTypes.Optimizer }) => Promise<void>;
}

export interface StageResult {
  stopped: boolean;
  epochsDone: number;
  valAccuracy: number;
  trainAccuracy: number;
  lastLoss: number;
}

export class NonFiniteLossError extends Error {}

function countNonFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}

/** Where the teacher's logits are not finite, in words (cached: all of them; live: a batch of training images), or '' when they are. */
function teacherNonFinite(tf: typeof tfTypes, o: StageOptions): string {
  const t = o.teacher;
  if (t?.kind === 'cached') {
    // The training rows only: the cache holds the rows a run's splits use, the rest stay zeros.
    const c = o.ds.numClasses;
    let bad = 0;
    for (const i of o.ds.train.indices) bad += countNonFinite(t.logits.subarray(i * c, (i + 1) * c));
    return bad ? `${bad} of its ${o.ds.train.indices.length * c} cached logits on the training images` : '';
  }
  if (t?.kind !== 'live') return '';
  const b = makeBatch(o.ds, o.ds.train, o.ds.train.indices.subarray(0, 64));
  const bad = tf.tidy(() => countNonFinite(t.forward(tf.tensor4d(b.x, [b.size, ...o.ds.shape])).dataSync()));
  return bad ? `${bad} of its logits on ${b.size} training images` : '';
}

function makeOptimizer(tf: typeof tfTypes, training: TrainingSpec): tfTypes.Optimizer {
  const o = training.optimizer;
  // On wasm, Adam's update runs as one SIMD pass per variable (same arithmetic as tfjs's).
  return o.type === 'adam' ? withSimdAdam(tf, tf.train.adam(o.learningRate)) : tf.train.momentum(o.learningRate, o.momentum);
}

function oneHot(y: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  for (let i = 0; i < y.length; i++) out[i * classes + y[i]] = 1;
  return out;
}

export async function trainStage(tf: typeof tfTypes, o: StageOptions): Promise<StageResult> {
  const { ds, model, training } = o;
  const classes = ds.numClasses;
  const n = o.ds.train.indices.length;
  const batchSize = Math.min(training.batchSize, n);
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const totalSteps = stepsPerEpoch * training.epochs;
  const optimizer = makeOptimizer(tf, training);
  const vars = [...model.trainableWeights.map((w) => w.read() as tfTypes.Variable), ...(o.extraVars ?? [])];
  skipInputGradient(tf, model);
  const plainForward = logitsFn(tf, model, true);
  const forward: TappedFn = o.studentForward ?? ((x: tfTypes.Tensor) => ({ logits: plainForward(x), features: [] as tfTypes.Tensor[] }));
  const evalForward = logitsFn(tf, model, false);
  const termNames = o.losses.map((l) => l.name);
  const readEvery = o.readEvery ?? Math.max(1, Math.min(20, Math.floor(stepsPerEpoch / 4)));

  let step = 0;
  let firstEpoch = 1;
  let valAccuracy = 0;
  const resume = o.checkpoint?.resume;
  if (resume) {
    // The stage_started event of the first attempt is still in events.jsonl.
    model.setWeights(resume.model.map((t) => t.tensor));
    (o.extraVars ?? []).forEach((v, i) => v.assign(resume.extra[i].tensor));
    await optimizer.setWeights(resume.optimizer);
    firstEpoch = resume.state.epoch + 1;
    step = resume.state.step;
    valAccuracy = resume.state.valAccuracy;
    [...resume.model, ...resume.extra, ...resume.optimizer].forEach((t) => t.tensor.dispose());
    o.emit({ type: 'log', level: 'info', message: `${o.stage}: resumed after epoch ${resume.state.epoch} (step ${step}) from its checkpoint` });
  } else {
    o.emit({ type: 'stage_started', stage: o.stage, model: model.name, epochs: training.epochs, stepsPerEpoch, params: model.countParams() });
  }

  let trainAccuracy = 0;
  let lastLoss = NaN;
  let stopped = false;
  let epochsDone = 0;
  let hyperNow: Record<string, number> | undefined;
  const valLabels = labelsOf(ds.val);
  // A resumed stage with no epoch left starts no threads.
  const split =
    firstEpoch <= training.epochs
      ? await startSplitTrainer(tf, o, vars, optimizer, batchSize, (message) => o.emit({ type: 'log', level: 'info', message }))
      : undefined;
  try {
    for (let epoch = firstEpoch; epoch <= training.epochs && !stopped; epoch++) {
      const t0 = performance.now();
      const order = epochOrder(ds.train, o.seed, epoch);
      const augRng = mulberry32(deriveSeed(o.seed, `augment:${epoch}`));
      // Each pending entry is [total, ...terms, correct] for one step, still on the backend.
      let pending: tfTypes.Tensor[] = [];
      let pendingSamples = 0;
      let windowStart = performance.now();
      let epochLoss = 0;
      let epochCorrect = 0;
      let epochSeen = 0;
      let epochSteps = 0;

      const flush = async () => {
        if (!pending.length) return;
        const stacked = tf.stack(pending);
        const values = await stacked.data();
        stacked.dispose();
        pending.forEach((t) => t.dispose());
        const width = termNames.length + 2;
        const rows = pending.length;
        pending = [];
        const mean = new Array<number>(width).fill(0);
        for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) mean[c] += values[r * width + c];
        const correct = mean[width - 1];
        for (let c = 0; c < width - 1; c++) mean[c] /= rows;
        if (!mean.slice(0, width - 1).every(Number.isFinite)) {
          const at = `the loss became ${mean[0]} at step ${step} of the ${o.stage} stage (${Number.isFinite(lastLoss) ? `last finite loss: ${lastLoss.toFixed(4)}` : 'no finite loss before it'})`;
          // A teacher that gives NaN is not cured by a smaller learning rate: say which it is.
          const badTeacher = teacherNonFinite(tf, o);
          if (badTeacher)
            throw new NonFiniteLossError(`${at}: the teacher's outputs are NaN or infinite (${badTeacher}); check the teacher, not the learning rate`);
          throw new NonFiniteLossError(`${at}; lower the learning rate (${training.optimizer.learningRate}) or the temperature`);
        }
        lastLoss = mean[0];
        epochLoss += mean[0] * rows;
        epochSteps += rows;
        epochCorrect += correct;
        epochSeen += pendingSamples;
        const seconds = (performance.now() - windowStart) / 1000;
        const terms: Record<string, number> = {};
        termNames.forEach((name, i) => (terms[name] = mean[i + 1]));
        o.emit({
          type: 'step',
          stage: o.stage,
          epoch,
          step,
          totalSteps,
          loss: mean[0],
          terms,
          lr: learningRateAt(training, step - 1, stepsPerEpoch),
          samplesPerSec: pendingSamples / Math.max(seconds, 1e-9),
          ...(hyperNow ? { hyper: hyperNow } : {}),
        });
        pendingSamples = 0;
        windowStart = performance.now();
      };

      for (let start = 0; start < n; start += batchSize) {
        const idx = order.subarray(start, Math.min(n, start + batchSize));
        const batch = makeBatch(ds, ds.train, idx, o.shift, augRng);
        const lr = learningRateAt(training, step, stepsPerEpoch);
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        const cachedTeacher = o.teacher?.kind === 'cached' ? gatherRows(o.teacher.logits, idx, classes) : undefined;
        const cachedOutputs =
          o.teacher?.kind === 'cached' && o.teacher.outputs
            ? Object.entries(o.teacher.outputs).map(([k, t]) => [k, gatherRows(t.rows, idx, t.dim), t.dim] as const)
            : undefined;
        const mask = o.labelMask ? Float32Array.from(idx, (i) => o.labelMask![i]) : undefined;
        hyperNow = o.hyper?.(step, totalSteps);

        const row = split
          ? await split.step(batch.x, batch.y, batch.size, cachedTeacher)
          : tf.tidy(() => {
              const x = tf.tensor4d(batch.x, [batch.size, ...ds.shape]);
              const labels = tf.tensor2d(oneHot(batch.y, classes), [batch.size, classes]);
              const labelMask = mask ? tf.tensor1d(mask) : undefined;
              let teacherLogits: tfTypes.Tensor | undefined;
              let teacherFeatures: tfTypes.Tensor[] | undefined;
              let teacherOutputs: Record<string, tfTypes.Tensor> | undefined;
              const targets = o.targets
                ? Object.fromEntries(Object.entries(o.targets(batch.x, batch.size, idx)).map(([k, t]) => [k, tf.tensor2d(t.data, [batch.size, t.dim])]))
                : undefined;
              if (o.teacher?.kind === 'live' && o.teacher.withFeatures)
                ({ logits: teacherLogits, features: teacherFeatures, outputs: teacherOutputs } = o.teacher.withFeatures(x));
              else if (o.teacher?.kind === 'live') teacherLogits = o.teacher.forward(x);
              else if (cachedTeacher) teacherLogits = tf.tensor2d(cachedTeacher, [batch.size, classes]);
              if (cachedOutputs) teacherOutputs = Object.fromEntries(cachedOutputs.map(([k, rows, dim]) => [k, tf.tensor2d(rows, [batch.size, dim])]));
              let row: tfTypes.Tensor | undefined;
              optimizer.minimize(
                () => {
                  const { logits: studentLogits, features: studentFeatures, outputs: studentOutputs } = forward(x);
                  const { total, terms } = combineLosses(tf, o.losses, {
                    studentLogits,
                    teacherLogits,
                    labels,
                    labelMask,
                    studentFeatures,
                    teacherFeatures,
                    studentOutputs,
                    teacherOutputs,
                    targets,
                  });
                  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(studentLogits, -1), tf.tensor1d(batch.y, 'int32')), 'float32'));
                  // A new tensor, kept past the tidy; `total` itself is disposed by minimize().
                  row = tf.keep(tf.stack([total, ...termNames.map((t) => terms[t]), correct]));
                  return total;
                },
                false,
                vars,
              );
              return row!;
            });
        pending.push(row);
        pendingSamples += batch.size;
        step++;
        o.onStep?.(step);
        if (step % readEvery === 0) await flush();
        // Let IPC (a stop request) in between steps.
        await new Promise((r) => setImmediate(r));
        if (o.shouldStop()) {
          stopped = true;
          break;
        }
      }
      await flush();
      if (stopped) break;
      trainAccuracy = epochSeen ? epochCorrect / epochSeen : 0;
      valAccuracy = ds.val.indices.length ? accuracy(argmaxRows(await predictLogits(tf, evalForward, ds, ds.val), classes), valLabels) : trainAccuracy;
      epochsDone = epoch;
      o.emit({
        type: 'epoch',
        stage: o.stage,
        epoch,
        epochs: training.epochs,
        loss: epochSteps ? epochLoss / epochSteps : lastLoss,
        trainAccuracy,
        valAccuracy,
        seconds: (performance.now() - t0) / 1000,
      });
      await o.checkpoint?.save({ epoch, step, valAccuracy, optimizer });
    }
  } finally {
    await split?.dispose();
  }
  optimizer.dispose();
  return { stopped, epochsDone, valAccuracy, trainAccuracy, lastLoss };
}

function gatherRows(table: Float32Array, idx: Uint32Array, classes: number): Float32Array {
  const out = new Float32Array(idx.length * classes);
  for (let i = 0; i < idx.length; i++) out.set(table.subarray(idx[i] * classes, (idx[i] + 1) * classes), i * classes);
  return out;
}
