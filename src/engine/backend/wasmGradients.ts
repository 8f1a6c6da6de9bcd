/**
 * Training kernels for tfjs's wasm backend (tfjs 4.22, SIMD, one thread).
 *
 * Why this module exists: the wasm backend runs inference fast through
 * XNNPACK, but training on it either fails or crawls:
 *  - `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`,
 *    `DepthwiseConv2dNativeBackpropInput` and `UnsortedSegmentSum` (the
 *    gradient of `gather`, i.e. of embeddings) are not registered at all;
 *  - `Conv2DBackpropInput` is registered but is a naive loop (~170 ms where
 *    an XNNPACK conv2d of the same size takes ~20 ms);
 *  - `MaxPoolGrad` is registered but slow (~11 ms for a 128×26×26×8 input),
 *    and wrong where a window's maximum is ≤ 0: it starts its running max at
 *    FLT_MIN instead of -inf, so such windows (all-negative inputs, pools
 *    before an activation) route their gradient to the wrong place or drop
 *    it; it also breaks ties towards the last maximum where cpu takes the
 *    first. Its replacement is one pass over wasm's heap (wasmMaxPoolGrad.ts);
 *  - `BatchMatMul` with `transposeA`/`transposeB` is ~10x slower than an
 *    explicit transpose followed by a plain matmul, and every dense backward
 *    pass multiplies by a transposed operand.
 *
 * Matmuls whose left operand is mostly zeros (a digit's pixels, a ReLU's
 * output: dense layers' forward passes and weight gradients) skip the zeros
 * (simd/sparseMatMul.ts); the result is XNNPACK's to the bit.
 *
 * 3×3 stride-1 convolutions (forward passes, and the input gradient's
 * convolution with the flipped filter) go through Winograd F(2×2, 3×3) where
 * it applies (simd/winograd.ts): 2.25× fewer multiplies than XNNPACK's direct
 * convolution, which already runs at wasm SIMD's peak.
 *
 * Everything here is registered as a *kernel* for the 'wasm' backend only,
 * built from kernels wasm runs fast (XNNPACK convolutions, plain matmuls,
 * transposes, pads, scatters). Kernels rather than gradients, because
 * `tf.layers` builds conv and dense layers on `tf.fused.conv2d` and
 * `tf.fused.matMul`, whose gradients are closures inside those ops that call
 * `conv2DBackpropFilter`/`conv2DBackpropInput`/`matMul` directly: a
 * `tf.registerGradient('Conv2D', ...)` would never run for them, but a kernel
 * does. It also leaves every other backend (cpu, tfjs-node) untouched.
 *
 * The one gradient registered globally is `BatchMatMul`'s: tfjs's default
 * does not sum over broadcast batch dimensions (it fails with a shape error
 * when, say, a rank-3 `a` is multiplied by a rank-2 `b`). The replacement
 * keeps the default's math and adds that reduction, so it is correct on
 * every backend; on wasm its transposed matmuls reach the fast kernel below.
 *
 * Only NHWC data is supported; NCHW throws a clear error.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { installBatchNormGradient } from './batchNormGradient';
import { sparseFilterGradient } from './simd/convFilterGrad';
import { maxPoolGradOnHeap, type MaxPoolGradArgs } from './simd/maxPoolGrad';
import { sparseMatMulKernel } from './simd/sparseMatMul';
import { meanLeadingAxesKernel, sumLeadingAxesKernel } from './simd/sumLeadingAxes';
import { winogradConvKernel, winogradInputGradient } from './simd/winograd';

type Tf = typeof tfNamespace;
type Tensor = tfNamespace.Tensor;
type Tensor4D = tfNamespace.Tensor4D;
type TensorInfo = tfNamespace.TensorInfo;
type KernelFunc = tfNamespace.KernelFunc;
type NamedAttrMap = tfNamespace.NamedAttrMap;
type KernelBackend = tfNamespace.KernelBackend;
type PadInfo = { top: number; bottom: number; left: number; right: number };
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
type Pad = 'valid' | 'same' | number | ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

const BACKEND = 'wasm';

/** Marks a kernel function as ours, so a second install can tell and do nothing. */
const INSTALLED_MARK = Symbol.for('distillery.wasmTrainingKernel');

/** The kernels this module registers (or replaces) on the wasm backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'MaxPoolGrad',
  'Identity',
  'Sum',
  'Mean',
  'Conv2D',
  'FusedConv2D',
  'BatchMatMul',
  '_FusedMatMul',
] as const;

/**
 * Registers fast training kernels on tfjs's wasm backend, and a
 * broadcasting-aware `BatchMatMul` gradient on all backends. Safe to call more
 * than once. Call it after `await tf.setBackend('wasm')` (it also works
 * before: the wrapped matmul kernels keep wasm's setup functions, which the
 * engine runs when the backend initialises).
 */
export function installWasmTrainingKernels(tf: Tf): void {
  if (tf.getKernel('Transpose', BACKEND) == null) {
    throw new Error(
      "installWasmTrainingKernels: tfjs's wasm kernels are not registered; import '@tensorflow/tfjs-backend-wasm' (and await tf.setBackend('wasm')) first.",
    );
  }
  provideKernel(tf, 'Conv2DBackpropFilter', (args) => conv2dBackpropFilter(tf, args));
  provideKernel(tf, 'Conv2DBackpropInput', (args) => conv2dBackpropInput(tf, args));
  provideKernel(tf, 'DepthwiseConv2dNativeBackpropFilter', (args) => depthwiseBackpropFilter(tf, args));
  provideKernel(tf, 'DepthwiseConv2dNativeBackpropInput', (args) => depthwiseBackpropInput(tf, args));
  provideKernel(tf, 'UnsortedSegmentSum', (args) => unsortedSegmentSum(tf, args));
  provideRawKernel(tf, 'MaxPoolGrad', (args) => maxPoolGradOnHeap(tf, args as unknown as MaxPoolGradArgs));
  provideIdentityKernel(tf);
  wrapReductionKernel(tf, 'Sum');
  wrapReductionKernel(tf, 'Mean');
  wrapConvKernel(tf, 'Conv2D');
  wrapConvKernel(tf, 'FusedConv2D');
  wrapMatMulKernel(tf, 'BatchMatMul');
  wrapMatMulKernel(tf, '_FusedMatMul');
  installBatchMatMulGradient(tf);
  installBatchNormGradient(tf);
}

/**
 * Of `kernelNames`, those the current backend still lacks (after
 * installation), so the engine can fall back to cpu before training a model
 * that needs one. Names of ops that tfjs composes from other kernels (such as
 * `LogSoftmax`) are not kernels and will be reported; pass kernel names.
 */
export function missingTrainingKernels(tf: Tf, kernelNames: readonly string[]): string[] {
  const backend = tf.getBackend();
  return kernelNames.filter((name) => tf.getKernel(name, backend) == null);
}

// ---------------------------------------------------------------------------
// Registration plumbing

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap };
type TensorKernel = (args: KernelArgs) => Tensor;

function isOurs(tf: Tf, kernelName: string): boolean {
  const existing = tf.getKernel(kernelName, BACKEND);
  return existing != null && (existing.kernelFunc as unknown as Record<symbol, unknown>)[INSTALLED_MARK] === true;
}

function mark(fn: KernelFunc): KernelFunc {
  (fn as unknown as Record<symbol, unknown>)[INSTALLED_MARK] = true;
  return fn;
}

/**
 * Registers `impl` as the wasm kernel `kernelName`, replacing what wasm has.
 * `impl` composes tf ops; calling ops inside a kernel is supported by the
 * engine (nested kernels are not taped), and a returned Tensor is used as is.
 * Intermediates are freed by the tidy.
 */
function provideKernel(tf: Tf, kernelName: string, impl: TensorKernel): void {
  if (isOurs(tf, kernelName)) return;
  const original = tf.getKernel(kernelName, BACKEND);
  if (original != null) tf.unregisterKernel(kernelName, BACKEND);
  const kernelFunc = mark(((args: KernelArgs) => tf.tidy(() => impl(args))) as unknown as KernelFunc);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
}

/** Registers `impl`, which allocates its output on the backend itself, as the wasm kernel `kernelName`. */
function provideRawKernel(tf: Tf, kernelName: string, impl: (args: KernelArgs) => TensorInfo): void {
  if (isOurs(tf, kernelName)) return;
  if (tf.getKernel(kernelName, BACKEND) != null) tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: mark(impl as unknown as KernelFunc) });
}

/**
 * `Identity` (tf.clone) sharing the input's memory, as the cpu backend's does, instead of
 * copying it: tfjs clones every tensor a gradient saves for the backward pass (308 copies,
 * 116 ms of a resnet8 step of batch 128). Tensors are immutable and no kernel here writes
 * into an input, so a clone needs no memory of its own; the shared buffer lives while either does.
 */
function provideIdentityKernel(tf: Tf): void {
  const original = tf.getKernel('Identity', BACKEND);
  if (original == null || isOurs(tf, 'Identity')) return;
  provideRawKernel(tf, 'Identity', (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args as never) as TensorInfo;
    (args.backend as KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/** Sums (bias gradients) and means (batch norm's statistics) over leading axes in one SIMD pass; every other reduction stays wasm's. */
function wrapReductionKernel(tf: Tf, kernelName: 'Sum' | 'Mean'): void {
  if (isOurs(tf, kernelName)) return;
  const original = tf.getKernel(kernelName, BACKEND);
  if (original == null) return;
  tf.unregisterKernel(kernelName, BACKEND);
  const wrap = kernelName === 'Sum' ? sumLeadingAxesKernel : meanLeadingAxesKernel;
  const kernelFunc = mark(wrap(original.kernelFunc) as unknown as KernelFunc);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: original.setupFunc, disposeFunc: original.disposeFunc });
}

/** Inference 3×3 convolutions by Winograd (simd/winograd.ts); every other conv stays wasm's. */
function wrapConvKernel(tf: Tf, kernelName: 'Conv2D' | 'FusedConv2D'): void {
  if (isOurs(tf, kernelName)) return;
  const original = tf.getKernel(kernelName, BACKEND);
  if (original == null) return;
  tf.unregisterKernel(kernelName, BACKEND);
  const kernelFunc = mark(winogradConvKernel(tf, original.kernelFunc) as unknown as KernelFunc);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: original.setupFunc, disposeFunc: original.disposeFunc });
}

/** A kernel input as a Tensor (the engine usually passes Tensors already). */
function asTensor<T extends Tensor = Tensor>(tf: Tf, info: TensorInfo): T {
  if ((info as Tensor).rank != null) return info as T;
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

function requireNHWC(kernelName: string, dataFormat: unknown): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm (Distillery's kernel): only NHWC data is supported, got dataFormat '${String(dataFormat)}'.`);
  }
}

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

// ---------------------------------------------------------------------------
// Convolution helpers

interface ConvGeometry {
  stride: [number, number];
  dilation: [number, number];
  kernel: [number, number];
  out: [number, number];
  pad: PadInfo;
}

function convGeometry(
  tf: Tf,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number],
  dilations: [number, number],
  pad: Pad,
  roundingMode: RoundingMode,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad, roundingMode, depthwise);
  return {
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    kernel: [info.filterHeight, info.filterWidth],
    out: [info.outHeight, info.outWidth],
    pad: info.padInfo,
  };
}

/** Pads (positive amounts) and crops (negative amounts) H and W of an NHWC tensor. */
function padOrCrop4D(tf: Tf, x: Tensor4D, top: number, bottom: number, left: number, right: number): { x: Tensor4D; pad: ExplicitPadding } {
  // Negative amounts cannot go to the conv as padding; crop them here (rare:
  // only explicit paddings larger than the filter produce them).
  let t = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = t.shape;
    const cropTop = Math.max(0, -top);
    const cropLeft = Math.max(0, -left);
    const newH = h - cropTop - Math.max(0, -bottom);
    const newW = w - cropLeft - Math.max(0, -right);
    t = tf.slice(t, [0, cropTop, cropLeft, 0], [n, newH, newW, c]);
  }
  const pad: ExplicitPadding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return { x: t, pad };
}

/**
 * Inserts (stride-1) zeros between the rows and columns of dy, as the
 * gradient of a strided conv needs. Built from reshape + pad (fast on wasm);
 * the result keeps (stride-1) trailing zero rows/cols that callers account
 * for in their padding.
 */
function zeroUpsample(tf: Tf, dy: Tensor4D, stride: [number, number]): Tensor4D {
  const [sh, sw] = stride;
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = tf.reshape(dy, [n * oh, 1, ow, 1, c]);
  const padded = tf.pad(spread, [
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.reshape(padded, [n, oh * sh, ow * sw, c]);
}

/**
 * The input gradient of a (depthwise or ordinary) conv as a stride-1 conv of
 * the zero-upsampled dy with the spatially flipped filter. Returns dy prepared
 * and the explicit padding that makes the result exactly inputShape's H and W.
 */
function prepareInputGradient(tf: Tf, dy: Tensor4D, g: ConvGeometry, inH: number, inW: number): { dy: Tensor4D; pad: ExplicitPadding } {
  const up = zeroUpsample(tf, dy, g.stride);
  const [kh, kw] = g.kernel;
  const [dh, dw] = g.dilation;
  const before = [(kh - 1) * dh - g.pad.top, (kw - 1) * dw - g.pad.left];
  // Output length = before + upsampled length + after - (k-1)*d must equal the
  // input length; the upsampled length already includes (s-1) trailing zeros.
  const after = [inH + (kh - 1) * dh - before[0] - up.shape[1], inW + (kw - 1) * dw - before[1] - up.shape[2]];
  const prepared = padOrCrop4D(tf, up, before[0], after[0], before[1], after[1]);
  return { dy: prepared.x, pad: prepared.pad };
}

/** Crops an NHWC tensor's H and W to [h, w] from the origin (no-op when equal). */
function cropTo(tf: Tf, t: Tensor4D, h: number, w: number): Tensor4D {
  if (t.shape[1] === h && t.shape[2] === w) return t;
  return tf.slice(t, [0, 0, 0, 0], [t.shape[0], h, w, t.shape[3]]);
}

// ---------------------------------------------------------------------------
// Conv2D

/**
 * dW[i,j,c,o] = Σ_{n,p,q} xpad[n, p·s + i·d, q·s + j·d, c] · dy[n,p,q,o]
 * is itself a conv2d: x as [C, H, W, N] (channels ↔ batch), dy as a filter
 * [outH, outW, N, O], stride d and dilation s (roles swapped), x padded as the
 * forward pass padded it. XNNPACK runs it; the result [C, ≥kh, ≥kw, O] is
 * cropped to the kernel and transposed to [kh, kw, C, O].
 */
function conv2dBackpropFilter(tf: Tf, { inputs, attrs }: KernelArgs): Tensor {
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: Pad;
    dataFormat?: string;
    dimRoundingMode?: RoundingMode;
    filterShape: [number, number, number, number];
  };
  requireNHWC('Conv2DBackpropFilter', a.dataFormat);
  const x = asTensor<Tensor4D>(tf, inputs.x);
  const dy = asTensor<Tensor4D>(tf, inputs.dy);
  const g = convGeometry(tf, x.shape, a.filterShape, pair(a.strides), [1, 1], a.pad, a.dimRoundingMode, false);
  const sparse = sparseFilterGradient(tf.backend(), x, dy, g);
  if (sparse) return tf.engine().makeTensorFromTensorInfo(sparse);
  return filterGradientByConv(tf, x, dy, g);
}

function filterGradientByConv(tf: Tf, x: Tensor4D, dy: Tensor4D, g: ConvGeometry): Tensor4D {
  const xT = tf.transpose(x, [3, 1, 2, 0]) as Tensor4D;
  const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]) as Tensor4D;
  const { x: xIn, pad } = padOrCrop4D(tf, xT, g.pad.top, g.pad.bottom, g.pad.left, g.pad.right);
  const full = tf.conv2d(xIn, dyAsFilter, g.dilation, pad, 'NHWC', g.stride);
  const cropped = cropTo(tf, full, g.kernel[0], g.kernel[1]);
  return tf.transpose(cropped, [1, 2, 0, 3]) as Tensor4D;
}

/**
 * dx = stride-1 conv2d of the zero-upsampled dy with the filter flipped in
 * H and W and its in/out channels swapped. Replaces wasm's naive loop.
 */
function conv2dBackpropInput(tf: Tf, { inputs, attrs }: KernelArgs): Tensor {
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: Pad;
    dataFormat?: string;
    dimRoundingMode?: RoundingMode;
    inputShape: [number, number, number, number];
  };
  requireNHWC('Conv2DBackpropInput', a.dataFormat);
  const dy = asTensor<Tensor4D>(tf, inputs.dy);
  const filter = asTensor<Tensor4D>(tf, inputs.filter);
  const g = convGeometry(tf, a.inputShape, filter.shape, pair(a.strides), [1, 1], a.pad, a.dimRoundingMode, false);
  const { dy: dyIn, pad } = prepareInputGradient(tf, dy, g, a.inputShape[1], a.inputShape[2]);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as Tensor4D;
  if (filter.shape[2] === 1) {
    // One input channel (a grayscale input layer, whose dx fused convs compute
    // anyway): a conv with a single output channel uses XNNPACK poorly; a
    // depthwise conv over dy's channels summed by a matmul is ~1.5x faster.
    const perChannel = tf.depthwiseConv2d(dyIn, flipped, 1, pad, 'NHWC', g.dilation);
    return tf.reshape(sumLastAxis(tf, perChannel), a.inputShape);
  }
  const undilated = g.dilation[0] === 1 && g.dilation[1] === 1; // winogradInputGradient checks the rest (3×3, channels)
  return (undilated && winogradInputGradient(tf, dyIn, flipped, pad)) || tf.conv2d(dyIn, flipped, 1, pad, 'NHWC', g.dilation);
}

// ---------------------------------------------------------------------------
// DepthwiseConv2dNative (filter [kh, kw, C, M], output channel c·M + m)

/**
 * dW[i,j,c,m] = Σ_{n,p,q} xpad[n, p·s+i·d, q·s+j·d, c] · dy[n,p,q,c·M+m].
 * Folding batch into channels makes it one depthwise conv: x as
 * [1, H, W, C·N], dy as a per-channel filter [outH, outW, C·N, M], stride d,
 * dilation s. The result [1, ≥kh, ≥kw, C·N·M] is cropped and summed over N.
 */
function depthwiseBackpropFilter(tf: Tf, { inputs, attrs }: KernelArgs): Tensor {
  const a = attrs as unknown as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: Pad;
    dimRoundingMode?: RoundingMode;
    filterShape: [number, number, number, number];
  };
  const x = asTensor<Tensor4D>(tf, inputs.x);
  const dy = asTensor<Tensor4D>(tf, inputs.dy);
  const g = convGeometry(tf, x.shape, a.filterShape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, true);
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  const m = a.filterShape[3];
  const xFolded = tf.reshape(tf.transpose(x, [1, 2, 3, 0]), [1, h, w, c * n]) as Tensor4D;
  const dyAsFilter = tf.reshape(tf.transpose(tf.reshape(dy, [n, oh, ow, c, m]), [1, 2, 3, 0, 4]), [oh, ow, c * n, m]) as Tensor4D;
  const { x: xIn, pad } = padOrCrop4D(tf, xFolded, g.pad.top, g.pad.bottom, g.pad.left, g.pad.right);
  const full = tf.depthwiseConv2d(xIn, dyAsFilter, g.dilation, pad, 'NHWC', g.stride);
  const [kh, kw] = g.kernel;
  const cropped = cropTo(tf, full, kh, kw);
  return tf.sum(tf.reshape(cropped, [kh, kw, c, n, m]), 3);
}

/**
 * dx = stride-1 depthwise conv of the zero-upsampled dy (C·M channels) with
 * the flipped filter as [kh, kw, C·M, 1], then summed over the multiplier.
 */
function depthwiseBackpropInput(tf: Tf, { inputs, attrs }: KernelArgs): Tensor {
  const a = attrs as unknown as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: Pad;
    dimRoundingMode?: RoundingMode;
    inputShape: [number, number, number, number];
  };
  const dy = asTensor<Tensor4D>(tf, inputs.dy);
  const filter = asTensor<Tensor4D>(tf, inputs.filter);
  const g = convGeometry(tf, a.inputShape, filter.shape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, true);
  const [n, h, w, c] = a.inputShape;
  const [kh, kw, , m] = filter.shape;
  const { dy: dyIn, pad } = prepareInputGradient(tf, dy, g, h, w);
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as Tensor4D;
  const perChannel = tf.depthwiseConv2d(dyIn, flipped, 1, pad, 'NHWC', g.dilation);
  return m === 1 ? perChannel : sumLastAxis(tf, tf.reshape(perChannel, [n, h, w, c, m]));
}

/** Sum over a short last axis as a matmul with ones: wasm's Sum is slow there. */
function sumLastAxis(tf: Tf, t: Tensor): Tensor {
  const size = t.shape[t.rank - 1];
  const summed = tf.matMul(tf.reshape(t, [-1, size]), tf.ones([size, 1], t.dtype));
  return tf.reshape(summed, t.shape.slice(0, -1));
}

// ---------------------------------------------------------------------------
// UnsortedSegmentSum (the gradient of gather / embeddings)

/**
 * out[k, ...] = Σ_{i: ids[i] = k} x[i, ...], as one ScatterNd (wasm's adds up
 * duplicate indices). Ids outside [0, numSegments) contribute nothing, as in
 * TensorFlow: they are pointed at row 0 with a zeroed update, because the
 * scatter does not bounds-check.
 */
function unsortedSegmentSum(tf: Tf, { inputs, attrs }: KernelArgs): Tensor {
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  const x = asTensor(tf, inputs.x);
  const segmentIds = asTensor(tf, inputs.segmentIds);
  // Ids index the leading segmentIds.rank dims of x; the rest is one row.
  const ids = tf.reshape(segmentIds, [-1]);
  const k = ids.shape[0];
  const rest = x.shape.slice(segmentIds.rank);
  const rowSize = rest.reduce((p, d) => p * d, 1);
  const rows = tf.reshape(x, [k, rowSize]);
  const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
  const safeIds = tf.where(valid, ids, tf.zerosLike(ids));
  const updates = tf.mul(rows, tf.reshape(tf.cast(valid, x.dtype), [k, 1]));
  const summed = tf.scatterND(tf.reshape(safeIds, [k, 1]), updates, [numSegments, rowSize]);
  return tf.reshape(summed, [numSegments, ...rest]);
}

// ---------------------------------------------------------------------------
// BatchMatMul / _FusedMatMul: explicit transposes

/**
 * Wraps wasm's own matmul kernel: a transposed operand is transposed
 * explicitly with wasm's Transpose kernel and the plain (untransposed) matmul
 * runs, ~8x faster than the transposed forms (128×784ᵀ·128×300: ~2.6 ms vs
 * ~21 ms). Works at the kernel level so it speeds up every caller: default
 * gradients, fused-op gradients and user code alike. The plain product then
 * goes to the sparse kernel when its left operand is sparse enough.
 */
function wrapMatMulKernel(tf: Tf, kernelName: 'BatchMatMul' | '_FusedMatMul'): void {
  if (isOurs(tf, kernelName)) return;
  const original = tf.getKernel(kernelName, BACKEND);
  const transposeKernel = tf.getKernel('Transpose', BACKEND);
  if (original == null || transposeKernel == null) return;
  const multiply = sparseMatMulKernel(tf, original.kernelFunc);
  const kernelFunc = mark(((args: KernelArgs) => {
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return multiply(args as never);
    const temporaries: TensorInfo[] = [];
    const swapLastTwo = (t: TensorInfo): TensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
      const out = transposeKernel.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { perm } } as never) as TensorInfo;
      temporaries.push(out);
      return out;
    };
    const inputs = { ...args.inputs };
    if (attrs.transposeA) inputs.a = swapLastTwo(inputs.a);
    if (attrs.transposeB) inputs.b = swapLastTwo(inputs.b);
    try {
      return multiply({ ...args, inputs, attrs: { ...attrs, transposeA: false, transposeB: false } } as never);
    } finally {
      for (const t of temporaries) args.backend.disposeData(t.dataId);
    }
  }) as unknown as KernelFunc);
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: original.setupFunc, disposeFunc: original.disposeFunc });
}

/**
 * tfjs's default BatchMatMul gradient, plus the sum over broadcast batch
 * dimensions it lacks. Backend-neutral: the same math everywhere.
 */
function installBatchMatMulGradient(tf: Tf): void {
  const existing = tf.getGradient('BatchMatMul') as unknown as Record<symbol, unknown> | undefined;
  if (existing?.[INSTALLED_MARK] === true) return;
  const config = {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const g = dy as Tensor;
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const grads = batchMatMulGrads(tf, g, a, b, transposeA, transposeB);
      return {
        a: () => reduceToShape(tf, grads.a(), a.shape),
        b: () => reduceToShape(tf, grads.b(), b.shape),
      };
    },
  };
  (config as unknown as Record<symbol, unknown>)[INSTALLED_MARK] = true;
  // registerGradient warns when it overrides; the override is the point here.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    tf.registerGradient(config);
  } finally {
    console.warn = warn;
  }
}

function batchMatMulGrads(tf: Tf, dy: Tensor, a: Tensor, b: Tensor, tA: boolean, tB: boolean): { a: () => Tensor; b: () => Tensor } {
  if (!tA && !tB) return { a: () => tf.matMul(dy, b, false, true), b: () => tf.matMul(a, dy, true, false) };
  if (!tA && tB) return { a: () => tf.matMul(dy, b, false, false), b: () => tf.matMul(dy, a, true, false) };
  if (tA && !tB) return { a: () => tf.matMul(b, dy, false, true), b: () => tf.matMul(a, dy, false, false) };
  return { a: () => tf.matMul(b, dy, true, true), b: () => tf.matMul(dy, a, true, true) };
}

/** Sums a gradient over the batch dims its input was broadcast along. */
function reduceToShape(tf: Tf, grad: Tensor, shape: number[]): Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, shape);
}
