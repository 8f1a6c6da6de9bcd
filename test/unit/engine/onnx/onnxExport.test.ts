/**
 * The ONNX exporter against tfjs itself: each model is built from the layer kinds the presets
 * and the residual/mobilenet students use, given non-trivial weights (BN statistics drawn at
 * random), exported, and run by ONNX Runtime; its logits must match tfjs's within 1e-4, in
 * both input layouts. An unsupported layer is an error naming it.
 */
import { strict as assert } from 'node:assert';
import type * as tfTypes from '@tensorflow/tfjs';
import { layersModelToOnnx, ONNX_INPUT, ONNX_LOGITS, type OnnxLayout } from '../../../../src/engine/export/onnxExport';
import { openOrtSession } from '../../../../src/engine/onnx/ortSession';
import { encodeOnnxModel, readOnnxGraph } from '../../../../src/protocol/onnx/onnxModel';
import { wasmTf } from '../helpers';

type Sym = tfTypes.SymbolicTensor;

/** ORT's logits for NHWC images, fed in `layout`. */
export function ortLogits(tf: typeof tfTypes, bytes: Uint8Array, x: tfTypes.Tensor, layout: OnnxLayout): Float32Array {
  const session = openOrtSession(bytes, 1);
  try {
    const input = x.rank === 4 && layout === 'nchw' ? tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])) : x;
    const data = input.dataSync() as Float32Array;
    if (input !== x) input.dispose();
    const dims = x.rank === 4 && layout === 'nchw' ? [x.shape[0], x.shape[3]!, x.shape[1]!, x.shape[2]!] : [...x.shape];
    return session.run({ [ONNX_INPUT]: { data, dims } }, [ONNX_LOGITS])[ONNX_LOGITS].data;
  } finally {
    session.dispose();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Weights away from their initial values (BN's are 1 and 0, which would hide a wrong formula). */
function perturb(tf: typeof tfTypes, m: tfTypes.LayersModel): void {
  for (const l of m.layers) {
    if (!l.weights.length) continue;
    l.setWeights(
      l
        .getWeights()
        .map((w, i) =>
          l.getClassName() === 'BatchNormalization'
            ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 7 + i)
            : tf.add(w, tf.randomNormal(w.shape, 0, 0.1, 'float32', 3 + i)),
        ),
    );
  }
}

describe('engine/export/onnxExport: tfjs LayersModels as ONNX, checked by ONNX Runtime', function () {
  this.timeout(120_000);
  let tf: typeof tfTypes;
  before(async () => {
    tf = await wasmTf();
  });

  const models: [string, (tf: typeof tfTypes) => tfTypes.LayersModel, number[]][] = [
    [
      'a cnn preset shape: conv + BN + ReLU, max pooling, flatten, dense, dropout',
      (tf) =>
        tf.sequential({
          layers: [
            tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
            tf.layers.batchNormalization({ name: 'bn1' }),
            tf.layers.activation({ activation: 'relu', name: 'r1' }),
            tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'p1' }),
            tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'c2' }),
            tf.layers.flatten({ name: 'f' }),
            tf.layers.dropout({ rate: 0.3, name: 'd' }),
            tf.layers.dense({ units: 8, activation: 'tanh', name: 'h' }),
            tf.layers.dense({ units: 5, name: 'logits' }),
          ],
        }),
      [12, 12, 1],
    ],
    [
      'a mobilenet block: depthwise (multiplier 2, stride 2) + BN + ReLU6, separable conv, average pooling, global average pooling',
      (tf) => {
        const input = tf.input({ shape: [11, 11, 3] });
        let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem' }).apply(input) as Sym;
        x = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as Sym;
        x = tf.layers.reLU({ maxValue: 6, name: 'stem_relu6' }).apply(x) as Sym;
        x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }).apply(x) as Sym;
        x = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as Sym;
        x = tf.layers.activation({ activation: 'relu6', name: 'dw_relu6' }).apply(x) as Sym;
        x = tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', depthMultiplier: 1, name: 'sep' }).apply(x) as Sym;
        x = tf.layers.batchNormalization({ name: 'sep_bn' }).apply(x) as Sym;
        x = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avg' }).apply(x) as Sym;
        x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as Sym;
        const out = tf.layers.dense({ units: 4, name: 'logits' }).apply(x) as Sym;
        return tf.model({ inputs: input, outputs: out });
      },
      [11, 11, 3],
    ],
    [
      'a residual block: add, concatenate over channels, zero padding, an unfolded BN (its conv feeds two layers), global max pooling, softmax',
      (tf) => {
        const input = tf.input({ shape: [8, 8, 2] });
        const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a', dilationRate: 2 }).apply(input) as Sym;
        const bn = tf.layers.batchNormalization({ name: 'a_bn' }).apply(a) as Sym;
        const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'b' }).apply(a) as Sym;
        let x = tf.layers.add({ name: 'add' }).apply([bn, b]) as Sym;
        x = tf.layers.leakyReLU({ alpha: 0.2, name: 'lrelu' }).apply(x) as Sym;
        const padded = tf.layers
          .zeroPadding2d({
            padding: [
              [1, 0],
              [0, 1],
            ],
            name: 'pad',
          })
          .apply(x) as Sym;
        const pooled = tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'mp' }).apply(padded) as Sym;
        x = tf.layers.concatenate({ name: 'cat' }).apply([x, pooled]) as Sym;
        x = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(x) as Sym;
        x = tf.layers.dense({ units: 6, activation: 'elu', name: 'h' }).apply(x) as Sym;
        const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(x) as Sym;
        return tf.model({ inputs: input, outputs: out });
      },
      [8, 8, 2],
    ],
    [
      'an MLP on flat vectors, dense + BN folded, sigmoid',
      (tf) =>
        tf.sequential({
          layers: [
            tf.layers.dense({ inputShape: [20], units: 7, name: 'd1' }),
            tf.layers.batchNormalization({ name: 'bn' }),
            tf.layers.activation({ activation: 'sigmoid', name: 's' }),
            tf.layers.dense({ units: 3, name: 'logits' }),
          ],
        }),
      [20],
    ],
  ];

  for (const [what, build, shape] of models) {
    for (const layout of ['nchw', 'nhwc'] as const) {
      it(`${what} (${layout.toUpperCase()} input): ONNX Runtime's outputs equal tfjs's within 1e-4`, () => {
        const model = build(tf);
        perturb(tf, model);
        const x = tf.randomNormal([6, ...shape], 0, 1, 'float32', 11);
        const expected = (model.predict(x) as tfTypes.Tensor).dataSync();
        const bytes = encodeOnnxModel(layersModelToOnnx(tf, model, layout));
        const got = ortLogits(tf, bytes, x, layout);
        const d = maxDiff(expected, got);
        assert.ok(d < 1e-4, `max |difference| ${d}`);
        // Not all zeros or constant: the comparison means something.
        assert.ok(Math.max(...expected) - Math.min(...expected) > 1e-3);
        const g = readOnnxGraph('m.onnx', bytes);
        assert.equal(g.opset, 13);
        assert.deepEqual(
          g.inputs.map((i) => i.dims),
          [shape.length === 1 ? ['batch', shape[0]] : layout === 'nchw' ? ['batch', shape[2], shape[0], shape[1]] : ['batch', ...shape]],
        );
        x.dispose();
        model.dispose();
      });
    }
  }

  it('folds a BN into the conv or dense before it when that layer feeds only the BN, and keeps it as an op when not', () => {
    const ops = (i: number) => {
      const m = models[i][1](tf);
      const g = readOnnxGraph('m.onnx', encodeOnnxModel(layersModelToOnnx(tf, m)));
      m.dispose();
      return g.nodes.map((n) => n.opType);
    };
    assert.ok(!ops(0).includes('BatchNormalization'));
    assert.ok(!ops(1).includes('BatchNormalization'));
    assert.ok(!ops(3).includes('BatchNormalization'));
    assert.equal(ops(2).filter((o) => o === 'BatchNormalization').length, 1);
  });

  it('an unsupported layer is an error naming the layer and its kind', () => {
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 6, name: 'd' }), tf.layers.reshape({ targetShape: [2, 3], name: 'shape_it' })],
    });
    assert.throws(() => layersModelToOnnx(tf, m), /layer "shape_it" \(Reshape\) cannot be exported to ONNX: the layer kind Reshape is not supported/);
    const lstm = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [3, 4], units: 2, name: 'rnn' })] });
    assert.throws(() => layersModelToOnnx(tf, lstm), /a model input of shape \[3, 4\]/);
    m.dispose();
    lstm.dispose();
  });
});
