/**
 * Per-op wall ms of the CNN teacher's (conv32-conv64-dense256, batch 128) kernels on wasm, one at a time,
 * at the shapes a training step runs them: where a step's time goes, and an A/B harness for kernel changes.
 *   npx tsx scripts/speed/ops.ts [--reps 10]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

function time(name: string, reps: number, f: () => tf.Tensor): void {
  tf.tidy(f).dispose();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const y = tf.tidy(f);
    y.dataSync();
    ms.push(performance.now() - t0);
    y.dispose();
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(`${name.padEnd(34)} ${ms[ms.length >> 1].toFixed(2)} ms\n`);
}

async function main(): Promise<void> {
  await selectBackend(tf, 'wasm');
  tf.enableProdMode();
  const reps = Number(arg('reps') ?? 10);
  const relu = (t: tf.Tensor) => tf.relu(t);
  const x1 = tf.tidy(() => tf.mul(tf.randomUniform([128, 28, 28, 1]), tf.cast(tf.greater(tf.randomUniform([128, 28, 28, 1]), 0.8), 'float32')));
  const w1 = tf.randomNormal([3, 3, 1, 32], 0, 0.3) as tf.Tensor4D;
  const b1 = tf.zeros([32]);
  const x2 = tf.tidy(() => relu(tf.randomNormal([128, 14, 14, 32]))) as tf.Tensor4D;
  const w2 = tf.randomNormal([3, 3, 32, 64], 0, 0.1) as tf.Tensor4D;
  const b2 = tf.zeros([64]);
  const dy2 = tf.tidy(() =>
    tf.mul(tf.randomNormal([128, 14, 14, 64]), tf.cast(tf.greater(tf.randomUniform([128, 14, 14, 64]), 0.75), 'float32')),
  ) as tf.Tensor4D;
  const dy1 = tf.tidy(() =>
    tf.mul(tf.randomNormal([128, 28, 28, 32]), tf.cast(tf.greater(tf.randomUniform([128, 28, 28, 32]), 0.75), 'float32')),
  ) as tf.Tensor4D;
  const h = tf.tidy(() => relu(tf.randomNormal([128, 3136]))) as tf.Tensor2D;
  const wd = tf.randomNormal([3136, 256], 0, 0.02) as tf.Tensor2D;
  const bd = tf.zeros([256]);
  const dyd = tf.randomNormal([128, 256]) as tf.Tensor2D;
  time('conv1 fwd (fused relu)', reps, () => tf.fused.conv2d({ x: x1 as tf.Tensor4D, filter: w1, strides: 1, pad: 'same', bias: b1, activation: 'relu' }));
  time('conv2 fwd (fused relu)', reps, () => tf.fused.conv2d({ x: x2, filter: w2, strides: 1, pad: 'same', bias: b2, activation: 'relu' }));
  time('conv2 dx (Conv2DBackpropInput)', reps, () => tf.conv2dTranspose(dy2, w2, [128, 14, 14, 32], 1, 'same'));
  time(
    'conv2 dw (Conv2DBackpropFilter)',
    reps,
    () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: x2, dy: dy2 }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: [3, 3, 32, 64],
      } as never) as tf.Tensor,
  );
  time(
    'conv1 dw (Conv2DBackpropFilter)',
    reps,
    () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: x1, dy: dy1 }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: [3, 3, 1, 32],
      } as never) as tf.Tensor,
  );
  time('dense1 fwd (fused relu)', reps, () => tf.fused.matMul({ a: h, b: wd, bias: bd, activation: 'relu' }));
  time('dense1 dx = dy·Wᵀ', reps, () => tf.matMul(dyd, wd, false, true));
  time('dense1 dW = xᵀ·dy', reps, () => tf.matMul(h, dyd, true, false));
  time('maxPool 28→14 ×32', reps, () => tf.maxPool(dy1, 2, 2, 'valid'));
  time('relu 128×28×28×32', reps, () => tf.relu(dy1));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
