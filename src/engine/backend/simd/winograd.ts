/**
 * 3×3 convolutions on tfjs's wasm backend by Winograd F(2×2, 3×3): inference, training forwards and
 * convolutions' input gradients.
 *
 * Why: a live teacher's forward pass is most of a CNN distillation step (30 of ~60 ms for the
 * conv32-conv64 teacher of `npm run bench`), and training a CNN teacher from scratch spends about
 * a third of its step in forward convolutions and input gradients; XNNPACK's direct convolution
 * already runs at wasm SIMD's arithmetic peak. Winograd does 2.25× fewer multiplies: each 4×4
 * input tile is transformed (Bᵀ d B, winoInput in kernels.wat), multiplied by the transformed
 * filter (G g Gᵀ) as 16 ordinary matmuls, and transformed back (Aᵀ m A, plus bias and ReLU,
 * winoOutput). A teacher's filters never change, so in inference their 16 transformed matrices
 * are made once and XNNPACK keeps them packed; a training step's filter changes every step, so
 * there the transform (2 048 pairs for 32 → 64 channels, well under a millisecond) is made per
 * call and freed with it. The gradient of a training forward is tfjs's as before: it reads the
 * saved x, filter and output, not how the output was computed.
 *
 * Only where it pays and is exact enough: 3×3 filters, stride and dilation 1, NHWC, 'same',
 * 'valid' or explicit non-negative padding, linear or ReLU activation, at least 16 input and
 * output channels, both multiples of 4. Everything else goes to wasm's own kernel.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, simdKernelsFor, type WasmBackend } from './simdKernels';

type Tf = typeof tfNamespace;
type TensorInfo = tfNamespace.TensorInfo;
type Tensor = tfNamespace.Tensor;
type KernelFunc = tfNamespace.KernelFunc;

interface ConvArgs {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: unknown;
  attrs?: { strides?: number | number[]; pad?: unknown; dataFormat?: string; dilations?: number | number[]; dimRoundingMode?: string; activation?: string };
}

/**
 * The filter's 16 transformed matrices [c, out], by the filter's data: a teacher's filter is
 * constant, so its entry lives as long as the teacher. Entries whose filter is gone (a
 * student's filter after an optimiser step) are freed at the next call.
 */
const transformed = new Map<object, Tensor[]>();

/** Tensors held for live filters (16 per filter): counted by tf.memory(), owned by their models. */
export function winogradCachedTensors(): number {
  let n = 0;
  for (const mats of transformed.values()) n += mats.length;
  return n;
}

function dropStale(tf: Tf, wasm: WasmBackend): void {
  for (const [dataId, mats] of transformed) {
    if (wasm.dataIdMap.has(dataId)) continue;
    tf.dispose(mats);
    transformed.delete(dataId);
  }
}

const ones = (v: number | number[] | undefined) => v === undefined || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/** 'same', 'valid', or (with `explicit`) explicit non-negative H/W padding, as a conv's input gradient pads dy; no batch or channel padding. */
function padSupported(pad: unknown, explicit: boolean): pad is 'same' | 'valid' | ExplicitPad {
  if (pad === 'same' || pad === 'valid') return true;
  if (!explicit || !Array.isArray(pad) || pad.length !== 4) return false;
  const p = pad as number[][];
  return p.every(
    (pair, i) => Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0 && ((i !== 0 && i !== 3) || v === 0)),
  );
}

/**
 * Whether winograd can take this convolution (see the module comment). Explicit padding only for the input
 * gradient (`explicitPad`): the kernels here also run convolutions with explicit padding on temporary filters
 * (the filter gradient's dy as a filter), which Winograd's inference path would cache.
 */
export function winogradApplies(tf: Tf, { inputs, attrs }: ConvArgs, explicitPad = false): boolean {
  const [kh, kw, c, out] = inputs.filter.shape;
  const activation = attrs?.activation ?? 'linear';
  return (
    kh === 3 &&
    kw === 3 &&
    c >= 16 &&
    out >= 16 &&
    c % 4 === 0 &&
    out % 4 === 0 &&
    ones(attrs?.strides) &&
    ones(attrs?.dilations) &&
    (attrs?.dataFormat ?? 'NHWC') === 'NHWC' &&
    padSupported(attrs?.pad, explicitPad) &&
    (activation === 'linear' || activation === 'relu') &&
    !inputs.preluActivationWeights &&
    (!inputs.bias || (inputs.bias.shape.length === 1 && inputs.bias.shape[0] === out)) &&
    inputs.x.dtype === 'float32' &&
    inputs.filter.dtype === 'float32'
  );
}

let inTraining = true;

/** How many convolutions Winograd took, by kind, for the tests. */
export const winogradStats = { inference: 0, training: 0, inputGradient: 0 };

/** Turns Winograd off for training forwards and input gradients (inference keeps it), for A/B benches; undefined restores it. */
export function setWinogradInTraining(on: boolean | undefined): void {
  inTraining = on ?? true;
}

/** Whether a call's transformed filter is worth keeping: inference (a teacher's constant filter); a training step's filter changes every step. */
const isInference = (tf: Tf) => (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth === 0;

/** U = G g Gᵀ for every (in, out) pair, as 16 matrices [c, out] (element (r, s) of U is matrix r·4 + s); kept by the filter's data when `keep`. */
function filterTransform(tf: Tf, wasm: WasmBackend, memory: WebAssembly.Memory, filter: TensorInfo, keep: boolean): Tensor[] {
  const cached = transformed.get(filter.dataId);
  if (cached) return cached;
  if (keep) dropStale(tf, wasm);
  const [, , c, out] = filter.shape;
  const g = new Float32Array(memory.buffer, heapOffset(wasm, filter), 9 * c * out).slice();
  const G = [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ];
  const u = Array.from({ length: 16 }, () => new Float32Array(c * out));
  const cols = c * out;
  for (let e = 0; e < cols; e++) {
    // g[i][j] for this (in, out) pair: filter layout [3, 3, c, out].
    const gij = (i: number, j: number) => g[(i * 3 + j) * cols + e];
    for (let r = 0; r < 4; r++) {
      const Gg = [0, 1, 2].map((j) => G[r][0] * gij(0, j) + G[r][1] * gij(1, j) + G[r][2] * gij(2, j));
      for (let s = 0; s < 4; s++) u[r * 4 + s][e] = G[s][0] * Gg[0] + G[s][1] * Gg[1] + G[s][2] * Gg[2];
    }
  }
  if (!keep) return u.map((m) => tf.tensor2d(m, [c, out]));
  const mats = u.map((m) => tf.keep(tf.tensor2d(m, [c, out])));
  transformed.set(filter.dataId, mats);
  return mats;
}

/** Wraps wasm's Conv2D or FusedConv2D kernel: convolutions winograd can take go to it. */
export function winogradConvKernel(tf: Tf, original: KernelFunc): (args: ConvArgs) => TensorInfo {
  return (args) => {
    const inference = isInference(tf);
    if (!simdKernelsFor(args.backend) || (!inference && !inTraining) || !winogradApplies(tf, args)) return original(args as never) as TensorInfo;
    winogradStats[inference ? 'inference' : 'training']++;
    return winogradConv(tf, args, inference);
  };
}

/**
 * A convolution's input gradient as a stride-1 3×3 convolution of (padded) dy with the flipped filter, by
 * Winograd where it applies (1.4× faster than XNNPACK for 64 → 32 channels at 14×14); undefined where it does not.
 * The flipped filter is made afresh every step, so its transform is not kept.
 */
export function winogradInputGradient(tf: Tf, dy: Tensor, flippedFilter: Tensor, pad: ExplicitPad): Tensor | undefined {
  const args: ConvArgs = { inputs: { x: dy, filter: flippedFilter }, backend: tf.backend(), attrs: { strides: 1, dilations: 1, pad, dataFormat: 'NHWC' } };
  if (!inTraining || !simdKernelsFor(args.backend) || !winogradApplies(tf, args, true)) return undefined;
  winogradStats.inputGradient++;
  return tf.engine().makeTensorFromTensorInfo(winogradConv(tf, args, false));
}

function winogradConv(tf: Tf, args: ConvArgs, keepTransform: boolean): TensorInfo {
  const kernels = simdKernelsFor(args.backend)!;
  const wasm = args.backend as WasmBackend;
  const { x, filter, bias } = args.inputs;
  const [n, h, w, c] = x.shape;
  const out = filter.shape[3];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    1,
    1,
    args.attrs!.pad as 'same' | 'valid' | ExplicitPad,
  );
  const { outHeight: oh, outWidth: ow } = info;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const tiles = n * th * tw;
  const memory = wasm.wasm.asm!.memory!;
  const y = wasm.makeOutput([n, oh, ow, out], 'float32');
  tf.tidy(() => {
    // Inside the tidy: a transform that is not kept is freed with the temporaries.
    const u = filterTransform(tf, wasm, memory, filter, keepTransform);
    const v = Array.from({ length: 16 }, () => wasm.makeOutput([tiles, c], 'float32'));
    const list = wasm.makeOutput([16], 'int32');
    const put = (infos: TensorInfo[]) => {
      const offsets = new Int32Array(memory.buffer, heapOffset(wasm, list), 16);
      infos.forEach((t, k) => (offsets[k] = heapOffset(wasm, t)));
    };
    const vt = v.map((t) => tf.engine().makeTensorFromTensorInfo(t));
    put(v);
    kernels.winoInput(heapOffset(wasm, x), heapOffset(wasm, list), n, h, w, c, th, tw, info.padInfo.top, info.padInfo.left);
    const m = vt.map((vk, k) => tf.matMul(vk, u[k]));
    put(m);
    kernels.winoOutput(
      heapOffset(wasm, list),
      heapOffset(wasm, y),
      bias ? heapOffset(wasm, bias) : 0,
      n,
      oh,
      ow,
      out,
      th,
      tw,
      args.attrs?.activation === 'relu' ? 1 : 0,
    );
    wasm.disposeData(list.dataId);
  });
  return y;
}
