/**
 * The data set and the teachers loaded from disk, through a worker's RunMemo when there is one
 * (dist/engine.js --worker), straight from disk otherwise. The keys say what a value is made
 * of: for the data, the spec's fields that loading and splitting read, the seed, and which
 * files the source reads (device, inode, size, times); for a teacher, the backend and a digest
 * of its model.json and weight bytes as read now. A changed file, spec or seed misses.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig } from '../../protocol/config';
import { buildDataset, NormalizeError, type Dataset } from '../data/dataset';
import * as path from 'node:path';
import { cacheDirFor } from '../../protocol/teacherCacheDir';
import type { Progress } from '../data/formats/imageFolder';
import { loadSource, sourceFiles } from '../data/sources';
import * as fs from 'node:fs';
import { fileIdentity, modelFromArtifacts, readModelArtifacts } from '../models/modelFiles';
import { isGraphModelJson, isOnnxFile } from '../models/modelJson';
import { fileDigest, loadOnnxTeacher } from '../models/onnxTeacher';
import { loadGraphTeacher } from '../models/graphTeacher';
import { ortThreads } from '../onnx/ortSession';
import { withTeacherInput, type TeacherInput } from '../models/teacherInput';
import { MissingNativeError } from '../util/optionalNative';
import { digest, type RunMemo } from './memo';

export interface LoadedData {
  ds: Dataset;
  description: string;
  /** What loading said (conversions, skipped files, the decode cache), for the run log. */
  notes: string[];
}

/** The data source could not be read: the config's fault (data.source). */
export class DataSourceError extends Error {}

/** The data could not be split as asked (e.g. nothing left to train on): the config's fault (data.limit and the splits). */
export class DataSplitError extends Error {}

/** Loads and splits the data; image folders and tables are decoded through the cache beside kd.json (or DISTILLERY_CACHE_DIR). */
export async function loadData(cfg: KdConfig, baseDir: string, memo?: RunMemo, progress?: Progress): Promise<LoadedData> {
  const make = async (): Promise<LoadedData> => {
    let source;
    try {
      source = await loadSource(cfg.data, baseDir, { cacheDir: cacheDirFor(path.join(baseDir, 'kd.json')), progress });
    } catch (e) {
      if (e instanceof MissingNativeError) throw e;
      throw new DataSourceError((e as Error).message);
    }
    try {
      return { ds: buildDataset(source, cfg.data, cfg.seed), description: source.description, notes: source.notes ?? [] };
    } catch (e) {
      if (e instanceof NormalizeError) throw e;
      throw new DataSplitError((e as Error).message);
    }
  };
  if (!memo) return make();
  const { source, limit, validationSplit, testSplit, normalize, unlabeledImages } = cfg.data;
  const { imageSize, channels, fit, skipUnreadable } = cfg.data;
  let files;
  try {
    files = sourceFiles(cfg.data, baseDir).map((f) => [f, fileIdentity(f)]);
  } catch (e) {
    throw new DataSourceError((e as Error).message);
  }
  const decode = typeof source === 'object' && 'format' in source && source.format === 'imageFolder' ? { imageSize, channels, fit, skipUnreadable } : {};
  const key = `data:${digest(JSON.stringify({ source, unlabeledImages, baseDir, limit, validationSplit, testSplit, normalize, seed: cfg.seed, files, ...decode }))}`;
  return memo.get(key, make);
}

/** A teacher's model file, loaded (the memo's copy when its bytes and the backend are the same). */
export async function loadTeacherModel(tf: typeof tfTypes, modelJson: string, memo?: RunMemo): Promise<tfTypes.LayersModel> {
  const artifacts = readModelArtifacts(modelJson);
  if (!memo) return modelFromArtifacts(tf, artifacts, modelJson);
  const key = `teacher:${tf.getBackend()}:${digest(JSON.stringify(artifacts.modelTopology), JSON.stringify(artifacts.weightSpecs), artifacts.weightData as ArrayBuffer)}`;
  return memo.get(
    key,
    () => modelFromArtifacts(tf, artifacts, modelJson),
    (m) => m.dispose(),
  );
}

/** What an ONNX or GraphModel teacher needs besides its file: the images' shape, kd.json's layout and output, the layers tapped. */
export interface FrozenTeacherOptions {
  shape: [number, number, number];
  layout?: 'nchw' | 'nhwc';
  output?: string;
  taps: string[];
  name: string;
  /** kd.json preprocess: the teacher's own input is made from the student's batch (`shape`), and the model loaded for `input.shape`. */
  input?: TeacherInput;
}

/**
 * A teacher's file, whatever it is: an ONNX model (run by ONNX Runtime), a tfjs GraphModel, or
 * a LayersModel. The first two come as frozen tfjs models (models/externalTeacher.ts); in a
 * worker they are kept by a key of their bytes and everything that shapes their outputs.
 */
export async function loadTeacherFile(tf: typeof tfTypes, file: string, opts: FrozenTeacherOptions, memo?: RunMemo): Promise<tfTypes.LayersModel> {
  const input = opts.input;
  if (input) {
    // The model runs on its own input; the wrapper takes the student's batch (models/teacherInput.ts).
    const own: FrozenTeacherOptions = { ...opts, shape: input.shape, input: undefined, name: `${opts.name}_own` };
    const make = async () => {
      const inner =
        isOnnxFile(file) || isGraphModelJson(file) ? await loadTeacherFile(tf, file, own) : await modelFromArtifacts(tf, readModelArtifacts(file), file);
      return withTeacherInput(tf, inner, input, opts.shape, opts.taps, file, opts.name);
    };
    if (!memo) return make();
    const a = isOnnxFile(file) ? undefined : readModelArtifacts(file, { graphModel: isGraphModelJson(file) });
    const contents = a
      ? digest(JSON.stringify(a.modelTopology), JSON.stringify(a.weightSpecs), a.weightData as ArrayBuffer)
      : fileDigest(fs.readFileSync(file));
    return memo.get(`preprocessed-teacher:${tf.getBackend()}:${contents}:${digest(JSON.stringify(opts))}`, make, (m) => m.dispose());
  }
  if (isOnnxFile(file)) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new Error(`${file}: not a readable ONNX file (${(e as Error).message})`, { cause: e });
    }
    const threads = ortThreads();
    const make = () => loadOnnxTeacher(tf, file, { ...opts, threads }, bytes);
    if (!memo) return make();
    return memo.get(`onnx-teacher:${fileDigest(bytes)}:${digest(JSON.stringify({ ...opts, threads }))}`, make, (m) => m.dispose());
  }
  if (isGraphModelJson(file)) {
    const make = () => loadGraphTeacher(tf, file, opts);
    if (!memo) return make();
    const a = readModelArtifacts(file, { graphModel: true });
    const key = `graph-teacher:${tf.getBackend()}:${digest(JSON.stringify(a.modelTopology), JSON.stringify(a.weightSpecs), a.weightData as ArrayBuffer, JSON.stringify(opts))}`;
    return memo.get(key, make, (m) => m.dispose());
  }
  return loadTeacherModel(tf, file, memo);
}
