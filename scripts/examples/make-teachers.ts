/**
 * Makes the example teachers committed under examples/: a small CNN trained with tfjs and
 * exported by Distillery's own ONNX exporter (examples/onnx-teacher/teacher.onnx), and an MLP
 * trained with tfjs and written as a tfjs GraphModel (examples/graphmodel-teacher/teacher/).
 * Seeded; a few seconds of training each. Run: npx tsx scripts/examples/make-teachers.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '../../src/engine/backend/select';
import { buildDataset, makeBatch } from '../../src/engine/data/dataset';
import { loadBundledMnist } from '../../src/engine/data/sources';
import { layersModelToOnnx } from '../../src/engine/export/onnxExport';
import { loadTf } from '../../src/engine/tf';
import { DataSpec } from '../../src/protocol/config';
import { encodeOnnxModel } from '../../src/protocol/onnx/onnxModel';
import { writeMlpGraphModel } from './graphModel';

const root = path.resolve(__dirname, '../../examples');

async function main(): Promise<void> {
  const tf = loadTf();
  await selectBackend(tf, 'wasm');
  const ds = buildDataset({ train: loadBundledMnist(), description: 'digits' }, DataSpec.parse({ limit: 4000 }), 5);
  const batch = makeBatch(ds, ds.train, ds.train.indices);
  const x = tf.tensor4d(batch.x, [batch.size, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(batch.y, 'int32'), 10);
  const init = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });

  const cnn = tf.sequential({
    name: 'onnx_teacher',
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', name: 'conv1', ...init(1) }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.activation({ activation: 'relu', name: 'relu1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2', ...init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 32, activation: 'relu', name: 'dense1', ...init(3) }),
      tf.layers.dense({ units: 10, name: 'logits', ...init(4) }),
    ],
  });
  cnn.compile({ optimizer: tf.train.adam(0.002), loss: tf.losses.softmaxCrossEntropy, metrics: ['accuracy'] });
  await cnn.fit(x, y, { epochs: 3, batchSize: 64, shuffle: false, verbose: 0 });
  fs.mkdirSync(path.join(root, 'onnx-teacher'), { recursive: true });
  fs.writeFileSync(path.join(root, 'onnx-teacher', 'teacher.onnx'), encodeOnnxModel(layersModelToOnnx(tf, cnn, 'nchw')));

  const mlp = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 48, activation: 'relu', ...init(5) }),
      tf.layers.dense({ units: 10, ...init(6) }),
    ],
  });
  mlp.compile({ optimizer: tf.train.adam(0.003), loss: tf.losses.softmaxCrossEntropy });
  await mlp.fit(x, y, { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
  const [w1, b1, w2, b2] = mlp.getWeights().map((t) => t.dataSync() as Float32Array);
  writeMlpGraphModel(path.join(root, 'graphmodel-teacher', 'teacher'), [28, 28, 1], { w1, b1, w2, b2 });
  process.stdout.write('wrote examples/onnx-teacher/teacher.onnx and examples/graphmodel-teacher/teacher/\n');
}

void main();
