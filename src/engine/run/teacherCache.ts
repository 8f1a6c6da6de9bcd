/**
 * The teacher's logits over the samples of the training set, un-augmented, cached on disk:
 * `.distillery/cache/teacher-logits-<hash>.bin` (float32, [samples × classes]; with kd.json
 * `outputs`, each row is followed by the teacher's head outputs, [samples × (classes + Σd)]; then
 * a byte per sample saying whether its row is there). The hash covers the teachers' weights, how
 * they combine, and the data (pixels, normalisation), so a change to either misses the cache. A
 * run computes the rows it uses that the file lacks, so sweep trials with other seeds (other
 * splits) or another `data.limit` reuse what is there. Files are written under a temporary name
 * and renamed, since parallel trials may write the same entry.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset';
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
  /** Rows computed now (0 on a hit), and the rows this run uses. */
  computed: number;
  needed: number;
}

/**
 * The samples of the training set this run reads the teacher's rows for: its training split,
 * and its validation and test splits where they are drawn from the same set (their teacher
 * accuracies read the cache: runner.ts, finish.ts). Under `data.limit` that is the limit, not
 * the whole set.
 */
export function rowsNeeded(ds: Dataset): Uint8Array {
  const set = ds.train.set;
  const need = new Uint8Array(set.count);
  for (const split of [ds.train, ds.val, ds.test]) if (split.set === set) for (const i of split.indices) need[i] = 1;
  return need;
}

/** Which rows of a table read or written here hold the teacher's values. */
const rowMarks = new WeakMap<Float32Array, Uint8Array>();

/**
 * The cache file: [count × width] float32, then one byte per sample, 1 where its row holds the
 * teacher's values. A file of exactly [count × width] float32 (written before rows were
 * computed on demand) holds every row.
 */
function readCacheFile(file: string, count: number, width: number): { logits: Float32Array; present: Uint8Array } | undefined {
  if (!fs.existsSync(file)) return undefined;
  const size = fs.statSync(file).size;
  const values = count * width * 4;
  if (size !== values && size !== values + count) return undefined;
  const buf = fs.readFileSync(file);
  if (buf.byteLength !== size) return undefined;
  const logits = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + values));
  const present = size === values ? new Uint8Array(count).fill(1) : new Uint8Array(buf.buffer.slice(buf.byteOffset + values, buf.byteOffset + size));
  return { logits, present };
}

/**
 * The teacher's rows for the samples this run uses (rowsNeeded), in a table over the whole
 * training set: read from the cache when `cacheDir` has them, the missing ones computed (and
 * the file rewritten with them when `cacheDir` is given). Rows no run asked for yet stay 0 and
 * unmarked, so a later run with other splits (a sweep trial's seed, another limit) computes only
 * what it adds. `width`: values per sample of what `forward` gives (the classes, plus the heads'
 * outputs with kd.json `outputs`).
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
  const file = key && cacheDir ? path.join(cacheDir, `teacher-logits-${key}.bin`) : undefined;
  const need = rowsNeeded(ds);
  let needed = 0;
  for (const n of need) needed += n;
  // A worker keeps the file's contents under the file's identity: the same file unchanged since
  // an earlier run read or wrote it holds these bytes. A file replaced or removed since misses.
  const memoKey = memo && file ? (id: string) => `logits:${file}:${width}:${id}` : undefined;
  // A file of another size (torn, or another format) reads as holding no rows, and is rewritten.
  // The memo keeps the table itself (finish.ts keys the teacher's evaluation by it), its row marks beside it.
  const read = () => {
    const got = readCacheFile(file!, set.count, width) ?? { logits: new Float32Array(set.count * width), present: new Uint8Array(set.count) };
    rowMarks.set(got.logits, got.present);
    return got.logits;
  };
  const cachedLogits = file && fs.existsSync(file) ? (memoKey ? await memo!.get(memoKey(fileIdentity(file)), read) : read()) : undefined;
  const logits = cachedLogits ?? new Float32Array(set.count * width);
  const present = (cachedLogits && rowMarks.get(cachedLogits)) ?? new Uint8Array(set.count);
  const missing: number[] = [];
  for (let i = 0; i < set.count; i++) if (need[i] && !present[i]) missing.push(i);
  if (!missing.length) return { logits, file, hit: true, seconds: (performance.now() - t0) / 1000, computed: 0, needed };
  const rows = await predictLogits(tf, forward, ds, { set, indices: Uint32Array.from(missing) }, 512, width);
  missing.forEach((i, r) => {
    logits.set(rows.subarray(r * width, (r + 1) * width), i * width);
    present[i] = 1;
  });
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // writeDurably's temporary file is this writer's alone (host, pid, random): parallel trials on
    // any node never share one (the last rename wins; rows only the other wrote are computed again
    // by the next run that needs them).
    writeDurably(file, Buffer.concat([Buffer.from(logits.buffer, logits.byteOffset, logits.byteLength), Buffer.from(present)]));
    rowMarks.set(logits, present);
    if (memoKey) await memo!.get(memoKey(fileIdentity(file)), () => logits);
  }
  return { logits, file, hit: false, seconds: (performance.now() - t0) / 1000, computed: missing.length, needed };
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
