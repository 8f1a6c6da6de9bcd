/**
 * Writes a tfjs GraphModel (model.json in tensorflowjs_converter's "graph-model" format, plus
 * one weights shard) for a two-layer MLP over [N, h, w, c] images, by hand from its GraphDef:
 * Placeholder → Reshape → MatMul → BiasAdd → Relu → MatMul → BiasAdd → Identity "logits".
 * Used for the GraphModel teacher example and its tests, without Python TensorFlow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface MlpWeights {
  /** [h·w·c, hidden], row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden, classes]. */
  w2: Float32Array;
  b2: Float32Array;
}

const float = { type: 'DT_FLOAT' };
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });
const constNode = (name: string, dtype: 'DT_FLOAT' | 'DT_INT32', shape: number[]) => ({
  name,
  op: 'Const',
  attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } },
});

export function writeMlpGraphModel(dir: string, shape: [number, number, number], w: MlpWeights): string {
  const inputs = shape[0] * shape[1] * shape[2];
  const hidden = w.b1.length;
  const classes = w.b2.length;
  const node = [
    { name: 'images', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims([-1, ...shape]) } } },
    constNode('flat_shape', 'DT_INT32', [2]),
    { name: 'flat', op: 'Reshape', input: ['images', 'flat_shape'], attr: { T: float, Tshape: { type: 'DT_INT32' } } },
    constNode('dense1/kernel', 'DT_FLOAT', [inputs, hidden]),
    { name: 'dense1/MatMul', op: 'MatMul', input: ['flat', 'dense1/kernel'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    constNode('dense1/bias', 'DT_FLOAT', [hidden]),
    {
      name: 'dense1/BiasAdd',
      op: 'BiasAdd',
      input: ['dense1/MatMul', 'dense1/bias'],
      attr: { T: float, data_format: { s: Buffer.from('NHWC').toString('base64') } },
    },
    { name: 'dense1/Relu', op: 'Relu', input: ['dense1/BiasAdd'], attr: { T: float } },
    constNode('dense2/kernel', 'DT_FLOAT', [hidden, classes]),
    { name: 'dense2/MatMul', op: 'MatMul', input: ['dense1/Relu', 'dense2/kernel'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    constNode('dense2/bias', 'DT_FLOAT', [classes]),
    {
      name: 'dense2/BiasAdd',
      op: 'BiasAdd',
      input: ['dense2/MatMul', 'dense2/bias'],
      attr: { T: float, data_format: { s: Buffer.from('NHWC').toString('base64') } },
    },
    { name: 'logits', op: 'Identity', input: ['dense2/BiasAdd'], attr: { T: float } },
  ];
  const weights = [
    { name: 'flat_shape', shape: [2], dtype: 'int32' },
    { name: 'dense1/kernel', shape: [inputs, hidden], dtype: 'float32' },
    { name: 'dense1/bias', shape: [hidden], dtype: 'float32' },
    { name: 'dense2/kernel', shape: [hidden, classes], dtype: 'float32' },
    { name: 'dense2/bias', shape: [classes], dtype: 'float32' },
  ];
  const bytes = Buffer.concat([
    Buffer.from(new Int32Array([-1, inputs]).buffer),
    ...[w.w1, w.b1, w.w2, w.b2].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
  ]);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), bytes);
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'distillery scripts/examples/graphModel.ts',
    convertedBy: 'hand-written GraphDef (TensorFlow.js converter format)',
    modelTopology: { node, library: {}, versions: { producer: 1286 } },
    signature: {
      inputs: { images: { name: 'images:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, ...shape]) } },
      outputs: { logits: { name: 'logits:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, classes]) } },
    },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify(modelJson));
  return file;
}
