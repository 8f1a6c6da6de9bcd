/**
 * `distill export`: a finished run's student in another form, checked before it is reported.
 *  - onnx: converted (onnxExport.ts), then run by ONNX Runtime over the run's whole test split;
 *    the export fails, and nothing is written, when a logit differs from the tfjs model's by
 *    more than 1e-4. Its accuracy and batch-1 latency under ONNX Runtime are reported.
 *  - tfjs: the LayersModel folder as trained.
 *  - float16, uint8: the same folder with quantized weights (quantize.ts), loaded back through
 *    tfjs's own dequantizing loader for its accuracy beside the float accuracy.
 * Each export is recorded in the run's summary.json (`exports`), so the compression report
 * shows it. Model folders follow the `.distillery-model` rules (protocol/modelFolder.ts); an
 * ONNX file replaces only an ONNX file Distillery wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig } from '../../protocol/config';
import type { ExportRecord } from '../../protocol/events';
import { validateConfigValue } from '../../protocol/loadConfig';
import { MODEL_MARKER, MODEL_MARKER_TEXT, modelFolderRefusal } from '../../protocol/modelFolder';
import { decodeOnnxModel, encodeOnnxModel } from '../../protocol/onnx/onnxModel';
import { FILES, readSummaryFile } from '../../protocol/runFolder';
import { configWithoutBookkeeping } from '../../protocol/runMeta';
import { selectBackend } from '../backend/select';
import { makeBatch, type Dataset } from '../data/dataset';
import { logitsModel } from '../models/heads';
import { loadLayersModel, readModelArtifacts, replaceFolder, savedModelBytes, saveLayersModel, writeDurably } from '../models/modelFiles';
import { openOrtSession, ortThreads } from '../onnx/ortSession';
import { loadData } from '../run/reuse';
import { accuracy, argmaxRows, labelsOf, predictLogits } from '../train/evaluate';
import { layersModelToOnnx, ONNX_INPUT, ONNX_LOGITS, type OnnxLayout } from './onnxExport';
import { quantizeWeights } from './quantize';

export const EXPORT_FORMATS = ['onnx', 'tfjs', 'float16', 'uint8'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** The largest logit difference an ONNX export may show against the tfjs model. */
export const ONNX_TOLERANCE = 1e-4;

export interface ExportOptions {
  runDir: string;
  format: ExportFormat;
  out?: string;
  layout?: OnnxLayout;
  backend?: string;
  log?: (line: string) => void;
}

export class ExportError extends Error {}

function defaultOut(runDir: string, format: ExportFormat): string {
  return path.join(runDir, 'exports', format === 'onnx' ? 'student.onnx' : `student-${format}`);
}

function readRunConfig(runDir: string): { cfg: KdConfig; baseDir: string } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(runDir, FILES.config), 'utf8'));
  } catch (e) {
    throw new ExportError(`${runDir} is not a run folder with a readable config.json (${(e as Error).message})`);
  }
  const { $configPath } = raw;
  const config = configWithoutBookkeeping(raw);
  const v = validateConfigValue(config);
  if (!v.ok) throw new ExportError(`${path.join(runDir, FILES.config)}: ${v.issues.map((i) => i.message).join('; ')}`);
  return { cfg: v.config, baseDir: path.dirname(typeof $configPath === 'string' ? $configPath : path.join(runDir, FILES.config)) };
}

/** Why an ONNX file must not be written at `file`, or undefined: it is new, or an ONNX file Distillery wrote. */
export function onnxFileRefusal(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return `${file} exists and is not a file; choose a new file name`;
  try {
    if (decodeOnnxModel(fs.readFileSync(file)).producer_name === 'distillery') return undefined;
  } catch {
    // Not ONNX at all: someone else's file.
  }
  return `${file} exists and is not an ONNX file Distillery wrote; it is never replaced. Choose a new file name`;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function nchwOf(x: Float32Array, n: number, [h, w, c]: number[]): Float32Array {
  if (c === 1) return x;
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++) for (let v = 0; v < w; v++) for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + v] = x[((b * h + y) * w + v) * c + k];
  return out;
}

/** The ONNX model's logits over the test split under ONNX Runtime, and its median batch-1 latency. */
function ortTestLogits(bytes: Uint8Array, ds: Dataset, inputShape: number[], layout: OnnxLayout): { logits: Float32Array; latencyMs: number } {
  const session = openOrtSession(bytes, ortThreads());
  try {
    const split = ds.test;
    const n = split.indices.length;
    const out = new Float32Array(n * ds.numClasses);
    const feed = (x: Float32Array, size: number) => {
      if (inputShape.length === 1) return { data: x, dims: [size, inputShape[0]] };
      const [h, w, c] = inputShape;
      return layout === 'nchw' ? { data: nchwOf(x, size, inputShape), dims: [size, c, h, w] } : { data: x, dims: [size, h, w, c] };
    };
    for (let start = 0; start < n; start += 256) {
      const batch = makeBatch(ds, split, split.indices.subarray(start, Math.min(n, start + 256)));
      out.set(session.run({ [ONNX_INPUT]: feed(batch.x, batch.size) }, [ONNX_LOGITS])[ONNX_LOGITS].data, start * ds.numClasses);
    }
    const one = makeBatch(ds, split, split.indices.subarray(0, 1));
    const input = { [ONNX_INPUT]: feed(one.x, 1) };
    for (let i = 0; i < 5; i++) session.run(input, [ONNX_LOGITS]);
    const times: number[] = [];
    for (let i = 0; i < 41; i++) {
      const t0 = process.hrtime.bigint();
      session.run(input, [ONNX_LOGITS]);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { logits: out, latencyMs: times[20] };
  } finally {
    session.dispose();
  }
}

/** A model folder with the given artifacts' weights quantized, written as saveLayersModel writes one. */
function writeQuantizedFolder(studentJson: string, dir: string, dtype: 'float16' | 'uint8'): void {
  const refusal = modelFolderRefusal(dir);
  if (refusal) throw new ExportError(refusal);
  const artifacts = readModelArtifacts(studentJson);
  const q = quantizeWeights(artifacts.weightSpecs!, artifacts.weightData as ArrayBuffer, dtype);
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.saving-`));
  try {
    writeDurably(path.join(staging, 'weights.bin'), Buffer.from(q.weightData));
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'distillery',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: q.weightSpecs }],
    };
    writeDurably(path.join(staging, 'model.json'), JSON.stringify(modelJson));
    writeDurably(path.join(staging, MODEL_MARKER), MODEL_MARKER_TEXT);
    replaceFolder(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Adds the record to summary.json (replacing one of the same format and path). */
function recordExport(runDir: string, record: ExportRecord): void {
  const read = readSummaryFile(runDir);
  if (!read.summary) return;
  const exports = (read.summary.exports ?? []).filter((e) => !(e.format === record.format && e.path === record.path));
  writeDurably(path.join(runDir, FILES.summary), JSON.stringify({ ...read.summary, exports: [...exports, record] }, null, 2) + '\n');
}

export async function exportStudent(tf: typeof tfTypes, o: ExportOptions): Promise<ExportRecord> {
  const log = o.log ?? (() => undefined);
  const runDir = path.resolve(o.runDir);
  const read = readSummaryFile(runDir);
  if (read.problem) throw new ExportError(read.problem);
  const summary = read.summary;
  if (!summary) throw new ExportError(`${runDir} has no summary.json: the run has not finished (or this is not a run folder)`);
  if (summary.status !== 'done') throw new ExportError(`${runDir} ended "${summary.status}"; only a finished run's student is exported`);
  const studentJson = path.join(runDir, summary.studentModel ?? FILES.student, 'model.json');
  if (!fs.existsSync(studentJson)) throw new ExportError(`${runDir} has no saved student (${studentJson})`);
  const out = path.resolve(o.out ?? defaultOut(runDir, o.format));
  const { cfg, baseDir } = readRunConfig(runDir);
  await selectBackend(tf, (o.backend ?? cfg.backend) as KdConfig['backend']);
  const { ds } = await loadData(cfg, baseDir);
  const student = await loadLayersModel(tf, studentJson);
  try {
    const main = logitsModel(tf, student);
    const inputShape = main.inputs[0].shape.slice(1) as number[];
    const flat = inputShape.length === 1;
    const raw = (m: tfTypes.LayersModel) => (x: tfTypes.Tensor) => m.predict(flat ? x.reshape([x.shape[0], -1]) : x) as tfTypes.Tensor;
    const reference = await predictLogits(tf, raw(main), ds, ds.test);
    const labels = labelsOf(ds.test);
    const floatAccuracy = accuracy(argmaxRows(reference, ds.numClasses), labels);
    const base = { format: o.format, path: out, floatAccuracy, testSamples: labels.length, time: new Date().toISOString() };
    let record: ExportRecord;
    if (o.format === 'onnx') {
      const layout = o.layout ?? 'nchw';
      const refusal = onnxFileRefusal(out);
      if (refusal) throw new ExportError(refusal);
      const bytes = encodeOnnxModel(layersModelToOnnx(tf, student, layout));
      const { logits, latencyMs } = ortTestLogits(bytes, ds, inputShape, layout);
      const diff = maxAbsDiff(reference, logits);
      log(`ONNX Runtime over the ${labels.length} test samples: max |logit difference| ${diff.toExponential(2)} (tolerance ${ONNX_TOLERANCE})`);
      if (!(diff <= ONNX_TOLERANCE))
        throw new ExportError(`the ONNX model's logits differ from the tfjs model's by up to ${diff} (more than ${ONNX_TOLERANCE}); nothing was written`);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      writeDurably(out, Buffer.from(bytes));
      record = {
        ...base,
        bytes: bytes.length,
        accuracy: accuracy(argmaxRows(logits, ds.numClasses), labels),
        maxAbsDiff: diff,
        layout,
        ortLatencyMs: latencyMs,
      };
    } else if (o.format === 'tfjs') {
      await saveLayersModel(student, out);
      record = { ...base, bytes: savedModelBytes(path.join(out, 'model.json')) ?? 0, accuracy: floatAccuracy, maxAbsDiff: 0 };
    } else {
      writeQuantizedFolder(studentJson, out, o.format);
      const back = await loadLayersModel(tf, path.join(out, 'model.json'));
      try {
        const logits = await predictLogits(tf, raw(logitsModel(tf, back)), ds, ds.test);
        record = {
          ...base,
          bytes: savedModelBytes(path.join(out, 'model.json')) ?? 0,
          accuracy: accuracy(argmaxRows(logits, ds.numClasses), labels),
          maxAbsDiff: maxAbsDiff(reference, logits),
        };
      } finally {
        back.dispose();
      }
    }
    recordExport(runDir, record);
    return record;
  } finally {
    student.dispose();
  }
}
