import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/engine/backend/select';
import { winogradApplies } from '../../../../src/engine/backend/simd/winograd';

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

type Case = { x: [number, number, number, number]; out: number; pad: 'same' | 'valid'; fused: boolean };

async function convOn(backend: string, c: Case, seed = 1): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(
      values(
        c.x.reduce((a, b) => a * b),
        seed,
      ),
      c.x,
    );
    const filter = tf.tensor4d(values(9 * c.x[3] * c.out, seed + 1), [3, 3, c.x[3], c.out]);
    const y = c.fused
      ? tf.fused.conv2d({ x, filter, strides: 1, pad: c.pad, bias: tf.tensor1d(values(c.out, seed + 2)), activation: 'relu' })
      : tf.conv2d(x, filter, 1, c.pad);
    return { shape: y.shape, data: y.dataSync() as Float32Array };
  });
}

describe('Winograd F(2×2, 3×3) for inference convolutions on wasm', function () {
  this.timeout(60000);

  before(async () => {
    await selectBackend(tf, 'wasm');
  });

  after(async () => {
    await tf.setBackend('wasm');
  });

  // Odd and even sizes (partial tiles at the edge), both paddings, with and without bias + ReLU.
  const cases: Case[] = [
    { x: [2, 9, 9, 16], out: 16, pad: 'same', fused: true },
    { x: [3, 14, 14, 32], out: 64, pad: 'same', fused: false },
    { x: [2, 7, 10, 16], out: 20, pad: 'valid', fused: true },
    { x: [1, 5, 6, 20], out: 16, pad: 'valid', fused: false },
    { x: [2, 8, 8, 8], out: 16, pad: 'same', fused: true }, // 8 input channels: wasm's own kernel
  ];
  for (const c of cases) {
    it(`equals the cpu backend's convolution: x ${c.x.join('×')} → ${c.out}, ${c.pad}${c.fused ? ', bias + ReLU' : ''}`, async () => {
      const ref = await convOn('cpu', c);
      const got = await convOn('wasm', c);
      assert.deepEqual(got.shape, ref.shape);
      let worst = 0;
      ref.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got.data[i]))));
      assert.ok(worst < 1e-4, `max abs error ${worst}`);
    });
  }

  it('takes only what it can: 3×3, stride 1, ≥16 channels (multiples of 4), no gradient being recorded', () => {
    const info = (shape: number[], dtype = 'float32') => ({ shape, dtype, dataId: {} }) as unknown as tf.TensorInfo;
    const args = (x: number[], f: number[], attrs: object = {}) => ({
      inputs: { x: info(x), filter: info(f) },
      backend: tf.backend(),
      attrs: { strides: 1, dilations: 1, pad: 'same', dataFormat: 'NHWC', ...attrs },
    });
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16])), true);
    assert.equal(winogradApplies(tf, args([1, 8, 8, 8], [3, 3, 8, 16])), false, 'too few input channels');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 18], [3, 3, 18, 16])), false, 'not a multiple of 4');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [5, 5, 16, 16])), false, '5×5');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { strides: 2 })), false, 'stride 2');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { activation: 'elu' })), false, 'elu');
    let underGradient: boolean | undefined;
    tf.grad((x: tf.Tensor) => {
      underGradient = winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16]));
      return tf.sum(x);
    })(tf.scalar(1));
    assert.equal(underGradient, false, "a training forward keeps XNNPACK (and tfjs's gradients)");
  });

  it('keeps one transformed filter per live filter, and frees it when the filter goes', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values(2 * 6 * 6 * 16, 3), [2, 6, 6, 16]);
    const first = tf.tensor4d(values(9 * 16 * 16, 4), [3, 3, 16, 16]);
    tf.tidy(() => {
      tf.conv2d(x, first, 1, 'same');
    });
    const withFirst = tf.memory().numTensors;
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        tf.conv2d(x, first, 1, 'same');
      });
    assert.equal(tf.memory().numTensors, withFirst, 'no tensors leak per call with the same filter');
    // A new filter in place of the old one (as after an optimiser step): the old one's 16
    // transformed matrices go with it, the new one's come, and the count stays.
    first.dispose();
    const second = tf.tensor4d(values(9 * 16 * 16, 5), [3, 3, 16, 16]);
    tf.tidy(() => {
      tf.conv2d(x, second, 1, 'same');
    });
    assert.equal(tf.memory().numTensors, withFirst, "the gone filter's matrices were freed (else 16 more)");
    second.dispose();
    x.dispose();
  });
});
