/**
 * Reading and writing tfjs LayersModels on disk (model.json + weight files) without the
 * tfjs-node file handler, which is not there on wasm/cpu. Loading is also the security edge
 * for model files from strangers: tfjs joins `weightsManifest` paths onto the model folder
 * unchecked, so here every path must stay inside that folder, and every file's size must
 * match what the weight specs declare before a byte of it is used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { io } from '@tensorflow/tfjs';
import { isOnnxFile, readModelJson } from './modelJson';
import { tmpNameBeside } from '../util/tmpName';
import { MODEL_MARKER, MODEL_MARKER_TEXT, modelFolderRefusal } from '../../protocol/modelFolder';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export function weightSpecBytes(spec: io.WeightsManifestEntry, file: string): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (!per) throw new Error(`${file}: weight "${spec.name}" has unsupported dtype "${dtype}"`);
  return count * per;
}

const leaves = (dir: string, p: string) => {
  const within = path.relative(dir, p);
  return within.startsWith('..') || path.isAbsolute(within);
};

/**
 * Resolves a weights path against the model folder, refusing anything that would leave it:
 * by its text ("../", absolute, a URL), and by its real path, so that a symbolic link inside
 * the folder cannot make the loader read a file elsewhere. A file that does not exist is
 * returned as is (the caller reports it missing).
 */
export function resolveInside(modelDir: string, rel: string, modelJson: string): string {
  if (path.isAbsolute(rel) || /^[a-z][a-z0-9+.-]*:/i.test(rel)) {
    throw new Error(`${modelJson}: weights path "${rel}" must be relative to the model's folder`);
  }
  const abs = path.resolve(modelDir, rel);
  if (leaves(modelDir, abs)) throw new Error(`${modelJson}: weights path "${rel}" leaves the model's folder`);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    return abs;
  }
  if (leaves(fs.realpathSync(modelDir), real))
    throw new Error(`${modelJson}: weights path "${rel}" is a symbolic link that leaves the model's folder (to ${real})`);
  return real;
}

/** Which file a path names right now: a replaced model folder gives a different answer. */
export function fileIdentity(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return 'absent';
  }
}

/**
 * Reads model.json and its weights as one consistent pair. A saver replaces the whole folder
 * (saveLayersModel), so when model.json is a different file after the weights were read than
 * before, the folder changed under the read, and it is read again.
 */
export function readModelArtifacts(modelJson: string, opts: { graphModel?: boolean } = {}): io.ModelArtifacts {
  for (let attempt = 0; ; attempt++) {
    const before = fileIdentity(modelJson);
    let result: io.ModelArtifacts | undefined;
    let error: unknown;
    try {
      result = readModelArtifactsOnce(modelJson, opts);
    } catch (e) {
      error = e;
    }
    if (fileIdentity(modelJson) === before || attempt >= 5) {
      if (error) throw error;
      return result!;
    }
  }
}

function readModelArtifactsOnce(modelJson: string, opts: { graphModel?: boolean }): io.ModelArtifacts {
  const json = readModelJson(modelJson, opts);
  const dir = path.dirname(path.resolve(modelJson));
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    const expected = group.weights.reduce((n, w) => n + weightSpecBytes(w, modelJson), 0);
    const files = group.paths.map((p) => resolveInside(dir, p, modelJson));
    const actual = files.reduce((n, f) => {
      if (!fs.existsSync(f)) throw new Error(`${modelJson}: weights file missing: ${f}`);
      return n + fs.statSync(f).size;
    }, 0);
    if (actual !== expected) {
      throw new Error(
        `${modelJson}: weights of ${group.paths.join(', ')} are ${actual} bytes, but the weight specs need ${expected} (truncated or mismatched file)`,
      );
    }
    for (const f of files) buffers.push(fs.readFileSync(f));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology as io.ModelArtifacts['modelTopology'],
    format: json.format,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
  };
}

export async function loadLayersModel(tf: typeof tfTypes, modelJson: string): Promise<tfTypes.LayersModel> {
  return modelFromArtifacts(tf, readModelArtifacts(modelJson), modelJson);
}

/** Builds the model from artifacts already read (`modelJson` names them in errors). */
export async function modelFromArtifacts(tf: typeof tfTypes, artifacts: io.ModelArtifacts, modelJson: string): Promise<tfTypes.LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`${modelJson}: cannot build the model (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Saves as model.json + weights.bin. The pair must never be seen half-new: both files are
 * written into a fresh sibling folder, which then replaces `dir` by rename. A reader sees
 * the old pair, the new pair, or (for an instant, when replacing) no folder at all; never a
 * new model.json beside an old weights.bin. Two processes saving the same folder at once
 * (two runs training the same teacher) each rename a complete folder; the last one wins.
 * Only a folder Distillery saved is ever replaced (protocol/modelFolder.ts): anything else
 * throws before a byte is written.
 */
export async function saveLayersModel(model: tfTypes.LayersModel, dir: string): Promise<void> {
  const refusal = modelFolderRefusal(dir);
  if (refusal) throw new Error(refusal);
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.saving-`));
  try {
    await model.save({
      save: async (artifacts: io.ModelArtifacts) => {
        const data = artifacts.weightData;
        const weights = Buffer.from(Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data as ArrayBuffer));
        writeDurably(path.join(staging, 'weights.bin'), weights);
        const modelJson = {
          format: 'layers-model',
          generatedBy: 'distillery',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        writeDurably(path.join(staging, 'model.json'), Buffer.from(JSON.stringify(modelJson)));
        writeDurably(path.join(staging, MODEL_MARKER), MODEL_MARKER_TEXT);
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
      },
    });
    replaceFolder(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Renames a complete folder onto `dir`, moving an existing one aside first (rename cannot
 * replace a non-empty folder); only a folder that holds a model Distillery saved is moved
 * aside and removed, checked again here, right before (the folder may have changed since).
 */
export function replaceFolder(staging: string, dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(staging, dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTDIR') || attempt >= 20) throw e;
    }
    const refusal = modelFolderRefusal(dir);
    if (refusal) throw new Error(refusal);
    const old = `${path.join(path.dirname(dir), '.' + path.basename(dir))}.old-${process.pid}-${attempt}-${Date.now()}`;
    try {
      fs.renameSync(dir, old);
    } catch (e) {
      // Another saver moved it first; try again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    fs.rmSync(old, { recursive: true, force: true });
  }
}

export function writeDurably(file: string, data: Buffer | string): void {
  const tmp = tmpNameBeside(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length;) {
        const n = fs.writeSync(fd, bytes, off, bytes.length - off);
        if (n <= 0) throw new Error('no bytes written (no space left on device?)');
        off += n;
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // The file's name says which write failed (a full disk fails whichever comes next).
    throw new Error(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * What a saved model takes on disk: model.json plus the weight files its manifest names
 * (inside its folder). Undefined when model.json cannot be read: a size is then not known,
 * and the readers fall back to params × 4, saying so.
 */
export function savedModelBytes(modelJson: string): number | undefined {
  try {
    // An ONNX teacher is one file.
    if (isOnnxFile(modelJson)) return fs.statSync(modelJson).size;
    const json = readModelJson(modelJson, { graphModel: true });
    const dir = path.dirname(path.resolve(modelJson));
    const files = new Set(json.weightsManifest.flatMap((g) => g.paths.map((p) => resolveInside(dir, p, modelJson))));
    let n = fs.statSync(modelJson).size;
    for (const f of files) n += fs.statSync(f).size;
    return n;
  } catch {
    return undefined;
  }
}
