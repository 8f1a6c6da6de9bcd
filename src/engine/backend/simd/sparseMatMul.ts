/**
 * Dense-layer matmuls whose left operand is mostly zeros, on tfjs's wasm backend (kernels.wat:
 * sparseRows + spmm).
 *
 * Why: XNNPACK's GEMM already runs at wasm SIMD's peak here (~35 GFLOP/s; wasm has no FMA and
 * no 256-bit vectors), so the only way left to make an MLP step faster is to do less of it.
 * The operands of a dense layer are often mostly zeros: a digit's pixels (about 81 % zeros),
 * and whatever comes out of a ReLU (about half), both in the forward pass (x·W) and in the
 * weight gradient (xᵀ·dy), and in the ReLU-masked dy of the input gradient. Skipping the
 * zeros is exact: each output is its bias plus the same products, added in order of k with
 * no FMA, which is XNNPACK's own order, so the results are XNNPACK's to the bit (the tests
 * compare them). The one difference: a zero times an infinite or NaN weight is skipped here,
 * where XNNPACK would give NaN.
 *
 * A matmul takes this path only when it is one plain matrix product (no transposes left, float32,
 * bias over columns or none, linear or ReLU) whose left operand is at most
 * SPARSE_MAX_DENSITY non-zero; anything else, or anything denser, goes to XNNPACK.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, plainProductShape, probeDensity, simdKernelsFor, type MatMulArgs, type SimdKernels, type WasmBackend } from './simdKernels';
import { fmaMatMul } from './fmaGemm';

type Tf = typeof tfNamespace;
type TensorInfo = tfNamespace.TensorInfo;
type KernelFunc = tfNamespace.KernelFunc;

/**
 * Above this fraction of non-zeros XNNPACK is faster (measured on [128, 1200] · [1200, 1200]
 * and [784, 128] · [128, 300]; see the README's Performance section).
 */
export const SPARSE_MAX_DENSITY = 0.6;

let maxDensity = SPARSE_MAX_DENSITY;

/** Sets the density limit of the sparse path (0 turns it off), for A/B tests and benches; undefined restores the default. */
export function setSparseMaxDensity(d: number | undefined): void {
  maxDensity = d ?? SPARSE_MAX_DENSITY;
}

/** Below this many multiply-adds a product is too small for the scan to pay. */
const MIN_WORK = 1 << 16;

/** spmm's panel width in columns (kernels.wat: six accumulators of four). */
const PANEL = 24;

/** Rows of b per pass: 256 rows of a 24-column panel (96 bytes) are 24 KiB, half of L1. */
const K_CHUNK = 256;

/** Rows of a per pass: their lists for one chunk take at most 512 KiB. */
const M_BLOCK = 256;

/**
 * A shorter k leaves each row too few products to pay for its lists and stores: a Winograd
 * conv's [25 088, 32] · [32, 64] took 7–30 ms here against XNNPACK's 6.
 */
const MIN_K = 64;

/** How many of a's elements are looked at to guess its density before the full scan. */
const PROBES = 256;

/** Counts of the products each path took, for the bench and the tests. */
export const sparseMatMulStats = { sparse: 0, dense: 0 };

/** The matmul `args` as a sparse product, or undefined where it does not apply or is too dense. */
export function sparseMatMul(args: MatMulArgs, inference: () => boolean, limit = maxDensity): TensorInfo | undefined {
  const shape = plainProductShape(args);
  if (!shape) return undefined;
  const [m, k, n] = shape;
  if (k < MIN_K || m * k * n < MIN_WORK) return undefined;
  const { a, b, bias } = args.inputs;
  const activation = args.attrs?.activation ?? 'linear';
  const kernels = simdKernelsFor(args.backend);
  if (!kernels) return undefined;
  const wasm = args.backend as WasmBackend;
  const aAt = heapOffset(wasm, a);
  if (limit <= 0 || probeDensity(wasm, a, PROBES) > limit * 1.25) return undefined;

  const bAt = heapOffset(wasm, b);
  // A constant b (weights at inference) is read as packed panels; see packedPanels.
  const panels = inference() ? packedPanels(kernels, wasm, b, k, n) : undefined;
  const rowBytes = panels ? PANEL * 4 : n * 4;
  const panelBytes = panels ? k * PANEL * 4 : PANEL * 4;
  // Rows in blocks and k in chunks: the rows of b one chunk reads (24 KiB of a panel) stay in
  // L1 across a block's rows, and the scratch lists stay small (no fresh pages to fault in
  // per call). Each chunk adds onto the last one's sums, in order of k; ReLU waits for the last.
  const chunk = Math.min(k, K_CHUNK);
  const rows = Math.min(m, M_BLOCK);
  // One scratch block: a block's (offset, value) pairs for a chunk, then its row starts.
  const scratch = wasm.makeOutput([rows * chunk * 2 + rows + 1], 'float32');
  let out: TensorInfo | undefined;
  try {
    const pairs = heapOffset(wasm, scratch);
    const starts = pairs + rows * chunk * 8;
    for (let r0 = 0; r0 < m; r0 += rows) {
      const mr = Math.min(rows, m - r0);
      for (let k0 = 0; k0 < k; k0 += chunk) {
        const kc = Math.min(chunk, k - k0);
        const nonZeros = kernels.sparseRows(aAt + (r0 * k + k0) * 4, k, mr, kc, rowBytes, pairs, starts);
        // The first block decides: a denser operand goes to XNNPACK before anything is written.
        if (!out && nonZeros > limit * mr * kc) return undefined;
        out ??= wasm.makeOutput([...Array(Math.max(a.shape.length, b.shape.length) - 2).fill(1), m, n], 'float32');
        kernels.spmm(
          pairs,
          starts,
          mr,
          (panels ?? bAt) + k0 * rowBytes,
          n,
          panelBytes,
          k0 === 0 && bias ? heapOffset(wasm, bias) : 0,
          heapOffset(wasm, out) + r0 * n * 4,
          k0 > 0 ? 1 : 0,
          k0 + kc >= k && activation === 'relu' ? 1 : 0,
        );
      }
    }
    return out;
  } finally {
    wasm.disposeData(scratch.dataId);
  }
}

/**
 * b [k, n] as spmm's panels [k, PANEL], packed once per weight: at inference (a teacher's
 * forward pass, evaluation) a weight matrix is constant and read again every batch, and a wide
 * one (the 1200-column layers of a big MLP) costs a TLB miss per row when read in place. The
 * entry lives as long as the weight; entries whose weight is gone are freed at the next packing.
 */
const packed = new Map<object, TensorInfo>();

/** Bytes held by packed weights (for the tests: they must be freed with their weights). */
export function sparsePackedBytes(): number {
  let bytes = 0;
  for (const p of packed.values()) bytes += p.shape[0] * 4;
  return bytes;
}

function packedPanels(kernels: SimdKernels, wasm: WasmBackend, b: TensorInfo, k: number, n: number): number {
  const hit = packed.get(b.dataId);
  if (hit) return heapOffset(wasm, hit);
  for (const [dataId, p] of packed) {
    if (wasm.dataIdMap.has(dataId)) continue;
    wasm.disposeData(p.dataId);
    packed.delete(dataId);
  }
  const p = wasm.makeOutput([Math.ceil(n / PANEL) * PANEL * k], 'float32');
  kernels.packPanels(heapOffset(wasm, b), k, n, heapOffset(wasm, p));
  packed.set(b.dataId, p);
  return heapOffset(wasm, p);
}

/**
 * Wraps a wasm matmul kernel (BatchMatMul or _FusedMatMul): sparse left operands take spmm,
 * dense ones the fused multiply-add kernel where V8 has relaxed SIMD (fmaGemm.ts), the rest XNNPACK.
 */
export function sparseMatMulKernel(tf: Tf, original: KernelFunc): (args: MatMulArgs) => TensorInfo {
  // No gradient being recorded: the weights cannot change under this product (see packedPanels).
  const inference = () => (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth === 0;
  return (args) => {
    const out = sparseMatMul(args, inference);
    if (out) {
      sparseMatMulStats.sparse++;
      return out;
    }
    sparseMatMulStats.dense++;
    return fmaMatMul(args) ?? (original(args as never) as TensorInfo);
  };
}
