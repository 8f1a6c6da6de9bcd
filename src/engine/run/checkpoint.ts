/**
 * Checkpoints: everything needed to continue a stage exactly where it was: the model's
 * weights, the optimiser's slots (Adam moments, momentum, iteration count), any extra
 * trainable variables (feature adapters), the epoch and step, the seeded Math.random state,
 * and how long events.jsonl was, so a resumed run continues its curve without a gap or a
 * duplicate step. The data order and augmentation are derived from (seed, epoch), so they
 * need no state of their own.
 *
 * A checkpoint is a folder written under a temporary name, fsynced, then renamed: a reader
 * sees a whole checkpoint or none. Leftover temporary folders from a crash are removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { writeDurably } from '../models/modelFiles';

type NamedTensor = { name: string; tensor: tfTypes.Tensor };

export const CHECKPOINTS_DIR = 'checkpoints';
const TMP_PREFIX = '.tmp-';

export interface CheckpointState {
  stage: string;
  /** Epochs of this stage fully done. */
  epoch: number;
  /** Steps of this stage done. */
  step: number;
  /** Byte length of events.jsonl when the checkpoint was taken. */
  eventsBytes: number;
  mathRandom?: number;
  valAccuracy: number;
  time: string;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: string;
  offset: number;
}

export interface CheckpointContents {
  state: CheckpointState;
  model: NamedTensor[];
  optimizer: NamedTensor[];
  extra: NamedTensor[];
}

function writeTensors(dir: string, name: string, tensors: NamedTensor[]): void {
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const data = t.tensor.dataSync();
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    entries.push({ name: t.name, shape: t.tensor.shape, dtype: t.tensor.dtype, offset });
    chunks.push(Buffer.from(buf));
    offset += buf.length;
  }
  writeDurably(path.join(dir, `${name}.bin`), Buffer.concat(chunks));
  writeDurably(path.join(dir, `${name}.json`), JSON.stringify(entries));
}

function readTensors(tf: typeof tfTypes, dir: string, name: string): NamedTensor[] {
  const entries = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as TensorEntry[];
  const bin = fs.readFileSync(path.join(dir, `${name}.bin`));
  return entries.map((e) => {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const bytes = bin.subarray(e.offset, e.offset + count * 4);
    const copy = new Uint8Array(bytes).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return { name: e.name, tensor: tf.tensor(values, e.shape, e.dtype as 'float32' | 'int32') };
  });
}

export function checkpointName(stage: string, epoch: number): string {
  return `${stage}-epoch-${String(epoch).padStart(4, '0')}`;
}

/** Writes one checkpoint atomically, then keeps the newest `keep` of its stage and the best. */
export async function saveCheckpoint(
  runDir: string,
  c: { state: CheckpointState; model: tfTypes.LayersModel; optimizer: tfTypes.Optimizer; extra?: tfTypes.Variable[] },
  keep: number,
): Promise<string> {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  fs.mkdirSync(root, { recursive: true });
  const name = checkpointName(c.state.stage, c.state.epoch);
  const tmp = path.join(root, `${TMP_PREFIX}${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const modelTensors = c.model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  writeTensors(tmp, 'model', modelTensors);
  const slots = await c.optimizer.getWeights();
  writeTensors(tmp, 'optimizer', slotsByWeightName(slots, c.model, c.extra ?? []));
  // getWeights gives the slot variables themselves and a new scalar for the iteration count:
  // that one is ours to dispose (a worker engine's runs would leak one per checkpoint).
  for (const { tensor } of slots) if (typeof (tensor as tfTypes.Variable).assign !== 'function') tensor.dispose();
  writeTensors(
    tmp,
    'extra',
    (c.extra ?? []).map((v, i) => ({ name: `extra_${i}`, tensor: v })),
  );
  writeDurably(path.join(tmp, 'state.json'), JSON.stringify(c.state, null, 2));
  const final = path.join(root, name);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  prune(root, c.state.stage, keep);
  return final;
}

/**
 * The optimiser's slots ("<variable>/m", "<variable>/v", "<variable>/momentum") named after the
 * weights' own names. tfjs names a variable uniquely within its process ("…/kernel_1" when a
 * model with the same layer names was built before: the baseline after the student, or any
 * model in a worker engine's second run), so its slot names tell what else the process built;
 * named this way, a run's checkpoints are the same bytes whichever process wrote them. Resuming
 * reads slots by position (tfjs's setWeights), so either naming loads.
 */
function slotsByWeightName(slots: NamedTensor[], model: tfTypes.LayersModel, extra: tfTypes.Variable[]): NamedTensor[] {
  const own = new Map<string, string>();
  for (const w of model.weights) own.set((w.read() as tfTypes.Variable).name, w.originalName);
  extra.forEach((v, i) => own.set(v.name, `extra_${i}`));
  return slots.map(({ name, tensor }) => {
    const at = name.lastIndexOf('/');
    const weight = at > 0 ? own.get(name.slice(0, at)) : undefined;
    return { name: weight ? weight + name.slice(at) : name, tensor };
  });
}

function listOf(root: string, stage?: string): { name: string; state: CheckpointState }[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: { name: string; state: CheckpointState }[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(TMP_PREFIX)) continue;
    try {
      const state = JSON.parse(fs.readFileSync(path.join(root, name, 'state.json'), 'utf8')) as CheckpointState;
      if (!stage || state.stage === stage) out.push({ name, state });
    } catch {
      // No state.json: not a finished checkpoint.
    }
  }
  return out;
}

/** Keeps the newest `keep` checkpoints of a stage, and its best by validation accuracy. */
function prune(root: string, stage: string, keep: number): void {
  const all = listOf(root, stage);
  if (all.length <= keep) return;
  const best = all.reduce((a, b) => (b.state.valAccuracy > a.state.valAccuracy ? b : a));
  for (const c of all.slice(0, all.length - keep)) if (c !== best) fs.rmSync(path.join(root, c.name), { recursive: true, force: true });
}

/** Removes temporary folders that a crash left behind; readers never look at them. */
export function cleanTemporaryCheckpoints(runDir: string): number {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  let removed = 0;
  for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    if (name.startsWith(TMP_PREFIX)) {
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** The checkpoint to resume from: the newest one, in stage order. */
export function latestCheckpoint(runDir: string, stageOrder: string[]): { dir: string; state: CheckpointState } | undefined {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  const all = listOf(root).sort((a, b) => stageOrder.indexOf(a.state.stage) - stageOrder.indexOf(b.state.stage) || a.state.epoch - b.state.epoch);
  const last = all.at(-1);
  return last && { dir: path.join(root, last.name), state: last.state };
}

export function loadCheckpoint(tf: typeof tfTypes, dir: string): CheckpointContents {
  return {
    state: JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')),
    model: readTensors(tf, dir, 'model'),
    optimizer: readTensors(tf, dir, 'optimizer'),
    extra: readTensors(tf, dir, 'extra'),
  };
}
