/**
 * A trained tfjs LayersModel as an ONNX model (opset 13). Every layer kind the presets and the
 * residual/mobilenet students use is covered: Dense, Conv2D, DepthwiseConv2D, SeparableConv2D,
 * max/average pooling, global pooling, BatchNormalization (folded into the conv or dense before
 * it when that layer's output feeds only the BN), activations, Flatten, Add, Concatenate,
 * ZeroPadding2D and Dropout (identity). Anything else is an error naming the layer.
 *
 * Inside the graph every image tensor is NCHW, ONNX's own convolution layout. The graph's
 * input is NCHW too (what PyTorch users feed) unless `layout` is "nhwc", which puts one
 * Transpose in front. tfjs flattens NHWC feature maps in h, w, c order, so Flatten transposes
 * back to NHWC first and the dense weights after it stay as trained.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { OnnxModelProto } from '../../protocol/onnx/onnxModel';
import { floatValueInfo, OnnxGraphBuilder } from './onnxGraph';

export type OnnxLayout = 'nchw' | 'nhwc';
export const ONNX_OPSET = 13;
/** The graph input's and first output's names. */
export const ONNX_INPUT = 'input';
export const ONNX_LOGITS = 'logits';

export class UnsupportedLayerError extends Error {}

type Layer = tfTypes.layers.Layer;
type Config = Record<string, unknown>;

interface Value {
  name: string;
  /** Without the batch dimension, as tfjs sees it (NHWC for images). */
  shape: number[];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number]);

/** TF's "same" padding for one spatial dimension: [before, after]. */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function spatialAttrs(cfg: Config, input: Value, kernel: [number, number], strideKey = 'strides'): { pads: number[]; strides: number[]; dilations: number[] } {
  const strides = pair(cfg[strideKey] ?? 1);
  const dilations = pair(cfg.dilationRate ?? 1);
  const [h, w] = input.shape;
  if (cfg.padding === 'same') {
    const [t, b] = samePads(h, kernel[0], strides[0], dilations[0]);
    const [l, r] = samePads(w, kernel[1], strides[1], dilations[1]);
    return { pads: [t, l, b, r], strides, dilations };
  }
  if (cfg.padding !== 'valid' && cfg.padding !== undefined) throw new UnsupportedLayerError(`padding "${String(cfg.padding)}"`);
  return { pads: [0, 0, 0, 0], strides, dilations };
}

class Exporter {
  readonly b = new OnnxGraphBuilder();
  private readonly values = new Map<string, Value>();
  /** Conv/dense layers whose only consumer is a BatchNormalization that is folded into them. */
  private readonly folded = new Map<string, Layer>();

  constructor(
    private readonly tf: typeof tfTypes,
    private readonly model: tfTypes.LayersModel,
  ) {}

  /** A weight's values by its short name ("kernel", "bias", "gamma", "moving_mean"…), with its shape. */
  private weight(layer: Layer, short: string): { data: Float32Array; shape: number[] } | undefined {
    const w = layer.weights.find((v) => v.originalName.split('/').pop() === short || v.name.split('/').pop()?.replace(/_\d+$/, '') === short);
    if (!w) return undefined;
    const t = w.read();
    return { data: t.dataSync() as Float32Array, shape: t.shape };
  }

  private transposed(data: Float32Array, shape: number[], perm: number[]): Float32Array {
    return this.tf.tidy(() => this.tf.transpose(this.tf.tensor(data, shape), perm).dataSync() as Float32Array);
  }

  private inboundOf(layer: Layer): Value[] {
    const nodes = (layer as unknown as { inboundNodes: { inboundLayers: Layer[]; tensorIndices: number[] }[] }).inboundNodes;
    const node = nodes[0];
    return node.inboundLayers.map((l, i) => {
      const v = this.values.get(node.tensorIndices[i] ? `${l.name}:${node.tensorIndices[i]}` : l.name);
      if (!v) throw new UnsupportedLayerError(`its input "${l.name}" (a ${l.getClassName()}) comes from outside the exported graph`);
      return v;
    });
  }

  private consumers(): Map<string, Layer[]> {
    const out = new Map<string, Layer[]>();
    for (const layer of this.model.layers) {
      const nodes = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes;
      for (const l of nodes[0]?.inboundLayers ?? []) out.set(l.name, [...(out.get(l.name) ?? []), layer]);
    }
    return out;
  }

  /** BN folding is possible when the layer before is linear and feeds only the BN, and is not an output. */
  private planFolding(): void {
    const consumers = this.consumers();
    const outputs = new Set(this.model.outputs.map((o) => o.sourceLayer.name));
    for (const layer of this.model.layers) {
      if (layer.getClassName() !== 'BatchNormalization') continue;
      const before = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes[0]?.inboundLayers[0];
      if (!before || !['Conv2D', 'Dense', 'DepthwiseConv2D', 'SeparableConv2D'].includes(before.getClassName())) continue;
      const act = (before.getConfig() as Config).activation;
      if ((act ?? 'linear') !== 'linear' || consumers.get(before.name)?.length !== 1 || outputs.has(before.name)) continue;
      const axis = (layer.getConfig() as Config).axis as number;
      if (axis !== -1 && axis !== before.outputShape.length - 1) continue;
      this.folded.set(before.name, layer);
    }
  }

  /** BN as a per-channel scale and shift: y = x·s + t. */
  private bnScaleShift(bn: Layer, channels: number): { s: Float32Array; t: Float32Array } {
    const cfg = bn.getConfig() as Config;
    const eps = (cfg.epsilon as number) ?? 1e-3;
    const gamma = this.weight(bn, 'gamma')?.data ?? new Float32Array(channels).fill(1);
    const beta = this.weight(bn, 'beta')?.data ?? new Float32Array(channels);
    const mean = this.weight(bn, 'moving_mean')!.data;
    const variance = this.weight(bn, 'moving_variance')!.data;
    const s = new Float32Array(channels);
    const t = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      s[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      t[c] = beta[c] - mean[c] * s[c];
    }
    return { s, t };
  }

  /** Folds BN into ONNX conv weights [out, …] (rows) and a bias. */
  private foldRows(layer: Layer, w: Float32Array, bias: Float32Array): void {
    const bn = this.folded.get(layer.name);
    if (!bn) return;
    const out = bias.length;
    const { s, t } = this.bnScaleShift(bn, out);
    const per = w.length / out;
    for (let o = 0; o < out; o++) {
      for (let k = 0; k < per; k++) w[o * per + k] *= s[o];
      bias[o] = bias[o] * s[o] + t[o];
    }
  }

  private activation(x: string, name: string, base: string, rank: number): string {
    const b = this.b;
    switch (name) {
      case 'linear':
        return x;
      case 'relu':
        return b.op('Relu', [x], {}, base);
      case 'relu6':
        return b.op('Clip', [x, b.floats(`${base}/min`, new Float32Array([0]), []), b.floats(`${base}/max`, new Float32Array([6]), [])], {}, base);
      case 'sigmoid':
        return b.op('Sigmoid', [x], {}, base);
      case 'tanh':
        return b.op('Tanh', [x], {}, base);
      case 'softmax':
        return b.op('Softmax', [x], { axis: rank === 4 ? 1 : -1 }, base);
      case 'elu':
        return b.op('Elu', [x], { alpha: { float: 1 } }, base);
      case 'selu':
        return b.op('Selu', [x], {}, base);
      case 'softplus':
        return b.op('Softplus', [x], {}, base);
      case 'softsign':
        return b.op('Softsign', [x], {}, base);
      case 'hardSigmoid':
      case 'hard_sigmoid':
        return b.op('HardSigmoid', [x], { alpha: { float: 0.2 }, beta: { float: 0.5 } }, base);
      case 'swish':
        return b.op('Mul', [x, b.op('Sigmoid', [x], {}, `${base}/sigmoid`)], {}, base);
      case 'mish':
        return b.op('Mul', [x, b.op('Tanh', [b.op('Softplus', [x], {}, `${base}/softplus`)], {}, `${base}/tanh`)], {}, base);
      default:
        throw new UnsupportedLayerError(`activation "${name}"`);
    }
  }

  private conv(layer: Layer, x: Value, cfg: Config): string {
    const kernel = this.weight(layer, 'kernel')!;
    const [kh, kw, cin, cout] = kernel.shape;
    const w = this.transposed(kernel.data, kernel.shape, [3, 2, 0, 1]);
    const bias = new Float32Array(this.weight(layer, 'bias')?.data ?? new Float32Array(cout));
    this.foldRows(layer, w, bias);
    const { pads, strides, dilations } = spatialAttrs(cfg, x, [kh, kw]);
    return this.b.op(
      'Conv',
      [x.name, this.b.floats(`${layer.name}/W`, w, [cout, cin, kh, kw]), this.b.floats(`${layer.name}/B`, bias, [cout])],
      { kernel_shape: [kh, kw], pads, strides, dilations },
      layer.name,
    );
  }

  /** Depthwise kernel [kh, kw, in, mult] as a grouped conv's [in·mult, 1, kh, kw] (output channel c·mult + m, as tfjs orders them). */
  private depthwise(layer: Layer, x: Value, cfg: Config, withBias: boolean, fold: boolean, base: string): string {
    const kernel = this.weight(layer, 'depthwise_kernel')!;
    const [kh, kw, cin, mult] = kernel.shape;
    const w = this.transposed(kernel.data, kernel.shape, [2, 3, 0, 1]);
    const bias = new Float32Array((withBias && this.weight(layer, 'bias')?.data) || new Float32Array(cin * mult));
    if (fold) this.foldRows(layer, w, bias);
    const { pads, strides, dilations } = spatialAttrs(cfg, x, [kh, kw]);
    return this.b.op(
      'Conv',
      [x.name, this.b.floats(`${base}/W`, w, [cin * mult, 1, kh, kw]), this.b.floats(`${base}/B`, bias, [cin * mult])],
      { kernel_shape: [kh, kw], pads, strides, dilations, group: cin },
      base,
    );
  }

  private separable(layer: Layer, x: Value, cfg: Config): string {
    const dw = this.depthwise(layer, x, cfg, false, false, `${layer.name}/depthwise`);
    const kernel = this.weight(layer, 'pointwise_kernel')!;
    const [, , cin, cout] = kernel.shape;
    const w = this.transposed(kernel.data, kernel.shape, [3, 2, 0, 1]);
    const bias = new Float32Array(this.weight(layer, 'bias')?.data ?? new Float32Array(cout));
    this.foldRows(layer, w, bias);
    return this.b.op(
      'Conv',
      [dw, this.b.floats(`${layer.name}/pointwise/W`, w, [cout, cin, 1, 1]), this.b.floats(`${layer.name}/pointwise/B`, bias, [cout])],
      { kernel_shape: [1, 1] },
      layer.name,
    );
  }

  private dense(layer: Layer, x: Value): string {
    if (x.shape.length !== 1) throw new UnsupportedLayerError(`a Dense layer on a ${x.shape.length + 1}-D input (flatten first)`);
    const kernel = this.weight(layer, 'kernel')!;
    const [cin, cout] = kernel.shape;
    // Rows of [out, in] for folding, then back to Gemm's [in, out].
    const rows = this.transposed(kernel.data, kernel.shape, [1, 0]);
    const bias = new Float32Array(this.weight(layer, 'bias')?.data ?? new Float32Array(cout));
    this.foldRows(layer, rows, bias);
    const w = this.transposed(rows, [cout, cin], [1, 0]);
    return this.b.op('Gemm', [x.name, this.b.floats(`${layer.name}/W`, w, [cin, cout]), this.b.floats(`${layer.name}/B`, bias, [cout])], {}, layer.name);
  }

  private batchNorm(layer: Layer, x: Value): string {
    const cfg = layer.getConfig() as Config;
    const rank = x.shape.length + 1;
    if (cfg.axis !== -1 && cfg.axis !== rank - 1)
      throw new UnsupportedLayerError(`BatchNormalization over axis ${String(cfg.axis)} (only the channel axis, -1)`);
    const c = x.shape[x.shape.length - 1];
    const { s, t } = this.bnScaleShift(layer, c);
    // As scale and shift with mean 0 and variance 1 - ε: the same numbers as the layer's own formula.
    const eps = 1e-5;
    return this.b.op(
      'BatchNormalization',
      [
        x.name,
        this.b.floats(`${layer.name}/scale`, s, [c]),
        this.b.floats(`${layer.name}/B`, t, [c]),
        this.b.floats(`${layer.name}/mean`, new Float32Array(c), [c]),
        this.b.floats(`${layer.name}/var`, new Float32Array(c).fill(1 - eps), [c]),
      ],
      { epsilon: { float: eps } },
      layer.name,
    );
  }

  private pool(layer: Layer, x: Value, cfg: Config, op: 'MaxPool' | 'AveragePool'): string {
    const kernel = pair(cfg.poolSize ?? 2);
    const { pads, strides } = spatialAttrs({ ...cfg, strides: cfg.strides ?? cfg.poolSize }, x, kernel);
    return this.b.op(op, [x.name], { kernel_shape: kernel, pads, strides }, layer.name);
  }

  /** tfjs's NHWC axis as the NCHW axis inside the graph. */
  private axisOf(axis: number, rank: number): number {
    const a = axis < 0 ? axis + rank : axis;
    return rank === 4 ? [0, 2, 3, 1][a] : a;
  }

  /** The layer's ONNX output name; throws UnsupportedLayerError for a kind not covered. */
  private layer(layer: Layer, inputs: Value[]): string {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Config;
    const x = inputs[0];
    const rank = x.shape.length + 1;
    const b = this.b;
    const act = (out: string) => this.activation(out, (cfg.activation as string | undefined) ?? 'linear', `${layer.name}/${String(cfg.activation)}`, rank);
    if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') throw new UnsupportedLayerError(`data format "${String(cfg.dataFormat)}"`);
    switch (cls) {
      case 'Dense':
        return act(this.dense(layer, x));
      case 'Conv2D':
        return act(this.conv(layer, x, cfg));
      case 'DepthwiseConv2D':
        return act(this.depthwise(layer, x, cfg, cfg.useBias !== false, true, layer.name));
      case 'SeparableConv2D':
        return act(this.separable(layer, x, cfg));
      case 'BatchNormalization':
        return this.batchNorm(layer, x);
      case 'Activation':
        return this.activation(x.name, cfg.activation as string, layer.name, rank);
      case 'ReLU': {
        const max = cfg.maxValue as number | null | undefined;
        if (max === null || max === undefined) return b.op('Relu', [x.name], {}, layer.name);
        return b.op(
          'Clip',
          [x.name, b.floats(`${layer.name}/min`, new Float32Array([0]), []), b.floats(`${layer.name}/max`, new Float32Array([max]), [])],
          {},
          layer.name,
        );
      }
      case 'LeakyReLU':
        return b.op('LeakyRelu', [x.name], { alpha: { float: (cfg.alpha as number) ?? 0.3 } }, layer.name);
      case 'ELU':
        return b.op('Elu', [x.name], { alpha: { float: (cfg.alpha as number) ?? 1 } }, layer.name);
      case 'Softmax':
        return b.op('Softmax', [x.name], { axis: this.axisOf((cfg.axis as number) ?? -1, rank) }, layer.name);
      case 'MaxPooling2D':
        return this.pool(layer, x, cfg, 'MaxPool');
      case 'AveragePooling2D':
        return this.pool(layer, x, cfg, 'AveragePool');
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (cfg.keepDims) throw new UnsupportedLayerError('keepDims');
        const pooled = b.op(cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name], {}, `${layer.name}/pool`);
        return b.op('Flatten', [pooled], { axis: 1 }, layer.name);
      }
      case 'Flatten': {
        if (rank === 2) return x.name;
        const nhwc = rank === 4 ? b.op('Transpose', [x.name], { perm: [0, 2, 3, 1] }, `${layer.name}/nhwc`) : x.name;
        return b.op('Flatten', [nhwc], { axis: 1 }, layer.name);
      }
      case 'ZeroPadding2D': {
        const p = cfg.padding as [number, number][] | number;
        const [[t, bo], [l, r]] =
          typeof p === 'number'
            ? [
                [p, p],
                [p, p],
              ]
            : p.map((q) => (Array.isArray(q) ? q : [q, q]));
        return b.op('Pad', [x.name, b.int64s(`${layer.name}/pads`, [0, 0, t, l, 0, 0, bo, r])], { mode: 'constant' }, layer.name);
      }
      case 'Add':
        return b.op(
          'Sum',
          inputs.map((v) => v.name),
          {},
          layer.name,
        );
      case 'Multiply':
        return inputs.slice(1).reduce((acc, v) => b.op('Mul', [acc, v.name], {}, layer.name), x.name);
      case 'Subtract':
        return b.op('Sub', [x.name, inputs[1].name], {}, layer.name);
      case 'Average':
        return b.op(
          'Mul',
          [
            b.op(
              'Sum',
              inputs.map((v) => v.name),
              {},
              `${layer.name}/sum`,
            ),
            b.floats(`${layer.name}/n`, new Float32Array([1 / inputs.length]), []),
          ],
          {},
          layer.name,
        );
      case 'Maximum':
        return b.op(
          'Max',
          inputs.map((v) => v.name),
          {},
          layer.name,
        );
      case 'Minimum':
        return b.op(
          'Min',
          inputs.map((v) => v.name),
          {},
          layer.name,
        );
      case 'Concatenate':
        return b.op(
          'Concat',
          inputs.map((v) => v.name),
          { axis: this.axisOf((cfg.axis as number) ?? -1, rank) },
          layer.name,
        );
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        return x.name;
      default:
        throw new UnsupportedLayerError(`the layer kind ${cls}`);
    }
  }

  build(layout: OnnxLayout): OnnxModelProto {
    const input = this.model.inputs[0];
    if (this.model.inputs.length !== 1) throw new UnsupportedLayerError(`a model with ${this.model.inputs.length} inputs (one is exported)`);
    const shape = input.shape.slice(1) as number[];
    const b = this.b;
    let graphInput: (number | string)[];
    let inner = ONNX_INPUT;
    // The graph's own names first: a layer called "logits" then gets "logits_1", never the graph output's name.
    b.name(ONNX_INPUT);
    b.name(ONNX_LOGITS);
    if (shape.length === 3) {
      const [h, w, c] = shape;
      graphInput = layout === 'nhwc' ? ['batch', h, w, c] : ['batch', c, h, w];
      if (layout === 'nhwc') inner = b.op('Transpose', [ONNX_INPUT], { perm: [0, 3, 1, 2] }, 'input_nchw');
    } else if (shape.length === 1) graphInput = ['batch', shape[0]];
    else throw new UnsupportedLayerError(`a model input of shape [${shape.join(', ')}] (images [h, w, c] or flat vectors)`);
    this.values.set(input.sourceLayer.name, { name: inner, shape });
    this.planFolding();
    const foldedBns = new Set(this.folded.values());
    for (const layer of this.model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const nodes = (layer as unknown as { inboundNodes: unknown[] }).inboundNodes;
      if (nodes.length !== 1) throw new Error(`layer "${layer.name}" is used ${nodes.length} times; shared layers cannot be exported`);
      const outShape = (layer.outputShape as number[]).slice(1);
      let out: string;
      try {
        const inputs = this.inboundOf(layer);
        // A folded BN is already in the conv/dense before it: its output is that layer's.
        out = foldedBns.has(layer) ? inputs[0].name : this.layer(layer, inputs);
      } catch (e) {
        if (e instanceof UnsupportedLayerError)
          throw new UnsupportedLayerError(`layer "${layer.name}" (${layer.getClassName()}) cannot be exported to ONNX: ${e.message} is not supported`);
        throw e;
      }
      this.values.set(layer.name, { name: out, shape: outShape });
    }
    const outputs = this.model.outputs.map((o, i) => {
      const v = this.values.get(o.sourceLayer.name)!;
      const name = i === 0 ? ONNX_LOGITS : b.name(`${o.sourceLayer.name}_output`);
      b.nodes.push({ op_type: 'Identity', name: b.name(`${name}/Identity`), input: [v.name], output: [name], attribute: [] });
      return floatValueInfo(name, ['batch', ...v.shape]);
    });
    return {
      ir_version: 8,
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      producer_name: 'distillery',
      producer_version: '0.1',
      graph: b.graph(this.model.name, [floatValueInfo(ONNX_INPUT, graphInput)], outputs),
    };
  }
}

/** The model as an ONNX ModelProto; encode it with encodeOnnxModel. */
export function layersModelToOnnx(tf: typeof tfTypes, model: tfTypes.LayersModel, layout: OnnxLayout = 'nchw'): OnnxModelProto {
  return new Exporter(tf, model).build(layout);
}
