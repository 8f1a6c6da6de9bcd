import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/engine/backend/select';
import { setWinogradInTraining, winogradApplies, winogradStats } from '../../../../src/engine/backend/simd/winograd';

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

describe('Winograd F(2×2, 3×3) for 3×3 convolutions on wasm', function () {
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

  it('takes only what it can: 3×3, stride 1, ≥16 channels (multiples of 4), same/valid/explicit padding', () => {
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
    const explicit = [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ];
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { pad: explicit })), false, "explicit padding: not a layer's conv");
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { pad: explicit }), true), true, 'explicit H/W padding (input gradients)');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { pad: [[1, 0], ...explicit.slice(1)] }), true), false, 'batch padding');
    assert.equal(winogradApplies(tf, args([1, 8, 8, 16], [3, 3, 16, 16], { pad: [[0, 0], [-1, 0], ...explicit.slice(2)] }), true), false, 'a crop');
  });

  // A training step's forward (under a gradient) and its input gradient (dy with the flipped filter)
  // go through Winograd as well; the gradients are tfjs's, read from the saved x, filter and output.
  const trainingCases: { x: [number, number, number, number]; out: number; pad: 'same' | 'valid' }[] = [
    { x: [3, 14, 14, 32], out: 64, pad: 'same' },
    { x: [2, 9, 7, 16], out: 20, pad: 'valid' },
  ];
  for (const c of trainingCases) {
    it(`training: loss and every gradient equal the cpu backend's, through Winograd both ways: x ${c.x.join('×')} → ${c.out}, ${c.pad}, bias + ReLU`, async () => {
      const step = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const x = tf.tensor4d(
            values(
              c.x.reduce((a, b) => a * b),
              11,
            ),
            c.x,
          );
          const filter = tf.tensor4d(values(9 * c.x[3] * c.out, 12), [3, 3, c.x[3], c.out]);
          const bias = tf.tensor1d(values(c.out, 13));
          const f = (xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) => {
            const y = tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: fs as tf.Tensor4D, strides: 1, pad: c.pad, bias: bs as tf.Tensor1D, activation: 'relu' });
            return tf.sum(tf.mul(y, tf.tensor(values(y.size, 14), y.shape)));
          };
          const { value, grads } = tf.valueAndGrads(f)([x, filter, bias]);
          return [value.dataSync()[0], ...grads.map((g) => g.dataSync() as Float32Array)] as const;
        });
      };
      const ref = await step('cpu');
      const before = { ...winogradStats };
      const got = await step('wasm');
      assert.equal(winogradStats.training, before.training + 1, 'the training forward did not go through Winograd');
      assert.equal(winogradStats.inputGradient, before.inputGradient + 1, 'the input gradient did not go through Winograd');
      assert.ok(Math.abs(got[0] - ref[0]) <= 1e-4 * Math.max(1, Math.abs(ref[0])), `loss ${got[0]} vs ${ref[0]}`);
      ['dx', 'dfilter', 'dbias'].forEach((name, i) => {
        const r = ref[i + 1] as Float32Array;
        const g = got[i + 1] as Float32Array;
        const scale = Math.max(1, ...Array.from(r, Math.abs));
        let worst = 0;
        r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - g[j]))));
        assert.ok(worst <= 1e-4 * scale, `${name}: max abs error ${worst} (scale ${scale})`);
      });
    });
  }

  it("training keeps no transformed filter: a step's tensors are all freed, and the switch turns it off", async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values(2 * 8 * 8 * 16, 15), [2, 8, 8, 16]);
    const run = () => {
      const filter = tf.tensor4d(values(9 * 16 * 16, 16), [3, 3, 16, 16]);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([x, filter]);
      tf.dispose([filter, ...grads]);
    };
    run();
    const before = tf.memory().numTensors;
    const counted = winogradStats.training;
    run();
    assert.equal(tf.memory().numTensors, before, 'tensors left after a training step');
    assert.equal(winogradStats.training, counted + 1);
    setWinogradInTraining(false);
    try {
      run();
      assert.equal(winogradStats.training, counted + 1, 'Winograd ran though switched off');
      assert.equal(tf.memory().numTensors, before, "switched off, the input gradient's conv kept a transformed filter");
    } finally {
      setWinogradInTraining(undefined);
    }
    x.dispose();
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
