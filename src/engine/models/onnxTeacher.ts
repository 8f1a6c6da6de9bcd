/**
 * An ONNX teacher, run by ONNX Runtime (onnxruntime-node, CPU) in the engine process. Every
 * problem with the file is found here, at load, naming the file and what was expected: the
 * run's `prepare()` loads it, so `distill validate` and the editor's checks say it before any
 * training. The data pipeline's batches are NHWC float32; the model's input layout (NCHW or
 * NHWC) is read from its input shape, or taken from kd.json `layout`, and each batch is
 * converted. A fixed batch size in the file (torch.onnx.export without dynamic axes) is served
 * in chunks of that size. Taps (teacherLayer names) are node outputs added as graph outputs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type * as tfTypes from '@tensorflow/tfjs';
import {
  decodeOnnxModel,
  describeDims,
  encodeOnnxModel,
  onnxTapNames,
  ONNX_DTYPE,
  summarizeOnnx,
  type OnnxDim,
  type OnnxGraphSummary,
} from '../../protocol/onnx/onnxModel';
import { openOrtSession, type OrtRunner } from '../onnx/ortSession';
import { externalTeacherModel, UnknownTapError, type ExternalForward } from './externalTeacher';

/** The newest default-domain opset this onnxruntime-node (1.30) runs. */
export const MAX_ONNX_OPSET = 23;

export interface OnnxTeacherOptions {
  /** The data's images [h, w, c]. */
  shape: [number, number, number];
  layout?: 'nchw' | 'nhwc';
  output?: string;
  taps: string[];
  threads: number;
  name: string;
}

type Layout = 'nchw' | 'nhwc' | 'flat-nchw' | 'flat-nhwc';

const fits = (d: OnnxDim, n: number) => d === undefined || typeof d === 'string' || d === n;

/** Which layout the model's input takes, or why it fits none. */
function inputLayout(file: string, dims: OnnxDim[] | undefined, [h, w, c]: [number, number, number], asked?: 'nchw' | 'nhwc'): Layout {
  const expected = `[N, ${c}, ${h}, ${w}] (NCHW), [N, ${h}, ${w}, ${c}] (NHWC) or [N, ${h * w * c}]`;
  if (!dims) return asked ?? 'nchw';
  if (dims.length === 2) {
    if (!fits(dims[1], h * w * c))
      throw new Error(`${file}: its input is ${describeDims(dims)}, which does not fit the ${h}×${w}×${c} images: expected ${expected}`);
    return asked === 'nhwc' ? 'flat-nhwc' : 'flat-nchw';
  }
  if (dims.length !== 4) throw new Error(`${file}: its input is ${describeDims(dims)}, which does not fit the ${h}×${w}×${c} images: expected ${expected}`);
  const nchw = fits(dims[1], c) && fits(dims[2], h) && fits(dims[3], w);
  const nhwc = fits(dims[1], h) && fits(dims[2], w) && fits(dims[3], c);
  if (asked === 'nchw' && !nchw) throw new Error(`${file}: layout "nchw" was asked, but its input is ${describeDims(dims)}: expected [N, ${c}, ${h}, ${w}]`);
  if (asked === 'nhwc' && !nhwc) throw new Error(`${file}: layout "nhwc" was asked, but its input is ${describeDims(dims)}: expected [N, ${h}, ${w}, ${c}]`);
  if (asked) return asked;
  if (nchw) return 'nchw';
  if (nhwc) return 'nhwc';
  throw new Error(`${file}: its input is ${describeDims(dims)}, which does not fit the ${h}×${w}×${c} images: expected ${expected}`);
}

/** Static checks of the graph: one float input, an opset ONNX Runtime runs, taps and the output that exist. */
function checkGraph(g: OnnxGraphSummary, opts: OnnxTeacherOptions): void {
  const file = g.file;
  if (g.inputs.length !== 1)
    throw new Error(`${file}: the model has ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(', ')}); a teacher takes one, the images`);
  if (g.inputs[0].dtype !== 'float32') throw new Error(`${file}: its input "${g.inputs[0].name}" is ${g.inputs[0].dtype}; a teacher takes float32 images`);
  if (g.opset > MAX_ONNX_OPSET || g.opset < 7)
    throw new Error(
      `${file}: opset ${g.opset}; ONNX Runtime here runs opsets 7 to ${MAX_ONNX_OPSET} (export again with an opset in that range, e.g. opset_version=17)`,
    );
  if (opts.output && !g.outputs.some((o) => o.name === opts.output))
    throw new Error(`${file}: no output "${opts.output}" (its outputs: ${g.outputs.map((o) => o.name).join(', ')})`);
  const names = new Set(onnxTapNames(g));
  for (const t of opts.taps)
    if (!names.has(t)) {
      const list = [...names];
      throw new UnknownTapError(
        `${file}: no node output "${t}" to tap (its node outputs: ${list.slice(0, 40).join(', ')}${list.length > 40 ? `, … ${list.length - 40} more` : ''})`,
        t,
      );
    }
}

/** The file's bytes with the taps added as graph outputs (ONNX Runtime fetches graph outputs only). */
function withTapOutputs(bytes: Uint8Array, taps: string[]): Uint8Array {
  const model = decodeOnnxModel(bytes);
  const graph = model.graph!;
  const have = new Set((graph.output ?? []).map((o) => o.name));
  graph.output = [
    ...(graph.output ?? []),
    ...taps.filter((t) => !have.has(t)).map((name) => ({ name, type: { tensor_type: { elem_type: ONNX_DTYPE.FLOAT } } })),
  ];
  return encodeOnnxModel(model);
}

function nchwToNhwc(data: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + k] = data[((b * c + k) * h + y) * w + x];
  return out;
}

function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
  return out;
}

class OnnxForward implements ExternalForward {
  outputShapes: number[][] = [];
  /** Per fetched output: whether it is an NCHW feature map to turn into NHWC. */
  private toNhwc: boolean[] = [];

  constructor(
    private readonly session: OrtRunner,
    private readonly inputName: string,
    private readonly layout: Layout,
    private readonly shape: [number, number, number],
    private readonly fixedBatch: number | undefined,
    private readonly fetch: string[],
  ) {}

  private feed(images: Float32Array, n: number): Record<string, { data: Float32Array; dims: number[] }> {
    const [h, w, c] = this.shape;
    const data = this.layout === 'nchw' || this.layout === 'flat-nchw' ? (c === 1 ? images : nhwcToNchw(images, n, h, w, c)) : images;
    const dims = this.layout === 'nchw' ? [n, c, h, w] : this.layout === 'nhwc' ? [n, h, w, c] : [n, h * w * c];
    return { [this.inputName]: { data, dims } };
  }

  /** The raw outputs for n images, in chunks of the file's fixed batch size when it has one. */
  private runRaw(images: Float32Array, n: number): { data: Float32Array; dims: number[] }[] {
    const per = images.length / Math.max(1, n);
    const chunk = this.fixedBatch ?? n;
    const parts: { data: Float32Array; dims: number[] }[][] = [];
    for (let start = 0; start < n || (n === 0 && start === 0); start += chunk) {
      const count = Math.min(chunk, n - start);
      let slice = images.subarray(start * per, (start + count) * per);
      if (count < chunk) {
        const padded = new Float32Array(chunk * per);
        padded.set(slice);
        slice = padded;
      }
      const out = this.session.run(this.feed(slice, chunk), this.fetch);
      parts.push(this.fetch.map((f) => ({ data: out[f].data.slice(0, (out[f].data.length / chunk) * count), dims: [count, ...out[f].dims.slice(1)] })));
      if (n === 0) break;
    }
    return this.fetch.map((_, i) => {
      const total = parts.reduce((s, p) => s + p[i].data.length, 0);
      const data = new Float32Array(total);
      let off = 0;
      for (const p of parts) {
        data.set(p[i].data, off);
        off += p[i].data.length;
      }
      return { data, dims: [n, ...parts[0][i].dims.slice(1)] };
    });
  }

  /** Runs once on zeros to learn the outputs' shapes (ONNX files often leave them symbolic). */
  probe(file: string): void {
    const n = this.fixedBatch ?? 2;
    const out = this.runRaw(new Float32Array(n * this.shape[0] * this.shape[1] * this.shape[2]), n);
    const [logits, ...taps] = out;
    if (logits.dims.length !== 2)
      throw new Error(`${file}: output "${this.fetch[0]}" is [${logits.dims.slice(1).join(', ')}] per sample; a teacher's logits must be [N, classes]`);
    this.toNhwc = out.map((o, i) => i > 0 && o.dims.length === 4 && (this.layout === 'nchw' || this.layout === 'flat-nchw'));
    this.outputShapes = [logits.dims.slice(1), ...taps.map((t, i) => (this.toNhwc[i + 1] ? [t.dims[2], t.dims[3], t.dims[1]] : t.dims.slice(1)))];
  }

  run(images: Float32Array, n: number): Float32Array[] {
    return this.runRaw(images, n).map((o, i) => (this.toNhwc[i] ? nchwToNhwc(o.data, n, o.dims[1], o.dims[2], o.dims[3]) : o.data));
  }

  dispose(): void {
    this.session.dispose();
  }
}

export function fileDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 24);
}

/** Loads an ONNX teacher as a frozen tfjs model (externalTeacher.ts); throws with the file named. */
export function loadOnnxTeacher(tf: typeof tfTypes, file: string, opts: OnnxTeacherOptions, bytes: Uint8Array = fs.readFileSync(file)): tfTypes.LayersModel {
  let summary: OnnxGraphSummary;
  let params = 0;
  try {
    const decoded = decodeOnnxModel(bytes);
    summary = summarizeOnnx(decoded, file);
    for (const t of decoded.graph?.initializer ?? []) params += (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  } catch (e) {
    const m = (e as Error).message;
    throw new Error(m.startsWith(file) ? m : `${file}: not a readable ONNX model (${m}): the file is truncated or not ONNX`, { cause: e });
  }
  checkGraph(summary, opts);
  const layout = inputLayout(file, summary.inputs[0].dims, opts.shape, opts.layout);
  const batch = summary.inputs[0].dims?.[0];
  const fixedBatch = typeof batch === 'number' && batch > 0 ? batch : undefined;
  const logitsName = opts.output ?? summary.outputs[0]?.name;
  if (!logitsName) throw new Error(`${file}: the model has no outputs`);
  let session: OrtRunner;
  try {
    session = openOrtSession(opts.taps.length ? withTapOutputs(bytes, opts.taps) : bytes, opts.threads);
  } catch (e) {
    throw new Error(`${file}: ONNX Runtime cannot load it: ${(e as Error).message}`, { cause: e });
  }
  const forward = new OnnxForward(session, summary.inputs[0].name, layout, opts.shape, fixedBatch, [logitsName, ...opts.taps]);
  try {
    forward.probe(file);
  } catch (e) {
    session.dispose();
    const m = (e as Error).message;
    throw new Error(m.startsWith(file) ? m : `${file}: ONNX Runtime cannot run it on ${opts.shape.join('×')} images (${m})`, { cause: e });
  }
  const identity = `onnx:${fileDigest(bytes)}:${layout}:${logitsName}`;
  return externalTeacherModel(tf, opts.shape, forward, opts.taps, { kind: 'onnx', file, identity, tapNames: onnxTapNames(summary), params }, opts.name);
}
