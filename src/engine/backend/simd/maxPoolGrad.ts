/**
 * MaxPoolGrad for tfjs's wasm backend: one SIMD pass (kernels.wat) over the tensors
 * where they live, in wasm's heap.
 *
 * Why: the gradient of a max-pool is a scatter of dy to each window's arg-max, with no
 * arithmetic to speak of, and wasm has no kernel that does it. wasm's own MaxPoolGrad is slow
 * and wrong where a window's maximum is ≤ 0 (see ../wasmGradients.ts). Composed from fast
 * kernels (window transposes, a cumsum to keep the first maximum, matmuls to broadcast) it was
 * exact but took about a dozen passes: 8 ms of a 37 ms CNN student step for a 128×28×28×8
 * input. A TypeScript loop took 5.5 ms (a mispredicted branch per window and channel); the
 * SIMD kernel, four channels at a time and branch-free, takes the figure in the notes.
 *
 * Semantics are the cpu backend's: each window sends its dy to the first position, in
 * row-major order, holding its maximum (strictly greater wins, so ties go to the earliest);
 * padding never wins; a window with nothing above -Infinity drops its gradient.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, simdKernelsFor, type WasmBackend } from './simdKernels';

type Tf = typeof tfNamespace;
type TensorInfo = tfNamespace.TensorInfo;
type NamedAttrMap = tfNamespace.NamedAttrMap;

type Pad = 'valid' | 'same' | number;

export interface MaxPoolGradArgs {
  inputs: { dy: TensorInfo; input: TensorInfo; output?: TensorInfo };
  backend: unknown;
  attrs?: NamedAttrMap;
}

export function maxPoolGradOnHeap(tf: Tf, { inputs, backend, attrs }: MaxPoolGradArgs): TensorInfo {
  const kernels = simdKernelsFor(backend);
  if (!kernels) throw new Error("MaxPoolGrad on wasm (Distillery's kernel): the wasm backend's memory is not reachable");
  const wasm = backend as WasmBackend;
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: Pad;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const shape = inputs.input.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo(shape, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const [n, h, w, c] = shape;
  const out = wasm.makeOutput(shape, 'float32');
  // The usual pool (2×2, stride 2, windows inside the input): every position has one window,
  // so one pass writes dx whole: 128×28×28×8 in 0.2–0.3 ms against the general kernel's 1.0–1.1.
  const pairs = info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2;
  if (pairs && info.padInfo.top === 0 && info.padInfo.left === 0 && 2 * info.outHeight <= h && 2 * info.outWidth <= w && c % 4 === 0) {
    kernels.maxPoolGrad2x2(heapOffset(wasm, inputs.input), heapOffset(wasm, inputs.dy), heapOffset(wasm, out), n, h, w, c, info.outHeight, info.outWidth);
    return out;
  }
  const taps = wasm.makeOutput([info.filterHeight * info.filterWidth], 'int32');
  try {
    kernels.maxPoolGrad(
      heapOffset(wasm, inputs.input),
      heapOffset(wasm, inputs.dy),
      heapOffset(wasm, out),
      n,
      h,
      w,
      c,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      heapOffset(wasm, taps),
    );
  } finally {
    wasm.disposeData(taps.dataId);
  }
  return out;
}
