/**
 * onnxruntime-node sessions, run synchronously. ONNX Runtime's public `InferenceSession.run`
 * is a promise around its native binding's run, which is synchronous; the teacher forward
 * runs inside tfjs's synchronous model calls (a custom layer, externalTeacher.ts), so the
 * binding is used directly. Only the CPU provider is asked for (its build ships inside the
 * npm package; the CUDA download is never run, .npmrc). `threads` is ONNX Runtime's
 * intra-op thread count: the cores this run may use.
 */
import * as os from 'node:os';
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { requireOptionalNative } from '../util/optionalNative';

let threadsSetting: number | undefined;

/** The cores a run in this process may use: all of them, or what the worker's parent said (one per parallel worker). */
export function ortThreads(): number {
  return threadsSetting ?? Math.max(1, os.availableParallelism());
}

export function setOrtThreads(n: number): void {
  threadsSetting = Math.max(1, Math.floor(n));
}

interface RawMetadata {
  name: string;
  isTensor: boolean;
  symbolicDimensions: string[];
  shape: number[];
  type: number;
}

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: RawMetadata[];
  readonly outputMetadata: RawMetadata[];
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, { data: unknown; dims: readonly number[]; type: string }>;
  dispose(): void;
}

interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

export interface OrtValueMetadata {
  name: string;
  /** ONNX Runtime's element type number (1: float32). */
  type: number;
  /** Sizes, or the symbolic name of a dynamic dimension. */
  dims: (number | string)[];
}

export interface OrtOutput {
  data: Float32Array;
  dims: number[];
}

export interface OrtRunner {
  inputs: OrtValueMetadata[];
  outputs: OrtValueMetadata[];
  run(feeds: Record<string, { data: Float32Array; dims: number[] }>, fetch: string[]): Record<string, OrtOutput>;
  dispose(): void;
}

function metadata(raw: RawMetadata[]): OrtValueMetadata[] {
  return raw.map((m) => ({ name: m.name, type: m.type, dims: (m.shape ?? []).map((d, i) => (d >= 0 ? d : m.symbolicDimensions[i] || '?')) }));
}

/** Opens a session on the model's bytes; throws ONNX Runtime's own words (the caller names the file). */
export function openOrtSession(bytes: Uint8Array, threads: number): OrtRunner {
  const native = requireOptionalNative<NativeBinding>('onnxruntime-node', 'ONNX teachers and ONNX export', '/dist/binding');
  const { Tensor } = requireOptionalNative<typeof import('onnxruntime-common')>('onnxruntime-node', 'ONNX teachers and ONNX export');
  native.initOrt();
  const session = new native.binding.InferenceSession();
  session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
    executionProviders: ['cpu'],
    intraOpNumThreads: Math.max(1, Math.floor(threads)),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  let open = true;
  return {
    inputs: metadata(session.inputMetadata),
    outputs: metadata(session.outputMetadata),
    run(feeds, fetch) {
      const tensors: Record<string, OrtTensor> = {};
      for (const [name, f] of Object.entries(feeds)) tensors[name] = new Tensor('float32', f.data, f.dims);
      const out = session.run(tensors, Object.fromEntries(fetch.map((n) => [n, null])), {});
      const result: Record<string, OrtOutput> = {};
      for (const name of fetch) {
        const v = out[name];
        if (v.type !== 'float32') throw new Error(`output "${name}" is ${v.type}, not float32`);
        result[name] = { data: v.data as Float32Array, dims: [...v.dims].map(Number) };
      }
      return result;
    },
    dispose() {
      if (open) session.dispose();
      open = false;
    },
  };
}
