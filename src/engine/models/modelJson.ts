/**
 * Reading a `model` file named in kd.json and checking it is what Distillery can load: a tfjs
 * LayersModel model.json (topology + weights manifest). Users point `model` at whatever they
 * have — a Keras .h5/.keras, an ONNX file, a tfjs GraphModel — and tfjs then says "Improper
 * config format" or throws a bare TypeError. Here each is recognised (by its bytes, then its
 * name) and refused with what it is and what is needed, naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { io } from '@tensorflow/tfjs';

export type WeightsManifestGroup = { paths: string[]; weights: io.WeightsManifestEntry[] };

export interface ModelJson {
  modelTopology: unknown;
  weightsManifest: WeightsManifestGroup[];
  format?: string;
}

const HDF5_MAGIC = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');
const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const LAYERS_NEEDED = 'a tfjs LayersModel model.json is needed';

function kerasAdvice(file: string): string {
  const out = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}-tfjs`);
  return `${file}: a Keras model file; ${LAYERS_NEEDED}: convert it with tensorflowjs_converter --input_format keras ${file} ${out} and name ${path.join(out, 'model.json')} here`;
}

/** What a file that is not JSON is, from its first bytes and its name; undefined when it may be JSON. */
function foreignFormat(file: string, head: Buffer): string | undefined {
  const ext = path.extname(file).toLowerCase();
  if (head.subarray(0, HDF5_MAGIC.length).equals(HDF5_MAGIC) || ext === '.h5' || ext === '.hdf5') return kerasAdvice(file);
  // Keras 3 saves .keras as a zip archive.
  if (ext === '.keras' || (head.subarray(0, 4).equals(ZIP_MAGIC) && ext !== '.json')) return kerasAdvice(file);
  if (ext === '.onnx' || isOnnxBytes(head))
    return `${file}: an ONNX model, which can be a teacher (teachers[].model) but not trained here: ${LAYERS_NEEDED} (for a model trained in Keras, convert it with tensorflowjs_converter --input_format keras)`;
  if (ext === '.pb' || ext === '.tflite')
    return `${file}: a TensorFlow ${ext === '.pb' ? 'SavedModel/frozen graph' : 'Lite'} file, which cannot be trained or tapped here; ${LAYERS_NEEDED} (from the Keras model: tensorflowjs_converter --input_format keras)`;
  return undefined;
}

function what(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** The manifest's structure, checked before any of it is used: each problem names its place in the file. */
function checkManifest(manifest: unknown, file: string): WeightsManifestGroup[] {
  if (manifest === undefined) return [];
  if (!Array.isArray(manifest)) throw new Error(`${file}: weightsManifest: expected a list of weight groups, found ${what(manifest)}`);
  manifest.forEach((group: unknown, g) => {
    const at = `weightsManifest[${g}]`;
    if (!group || typeof group !== 'object' || Array.isArray(group))
      throw new Error(`${file}: ${at}: expected an object with "paths" and "weights", found ${what(group)}`);
    const { paths, weights } = group as Record<string, unknown>;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
      throw new Error(`${file}: ${at}.paths: expected a list of weight file names, found ${what(paths)}`);
    if (!Array.isArray(weights)) throw new Error(`${file}: ${at}.weights: expected a list of weight specs, found ${what(weights)}`);
    weights.forEach((w: unknown, i) => {
      const spec = w as Record<string, unknown> | null;
      const ok =
        !!spec &&
        typeof spec === 'object' &&
        typeof spec.name === 'string' &&
        typeof spec.dtype === 'string' &&
        Array.isArray(spec.shape) &&
        spec.shape.every((d) => Number.isInteger(d) && (d as number) >= 0);
      if (!ok) throw new Error(`${file}: ${at}.weights[${i}]: expected a name, a shape (a list of sizes) and a dtype`);
    });
  });
  return manifest as WeightsManifestGroup[];
}

/**
 * An ONNX file's first bytes: the ModelProto's field 1 (ir_version, a varint: tag 0x08) and a
 * small version, then usually field 2 (producer_name, tag 0x12) or 8 (opset_import, tag 0x42).
 */
export function isOnnxBytes(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0x08 && head[1] > 0 && head[1] < 0x20 && (head[2] === 0x12 || head[2] === 0x3a || head[2] === 0x42);
}

/** Whether a teacher's `model` file is ONNX (by its name or its first bytes). */
export function isOnnxFile(file: string): boolean {
  if (path.extname(file).toLowerCase() === '.onnx') return true;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
      return isOnnxBytes(head);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Whether a model.json is a tfjs GraphModel (by its format, or a topology of graph nodes); false when it cannot be read. */
export function isGraphModelJson(file: string): boolean {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const topology = j.modelTopology as Record<string, unknown> | undefined;
    return j.format === 'graph-model' || (!!topology && typeof topology === 'object' && 'node' in topology);
  } catch {
    return false;
  }
}

/**
 * Reads and checks a LayersModel model.json (or, with `graphModel`, a GraphModel's); throws
 * with the file named and what it is instead.
 */
export function readModelJson(file: string, opts: { graphModel?: boolean } = {}): ModelJson {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: not a readable model.json (${(e as Error).message})`, { cause: e });
  }
  const foreign = foreignFormat(file, bytes.subarray(0, 16));
  if (foreign) throw new Error(foreign);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable model.json (${(e as Error).message})`, { cause: e });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: not a tfjs model.json: it holds ${what(json)}, not an object`);
  const j = json as Record<string, unknown>;
  const topology = j.modelTopology as Record<string, unknown> | undefined;
  if (!opts.graphModel && (j.format === 'graph-model' || (topology && typeof topology === 'object' && 'node' in topology))) {
    throw new Error(
      `${file}: a tfjs GraphModel (format "graph-model"), converted from a SavedModel or a frozen graph: it can be a teacher (teachers[].model) but its layers cannot be trained, so ${LAYERS_NEEDED}; convert the Keras model with tensorflowjs_converter --input_format keras model.h5 out/`,
    );
  }
  if (!j.modelTopology) throw new Error(`${file}: no modelTopology (is this a tfjs LayersModel model.json?)`);
  return {
    modelTopology: j.modelTopology,
    weightsManifest: checkManifest(j.weightsManifest, file),
    format: typeof j.format === 'string' ? j.format : undefined,
  };
}
