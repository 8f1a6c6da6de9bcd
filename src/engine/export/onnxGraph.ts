/**
 * A small builder for an ONNX graph: nodes, float32 and int64 initializers, attributes, with
 * unique value names. The exporter (onnxExport.ts) says what to build; this says how it is
 * spelled in ONNX's protobuf (onnxModel.ts).
 */
import { ONNX_DTYPE, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../../protocol/onnx/onnxModel';

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name based on `base` (ONNX names must be unique in a graph). */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** Adds a node; returns its (first) output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputBase = opType.toLowerCase()): string {
    const out = this.name(outputBase);
    this.nodes.push({
      op_type: opType,
      name: this.name(`${out}/${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  floats(base: string, data: Float32Array, dims: number[]): string {
    const name = this.name(base);
    this.initializers.push({ name, dims, data_type: ONNX_DTYPE.FLOAT, raw_data: bytesOf(data) });
    return name;
  }

  int64s(base: string, values: number[]): string {
    const name = this.name(base);
    this.initializers.push({ name, dims: [values.length], data_type: ONNX_DTYPE.INT64, raw_data: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  graph(name: string, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): OnnxGraph {
    return { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs };
  }
}

/** A float32 tensor's value info: sizes, or a name for a dynamic dimension. */
export function floatValueInfo(name: string, dims: (number | string)[]): OnnxValueInfo {
  return {
    name,
    type: {
      tensor_type: { elem_type: ONNX_DTYPE.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } },
    },
  };
}
