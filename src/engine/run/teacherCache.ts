/**
 * The teacher's logits over every sample of the training set, un-augmented, cached on disk:
 * `.distillery/cache/teacher-logits-<hash>.bin` (float32, [samples × classes]; with kd.json
 * `outputs`, each row is followed by the teacher's head outputs, [samples × (classes + Σd)]). The hash
 * covers the teachers' weights, how they combine, and the data (pixels, normalisation), so
 * a change to either misses the cache. Every sample of the set is covered, not just one
 * split, so sweep trials with other seeds (other splits) reuse it too. Files are written
 * under a temporary name and renamed, since parallel trials may write the same entry.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Dataset, Split } from '../data/dataset';
import type { EnsembleOptions } from '../models/forward';
import { fileIdentity, writeDurably } from '../models/modelFiles';
import { predictLogits, type LogitsFn } from '../train/evaluate';
import type { TappedFn } from '../models/taps';
import type { TeacherSource } from '../train/trainer';
import type { RunMemo } from './memo';
import { externalTeacherInfo } from '../models/externalTeacher';

/**
 * What of `ensemble` changes the teachers' combined logits: how they combine (and the
 * temperature, for mean-probabilities) with several teachers or mean-probabilities; nothing
 * for one teacher's plain logits.
 */
export function ensembleIdentity(teachers: number, ensemble: EnsembleOptions): object | 'single' {
  if (ensemble.combine === 'mean-probabilities') return { ...ensemble };
  return teachers > 1 ? { combine: ensemble.combine, weights: ensemble.weights } : 'single';
}

/** `heads`: the extra outputs cached after the logits, e.g. ["box:4"] (part of the key: they change the rows). */
export async function teacherLogitsKey(models: tfTypes.LayersModel[], ensemble: EnsembleOptions, ds: Dataset, heads: string[] = []): Promise<string> {
  const h = createHash('sha256');
  for (const m of models) {
    // An ONNX or GraphModel teacher: its file's bytes and what shapes its outputs (it has no tfjs weights).
    const external = externalTeacherInfo(m);
    if (external) h.update(`external:${external.identity};`);
    // By position, not name: tfjs suffixes the names of a model loaded twice in one process
    // (an engine that runs several trials), and the same weights must find the same entry.
    for (const [i, w] of m.weights.entries()) {
      const v = w.read();
      h.update(`${i}:${v.shape.join('x')}:${v.dtype};`);
      const data = (await v.data()) as Float32Array;
      h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    h.update(`|${m.inputs[0].shape.join('x')}|`);
  }
  h.update(
    JSON.stringify({
      combine: ensembleIdentity(models.length, ensemble),
      shape: ds.shape,
      scale: ds.scale,
      offset: ds.offset,
      ...(ds.channelScale ? { channelScale: ds.channelScale, channelOffset: ds.channelOffset } : {}),
      classes: ds.numClasses,
      count: ds.train.set.count,
      ...(heads.length ? { heads } : {}),
    }),
  );
  const set = ds.train.set;
  h.update(Buffer.from(set.images.buffer, set.images.byteOffset, set.images.byteLength));
  return h.digest('hex').slice(0, 20);
}

export interface CachedLogits {
  logits: Float32Array;
  file?: string;
  hit: boolean;
  seconds: number;
}

/**
 * Logits of every training-set sample, read from the cache when `cacheDir` has them, else
 * computed (and written there when `cacheDir` is given). `width`: values per sample of what
 * `forward` gives (the classes, plus the heads' outputs with kd.json `outputs`).
 */
export async function teacherLogitsForSet(
  tf: typeof tfTypes,
  forward: LogitsFn,
  ds: Dataset,
  key: string | undefined,
  cacheDir: string | undefined,
  width = ds.numClasses,
  memo?: RunMemo,
): Promise<CachedLogits> {
  const t0 = performance.now();
  const set = ds.train.set;
  const bytes = set.count * width * 4;
  const file = key && cacheDir ? path.join(cacheDir, `teacher-logits-${key}.bin`) : undefined;
  // A worker keeps the file's values under the file's identity: the same file unchanged since
  // an earlier run read or wrote it holds these bytes, and reads as a cache hit, as it would
  // for a fresh engine. A file replaced or removed since misses.
  const memoKey = memo && file ? (id: string) => `logits:${file}:${width}:${id}` : undefined;
  if (file && fs.existsSync(file) && fs.statSync(file).size === bytes) {
    const read = () => {
      const buf = fs.readFileSync(file);
      return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    };
    const logits = memoKey ? await memo!.get(memoKey(fileIdentity(file)), read) : read();
    return { logits, file, hit: true, seconds: (performance.now() - t0) / 1000 };
  }
  const all: Split = { set, indices: Uint32Array.from({ length: set.count }, (_, i) => i) };
  const logits = await predictLogits(tf, forward, ds, all, 512, width);
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // writeDurably names its temporary file by pid: parallel trials never share one.
    writeDurably(file, Buffer.from(logits.buffer, logits.byteOffset, logits.byteLength));
    if (memoKey) await memo!.get(memoKey(fileIdentity(file)), () => logits);
  }
  return { logits, file, hit: false, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The teacher as a cached source for training: its logits over the training set and, with
 * `heads` (kd.json `outputs`), its head outputs, cached together as rows [logits | head₁ | …].
 */
export async function cachedTeacherSource(
  tf: typeof tfTypes,
  forward: LogitsFn,
  ds: Dataset,
  key: string | undefined,
  cacheDir: string | undefined,
  heads?: { forward: TappedFn; outputs: { name: string; dim: number }[] },
  memo?: RunMemo,
): Promise<{ source: Extract<TeacherSource, { kind: 'cached' }>; got: CachedLogits }> {
  if (!heads?.outputs.length) {
    const got = await teacherLogitsForSet(tf, forward, ds, key, cacheDir, ds.numClasses, memo);
    return { source: { kind: 'cached', logits: got.logits }, got };
  }
  const rows: LogitsFn = (x) => {
    const r = heads.forward(x);
    return tf.concat([r.logits, ...heads.outputs.map((o) => r.outputs![o.name])], 1);
  };
  const width = ds.numClasses + heads.outputs.reduce((n, o) => n + o.dim, 0);
  const got = await teacherLogitsForSet(tf, rows, ds, key, cacheDir, width, memo);
  return { source: { kind: 'cached', ...splitRows(got.logits, ds.numClasses, heads.outputs) }, got };
}

/** Rows [logits | head₁ | …] as the logits table and one table per head. */
export function splitRows(
  table: Float32Array,
  classes: number,
  heads: { name: string; dim: number }[],
): { logits: Float32Array; outputs: Record<string, { rows: Float32Array; dim: number }> } {
  const width = classes + heads.reduce((n, h) => n + h.dim, 0);
  const n = table.length / width;
  const logits = new Float32Array(n * classes);
  const outputs = Object.fromEntries(heads.map(({ name, dim }) => [name, { rows: new Float32Array(n * dim), dim }]));
  for (let i = 0; i < n; i++) {
    let at = i * width;
    logits.set(table.subarray(at, at + classes), i * classes);
    at += classes;
    for (const { name, dim } of heads) {
      outputs[name].rows.set(table.subarray(at, at + dim), i * dim);
      at += dim;
    }
  }
  return { logits, outputs };
}
