/**
 * Sum over a tensor's leading axes on tfjs's wasm backend, as one SIMD pass (kernels.wat).
 *
 * Why: every bias gradient is such a sum (dy [n, h, w, c] summed to [c]), and wasm's Sum
 * transposes the reduced axes to the end first: 1.2 ms for 128×28×28×8, where reading the
 * rows once and adding them up takes the figure in the notes. Any other reduction goes to
 * wasm's own kernel.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, simdKernelsFor, type WasmBackend } from './simdKernels';

type TensorInfo = tfNamespace.TensorInfo;
type KernelFunc = tfNamespace.KernelFunc;

export interface SumArgs {
  inputs: { x: TensorInfo };
  backend: unknown;
  attrs?: { axis?: number | number[]; keepDims?: boolean };
}

/** The number of leading axes `axis` names, when it names exactly axes 0..k-1 (k < rank); else 0. */
export function leadingAxes(axis: number | number[] | undefined, rank: number): number {
  if (axis == null) return 0;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** Wraps wasm's Sum kernel: leading-axes float32 sums go to the SIMD kernel. */
export function sumLeadingAxesKernel(original: KernelFunc): (args: SumArgs) => TensorInfo {
  return leadingAxesKernel(original, false);
}

/**
 * Wraps wasm's Mean kernel the same way: batch norm's statistics in training are means over
 * [n, h, w] of every conv output (tf.moments), and wasm's Mean transposes first like its Sum
 * (191 ms of transposes in a resnet8 step of batch 128). The sum divided by the row count, as
 * wasm's Mean computes it.
 */
export function meanLeadingAxesKernel(original: KernelFunc): (args: SumArgs) => TensorInfo {
  return leadingAxesKernel(original, true);
}

function leadingAxesKernel(original: KernelFunc, mean: boolean): (args: SumArgs) => TensorInfo {
  return (args) => {
    const { x } = args.inputs;
    const k = leadingAxes(args.attrs?.axis, x.shape.length);
    const kernels = k > 0 && x.dtype === 'float32' ? simdKernelsFor(args.backend) : undefined;
    if (!kernels) return original(args as never) as TensorInfo;
    const wasm = args.backend as WasmBackend;
    const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const rest = x.shape.slice(k);
    const cols = rest.reduce((a, b) => a * b, 1);
    const out = wasm.makeOutput(args.attrs?.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, 'float32');
    kernels.sumRows(heapOffset(wasm, x), heapOffset(wasm, out), rows, cols);
    if (mean) {
      const values = new Float32Array(wasm.wasm.asm!.memory!.buffer, heapOffset(wasm, out), cols);
      for (let i = 0; i < cols; i++) values[i] /= rows;
    }
    return out;
  };
}
