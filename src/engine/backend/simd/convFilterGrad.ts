/**
 * The filter gradient of a stride-1 convolution on tfjs's wasm backend from x's non-zeros
 * (kernels.wat: convFilterGrad).
 *
 * Why: wasm has no Conv2DBackpropFilter, and the route wasmGradients.ts builds from XNNPACK
 * (x and dy transposed, dy as the filter of a convolution) runs a CNN student's layers at
 * 3–15 GFLOP/s: their channel counts are small, and XNNPACK packs dy, a new "filter" every
 * step, before using it once. A first layer's input is a digit's pixels (81 % zeros) and a
 * later layer's is a pooled ReLU output (about half zeros), so listing x's non-zeros per
 * channel and adding up the rows of dy each one touches, in registers, does a fraction of
 * the work with no packing. Sums run in a different order than XNNPACK's: results agree to
 * float rounding (the tests hold them to the cpu backend within 1e-4).
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, probeDensity, simdKernelsFor, type WasmBackend } from './simdKernels';

type TensorInfo = tfNamespace.TensorInfo;

/**
 * Above this fraction of non-zeros in x the XNNPACK route is as fast for a large layer
 * (32 → 64 channels: 1.5× faster at 0.7, 0.95× at 1.0).
 */
export const CONV_GRAD_MAX_DENSITY = 0.75;

/** Up to this many input × output channels the kernel is faster at any density (8 → 16: 1.7× when dense). */
const SMALL_LAYER = 256;

let maxDensity = CONV_GRAD_MAX_DENSITY;

/** Sets the density limit (0 turns the kernel off), for A/B tests and benches; undefined restores the default. */
export function setConvGradMaxDensity(d: number | undefined): void {
  maxDensity = d ?? CONV_GRAD_MAX_DENSITY;
}

/** dy bytes per slice of images: half of this machine's 1 MiB L2. */
const SLICE_BYTES = 512 * 1024;

/** How many filter gradients took this kernel, for the tests. */
export const convGradStats = { sparse: 0 };

export interface FilterGradGeometry {
  stride: [number, number];
  dilation: [number, number];
  kernel: [number, number];
  out: [number, number];
  pad: { top: number; left: number };
}

/**
 * dw [kh, kw, ci, co] for NHWC x and dy, or undefined where the kernel does not apply
 * (strides or dilations, co not a multiple of 4, not float32, or x too dense).
 */
export function sparseFilterGradient(backend: unknown, x: TensorInfo, dy: TensorInfo, g: FilterGradGeometry): TensorInfo | undefined {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  if (maxDensity <= 0 || g.stride.some((s) => s !== 1) || g.dilation.some((d) => d !== 1)) return undefined;
  if (co % 4 !== 0 || x.dtype !== 'float32' || dy.dtype !== 'float32' || oh !== g.out[0] || ow !== g.out[1]) return undefined;
  const kernels = simdKernelsFor(backend);
  if (!kernels) return undefined;
  const wasm = backend as WasmBackend;
  const xAt = heapOffset(wasm, x);
  // Small layers (a student's) gain even when dense: XNNPACK's packing is most of their cost.
  if (ci * co > SMALL_LAYER && probeDensity(wasm, x, 512) > maxDensity) return undefined;
  const [kh, kw] = g.kernel;
  const dw = wasm.makeOutput([kh, kw, ci, co], 'float32');
  // Images in slices whose dy (read once per tap and channel) fits in L2 with room to spare.
  const slice = Math.max(1, Math.min(n, Math.floor(SLICE_BYTES / (oh * ow * co * 4))));
  // One channel's list for a slice: at most every position, 16 bytes each.
  const list = wasm.makeOutput([slice * h * w * 4], 'float32');
  try {
    const dyAt = heapOffset(wasm, dy);
    for (let b0 = 0; b0 < n; b0 += slice) {
      const nb = Math.min(slice, n - b0);
      kernels.convFilterGrad(
        xAt + b0 * h * w * ci * 4,
        dyAt + b0 * oh * ow * co * 4,
        heapOffset(wasm, dw),
        heapOffset(wasm, list),
        nb,
        h,
        w,
        ci,
        oh,
        ow,
        co,
        kh,
        kw,
        g.pad.top,
        g.pad.left,
        b0 > 0 ? 1 : 0,
      );
    }
  } finally {
    wasm.disposeData(list.dataId);
  }
  convGradStats.sparse++;
  return dw;
}
