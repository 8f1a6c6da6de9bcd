/**
 * Interleaved A/B (one process) of Winograd in training for the teacher's second conv (128×14×14, 32 → 64):
 * its input gradient (Conv2DBackpropInput) and its forward, switch on and off in alternating rounds.
 *   npx tsx scripts/speed/winogradAB.ts [--rounds 10]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';
import { setWinogradInTraining } from '../../src/engine/backend/simd/winograd';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function main(): Promise<void> {
  await selectBackend(tf, 'wasm');
  tf.enableProdMode();
  const rounds = Number(arg('rounds') ?? 10);
  const x = tf.relu(tf.randomNormal([128, 14, 14, 32])) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 32, 64], 0, 0.1) as tf.Tensor4D;
  const b = tf.zeros([64]) as tf.Tensor1D;
  const dy = tf.randomNormal([128, 14, 14, 64]) as tf.Tensor4D;
  const ops: Record<string, () => tf.Tensor> = {
    'input gradient': () => tf.conv2dTranspose(dy, w, [128, 14, 14, 32], 1, 'same'),
    // Under a gradient, as a training step's forward runs (the sum's gradient is cheap next to the conv's).
    'forward + its gradients': () => {
      const [gx] = tf.grads((a: tf.Tensor) =>
        tf.sum(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: w, strides: 1, pad: 'same', bias: b, activation: 'relu' })),
      )([x]);
      return gx;
    },
  };
  for (const [name, op] of Object.entries(ops)) {
    const ms: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let r = 0; r < rounds * 2; r++) {
      const on = r % 2 === 0;
      setWinogradInTraining(on);
      const t0 = performance.now();
      const y = tf.tidy(op);
      await y.data();
      if (r >= 2) ms[on ? 'on' : 'off'].push(performance.now() - t0);
      y.dispose();
    }
    setWinogradInTraining(undefined);
    process.stdout.write(`${name}: on ${median(ms.on).toFixed(1)} ms, off ${median(ms.off).toFixed(1)} ms\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
