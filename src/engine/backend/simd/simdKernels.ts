/**
 * The hand-written SIMD kernels of kernels.wat, instantiated on the memory of tfjs's wasm
 * backend so that they work on tensors in place (no copies in or out).
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { SIMD_KERNELS_BASE64 } from './kernelsBinary';

type TensorInfo = tfNamespace.TensorInfo;

export interface SimdKernels {
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
    taps: number,
  ): void;
  maxPoolGrad2x2(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number): void;
  winoInput(x: number, vs: number, n: number, h: number, w: number, c: number, th: number, tw: number, top: number, left: number): void;
  winoOutput(ms: number, y: number, bias: number, n: number, oh: number, ow: number, co: number, th: number, tw: number, relu: number): void;
  sumRows(x: number, out: number, rows: number, cols: number): void;
  sparseRows(a: number, lda: number, m: number, k: number, bRowBytes: number, pairs: number, starts: number): number;
  spmm(pairs: number, starts: number, m: number, b: number, n: number, panelBytes: number, bias: number, out: number, accumulate: number, relu: number): void;
  packPanels(b: number, k: number, n: number, out: number): void;
  convFilterGrad(
    x: number,
    dy: number,
    dw: number,
    list: number,
    n: number,
    h: number,
    w: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    top: number,
    left: number,
    accumulate: number,
  ): void;
  adam(
    value: number,
    g: number,
    m: number,
    v: number,
    outValue: number,
    outM: number,
    outV: number,
    size: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    epsilon: number,
    negLr: number,
  ): void;
}

/** What this module needs of tfjs-backend-wasm's BackendWasm (public methods and fields of 4.x). */
export interface WasmBackend {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The kernels bound to `backend`'s memory, or undefined where that memory cannot be reached. */
export function simdKernelsFor(backend: unknown): SimdKernels | undefined {
  const memory = (backend as Partial<WasmBackend>)?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  let kernels = instances.get(memory);
  if (!kernels) {
    compiled ??= new WebAssembly.Module(Buffer.from(SIMD_KERNELS_BASE64, 'base64'));
    kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackend, t: TensorInfo): number {
  const entry = backend.dataIdMap.get(t.dataId);
  if (!entry) throw new Error('a tensor given to a SIMD kernel is not on the wasm backend');
  return entry.memoryOffset;
}

/**
 * The fraction of non-zeros among about `probes` evenly spaced elements of a float32 tensor on
 * the heap: a cheap guess, before a full scan, at whether skipping zeros will pay. The stride
 * is odd so that the probes do not all land on the same column or channel.
 */
export function probeDensity(backend: WasmBackend, t: TensorInfo, probes: number): number {
  const size = t.shape.reduce((a, b) => a * b, 1);
  const heap = new Float32Array(backend.wasm.asm!.memory!.buffer, heapOffset(backend, t), size);
  const step = Math.max(1, Math.floor(size / probes)) | 1;
  let seen = 0;
  let nonZero = 0;
  for (let i = 0; i < size; i += step) {
    seen++;
    if (heap[i] !== 0) nonZero++;
  }
  return nonZero / seen;
}

export interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: unknown;
  attrs?: { transposeA?: boolean; transposeB?: boolean; activation?: string };
}

/**
 * [m, k, n] of a product our kernels can take: one float32 matrix each (lead dims 1), no
 * transposes or PReLU, linear or ReLU, a float32 bias of n; undefined otherwise.
 */
export function plainProductShape(args: MatMulArgs): [number, number, number] | undefined {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs ?? {};
  const activation = attrs.activation ?? 'linear';
  if (attrs.transposeA || attrs.transposeB || preluActivationWeights) return undefined;
  if (activation !== 'linear' && activation !== 'relu') return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  // tfjs hands matmul kernels 3-D operands ([batch, rows, cols]); only one matrix each is ours.
  const lead = (t: TensorInfo) => t.shape.slice(0, -2);
  if (![...lead(a), ...lead(b)].every((d) => d === 1)) return undefined;
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== k) return undefined;
  if (bias && (bias.dtype !== 'float32' || bias.shape.reduce((x, y) => x * y, 1) !== n || bias.shape[bias.shape.length - 1] !== n)) return undefined;
  return [m, k, n];
}
