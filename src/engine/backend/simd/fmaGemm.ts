/**
 * Dense matrix products on tfjs's wasm backend with fused multiply-adds (fma.wat, WebAssembly
 * relaxed SIMD), where XNNPACK's SIMD128 kernels must multiply and add apart.
 *
 * Why: XNNPACK's GEMM runs at SIMD128's peak (a multiply and an add per lane and step), and a
 * CNN teacher's step spends ~40 % of its time in products (Winograd's per-tap products, the dense
 * layers and their gradients). One fused multiply-add per lane and step measured 1.7–2.0× XNNPACK
 * on the teacher's shapes ([6272, 32] · [32, 64] 17.8 against 9.3 GFLOP/s, [128, 3136] · [3136,
 * 256] 22.4 against 12.9; DEVELOPERS.md). The sums are each rounded once, so they differ
 * from XNNPACK's in the last bits (≤ 1e-6 relative, against the cpu backend in the tests).
 *
 * Where V8 lacks relaxed SIMD this path is off and XNNPACK runs. Node 20 has it behind
 * `--experimental-wasm-relaxed-simd`, which is set here before the first compile (V8 reads wasm
 * feature flags per compile); Electron's V8 (VS Code's extension host) and Node ≥ 22 have it on.
 * On by default where V8 has relaxed SIMD; DISTILLERY_FMA=0 turns it off (XNNPACK for every
 * product, as before). Measured: the CNN teacher's whole training step 1.12× (median of nine
 * interleaved A/B rounds of scripts/speed/teacherTrain.ts --ab fma, no round slower: 1.00–1.22).
 * It had been opt-in while a resumed run did not retrace the uninterrupted one with it on; that
 * was Adam's restored β accumulators (adam.ts), which the FMA's rounding only made visible.
 */
import * as v8 from 'node:v8';
import type * as tfNamespace from '@tensorflow/tfjs';
import { FMA_KERNELS_BASE64 } from './fmaBinary';
import { heapOffset, plainProductShape, type MatMulArgs, type WasmBackend } from './simdKernels';

type TensorInfo = tfNamespace.TensorInfo;

export interface FmaKernels {
  gemm(a: number, b: number, rowBytes: number, panelBytes: number, bias: number, out: number, m: number, k: number, n: number, relu: number): void;
  packPanels16(b: number, k: number, n: number, out: number): void;
}

/** gemm's panel width in columns (four vectors of four). */
const PANEL = 16;
/** Below this many multiply-adds a product is XNNPACK's (the call's fixed costs). */
const MIN_WORK = 1 << 14;
/** A b wider than this is packed into panels first: read in place, each of its rows is a TLB miss. */
const MAX_IN_PLACE_COLUMNS = 64;

let module: WebAssembly.Module | null | undefined;
let enabled: boolean | undefined;
const instances = new WeakMap<WebAssembly.Memory, FmaKernels>();

/** Whether this process can run the fused kernels (compiled once; flags set where they must be). */
export function fmaAvailable(): boolean {
  if (module === undefined) {
    const bytes = Buffer.from(FMA_KERNELS_BASE64, 'base64');
    // Node ≤ 21 ships relaxed SIMD behind a flag; later V8s know no such flag and have it on.
    if (!WebAssembly.validate(bytes) && Number(process.versions.node.split('.')[0]) < 22) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return module !== null;
}

/** Turns the fused path on or off (tests comparing with XNNPACK, benches); undefined: the default (on where available, off with DISTILLERY_FMA=0). */
export function setFmaGemm(on: boolean | undefined): void {
  enabled = on;
}

/** Whether dense products take the fused path in this process (available, and not turned off). */
export function fmaGemmOn(): boolean {
  return (enabled ?? process.env.DISTILLERY_FMA !== '0') && fmaAvailable();
}

/** The fused kernels on `backend`'s heap, or undefined where they are off or cannot run. */
export function fmaKernelsFor(backend: unknown): FmaKernels | undefined {
  const memory = (backend as Partial<WasmBackend>)?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !fmaGemmOn()) return undefined;
  let kernels = instances.get(memory);
  if (!kernels) {
    kernels = new WebAssembly.Instance(module!, { env: { memory } }).exports as unknown as FmaKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Counts of the products this path took, for the bench and the tests. */
export const fmaMatMulStats = { fma: 0 };

/** The matmul `args` on the fused kernel, or undefined where it does not apply (XNNPACK's then). */
export function fmaMatMul(args: MatMulArgs): TensorInfo | undefined {
  const shape = plainProductShape(args);
  if (!shape) return undefined;
  const [m, k, n] = shape;
  if (n % PANEL !== 0 || m * k * n < MIN_WORK) return undefined;
  const { a, b, bias } = args.inputs;
  const activation = args.attrs?.activation ?? 'linear';
  const kernels = fmaKernelsFor(args.backend);
  if (!kernels) return undefined;
  const wasm = args.backend as WasmBackend;
  const out = wasm.makeOutput([...Array(Math.max(a.shape.length, b.shape.length) - 2).fill(1), m, n], 'float32');
  const packed = n > MAX_IN_PLACE_COLUMNS ? wasm.makeOutput([k * n], 'float32') : undefined;
  try {
    // Offsets after every allocation: one may have grown the heap.
    if (packed) kernels.packPanels16(heapOffset(wasm, b), k, n, heapOffset(wasm, packed));
    kernels.gemm(
      heapOffset(wasm, a),
      packed ? heapOffset(wasm, packed) : heapOffset(wasm, b),
      packed ? PANEL * 4 : n * 4,
      packed ? k * PANEL * 4 : PANEL * 4,
      bias ? heapOffset(wasm, bias) : 0,
      heapOffset(wasm, out),
      m,
      k,
      n,
      activation === 'relu' ? 1 : 0,
    );
  } finally {
    if (packed) wasm.disposeData(packed.dataId);
  }
  fmaMatMulStats.fma++;
  return out;
}
