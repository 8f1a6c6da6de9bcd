/**
 * Reading and writing ONNX model files with protobufjs and the ONNX schema (onnxProto.ts). No
 * tfjs and no onnxruntime here: the engine's teacher checks, the exporter and the extension
 * host (node names for `teacherLayer` completion) all read a model through `readOnnxGraph`,
 * which names the file in every error.
 */
import * as fs from 'node:fs';
import * as protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnxProto';

/** TensorProto.DataType values used here. */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
const DTYPE_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

export interface OnnxAttribute {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int64_data?: number[];
  int32_data?: number[];
}

export interface OnnxNode {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number; dim_param?: string }[] } } };
}

export interface OnnxGraph {
  name?: string;
  node?: OnnxNode[];
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  value_info?: OnnxValueInfo[];
}

export interface OnnxModelProto {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  graph?: OnnxGraph;
}

let modelType: protobuf.Type | undefined;
function ModelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

export function encodeOnnxModel(model: OnnxModelProto): Uint8Array {
  const type = ModelProto();
  return type.encode(type.fromObject(model)).finish();
}

export function decodeOnnxModel(bytes: Uint8Array): OnnxModelProto {
  const type = ModelProto();
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as OnnxModelProto;
}

/** A value's shape: sizes, or the symbolic name of a dynamic dimension (e.g. "batch"), or undefined when unknown. */
export type OnnxDim = number | string | undefined;

export interface OnnxValue {
  name: string;
  dtype: string;
  /** Undefined when the file gives no shape. */
  dims?: OnnxDim[];
}

/** What the checks and the editor need of an ONNX graph. */
export interface OnnxGraphSummary {
  file: string;
  irVersion: number;
  /** The default ("ai.onnx") domain's opset. */
  opset: number;
  /** Opsets of other domains ("com.microsoft" …). */
  otherOpsets: { domain: string; version: number }[];
  /** The graph's inputs that are fed (initializers listed as inputs, as older exporters do, are left out). */
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Every node, in file order, with the op type and its outputs (any of which can be tapped by name). */
  nodes: { name: string; opType: string; domain: string; outputs: string[] }[];
  producer: string;
  /** Elements of its initializers (the weights). */
  params: number;
  /** Shapes the file declares for values (graph outputs, value_info), by name. */
  shapes: Map<string, OnnxDim[]>;
}

function dtypeName(t: number | undefined): string {
  return (t !== undefined && DTYPE_NAMES[t]) || `type ${t ?? '?'}`;
}

function valueOf(v: OnnxValueInfo): OnnxValue {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape?.dim?.map((d) => (d.dim_value !== undefined && d.dim_value !== null ? Number(d.dim_value) : d.dim_param || undefined));
  return { name: v.name ?? '', dtype: dtypeName(tt?.elem_type), ...(dims ? { dims } : {}) };
}

/** Summarises a decoded model. */
export function summarizeOnnx(model: OnnxModelProto, file: string): OnnxGraphSummary {
  const graph = model.graph;
  if (!graph || !graph.node?.length) throw new Error(`${file}: not an ONNX model: no graph with nodes in it (truncated, or another kind of file)`);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const opsets = model.opset_import ?? [];
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    file,
    irVersion: Number(model.ir_version ?? 0),
    opset: Number(main?.version ?? 0),
    otherOpsets: opsets.filter((o) => o !== main).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(valueOf),
    outputs: (graph.output ?? []).map(valueOf),
    nodes: graph.node.map((n) => ({ name: n.name ?? '', opType: n.op_type ?? '', domain: n.domain ?? '', outputs: n.output ?? [] })),
    producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    params: (graph.initializer ?? []).reduce((n, t) => n + (t.dims ?? []).reduce((a, b) => a * Number(b), 1), 0),
    shapes: new Map(
      [...(graph.value_info ?? []), ...(graph.output ?? [])].map(valueOf).flatMap((v) => (v.dims ? [[v.name, v.dims] as [string, OnnxDim[]]] : [])),
    ),
  };
}

/** Reads and summarises an ONNX file; every error names the file. */
export function readOnnxGraph(file: string, bytes?: Uint8Array): OnnxGraphSummary {
  let data: Uint8Array;
  try {
    data = bytes ?? fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: not a readable ONNX file (${(e as Error).message})`, { cause: e });
  }
  let model: OnnxModelProto;
  try {
    model = decodeOnnxModel(data);
  } catch (e) {
    throw new Error(`${file}: not a readable ONNX model (${(e as Error).message}): the file is truncated or not ONNX`, { cause: e });
  }
  return summarizeOnnx(model, file);
}

/** Names a teacherLayer may give: every node output that is not already a graph input. */
export function onnxTapNames(summary: OnnxGraphSummary): string[] {
  return summary.nodes.flatMap((n) => n.outputs).filter((o) => o !== '');
}

export function describeDims(dims: OnnxDim[] | undefined): string {
  return dims ? `[${dims.map((d) => (d === undefined ? '?' : d)).join(', ')}]` : '[unknown shape]';
}
