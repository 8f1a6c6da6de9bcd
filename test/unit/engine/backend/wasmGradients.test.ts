import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { convGradStats } from '../../../../src/engine/backend/simd/convFilterGrad';
import { installWasmTrainingKernels, missingTrainingKernels, WASM_TRAINING_KERNELS } from '../../../../src/engine/backend/wasmGradients';

// Each gradient computed on wasm (with our kernels) is compared with the same
// gradient on the cpu backend, whose kernels are tfjs's reference ones.
const TOLERANCE = 1e-4;

/** Deterministic data so both backends see identical inputs. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomArray(shape: number[], seed: number): Float32Array {
  const next = seededRandom(seed);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = next();
  return out;
}

type Case = { inputs: { shape: number[]; data: Float32Array }[]; forward: (...xs: tf.Tensor[]) => tf.Tensor };

/** Gradients of sum(forward(inputs) * randomWeights) w.r.t. every input. */
async function gradientsOn(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = c.inputs.map((i) => tf.tensor(i.data, i.shape));
    const outShape = tf.tidy(() => c.forward(...xs).shape);
    const weights = tf.tensor(randomArray(outShape, 99), outShape);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(c.forward(...args), weights)))(xs);
    return grads.map((g, i) => {
      assert.deepEqual(g.shape, c.inputs[i].shape, `gradient ${i} shape on ${backend}`);
      return g.dataSync() as Float32Array;
    });
  });
}

async function maxGradientError(c: Case): Promise<number> {
  const reference = await gradientsOn('cpu', c);
  const candidate = await gradientsOn('wasm', c);
  let worst = 0;
  reference.forEach((ref, i) => {
    for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(ref[j] - candidate[i][j]));
  });
  return worst;
}

const errors: Record<string, number> = {};
async function expectMatch(name: string, c: Case): Promise<void> {
  const err = await maxGradientError(c);
  errors[name] = err;
  assert.ok(err <= TOLERANCE, `${name}: max abs error ${err} > ${TOLERANCE}`);
}

const input = (shape: number[], seed: number) => ({ shape, data: randomArray(shape, seed) });
const quantized = (shape: number[], seed: number) => ({ shape, data: randomArray(shape, seed).map((v) => Math.round(v * 4) / 4) });

describe('wasm training kernels', function () {
  this.timeout(60000);

  before(async () => {
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    installWasmTrainingKernels(tf);
    installWasmTrainingKernels(tf); // idempotent
  });

  after(async () => {
    const worst = Object.entries(errors)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    console.log('      worst max-abs errors:', worst.map(([k, v]) => `${k}=${v.toExponential(1)}`).join(', '));
    await tf.setBackend('cpu');
  });

  it('reports no missing training kernels on wasm after install, and names a missing one', async () => {
    await tf.setBackend('wasm');
    assert.deepEqual(missingTrainingKernels(tf, [...WASM_TRAINING_KERNELS, 'GatherV2']), []);
    assert.deepEqual(missingTrainingKernels(tf, ['Conv2D', 'NoSuchKernel']), ['NoSuchKernel']);
  });

  const convShapes: { x: number[]; f: number[] }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 4] },
    { x: [3, 8, 7, 2], f: [2, 3, 2, 5] },
    { x: [2, 12, 12, 4], f: [5, 5, 4, 3] },
    { x: [4, 6, 6, 1], f: [1, 1, 1, 2] },
    { x: [3, 11, 11, 1], f: [3, 3, 1, 4] },
  ];
  for (const { x, f } of convShapes) {
    for (const stride of [1, 2] as const) {
      for (const pad of ['same', 'valid'] as const) {
        const label = `x${x.join('x')} f${f.join('x')} s${stride} ${pad}`;
        it(`conv2d gradients match cpu: ${label}`, async () => {
          await expectMatch(`conv2d ${label}`, {
            inputs: [input(x, 1), input(f, 2)],
            forward: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
          });
        });
        it(`fused conv2d (bias, relu) gradients match cpu: ${label}`, async () => {
          await expectMatch(`fused conv2d ${label}`, {
            inputs: [input(x, 3), input(f, 4), input([f[3]], 5)],
            forward: (a, b, bias) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: stride, pad, bias, activation: 'relu' }),
          });
        });
      }
    }
  }

  // x mostly zeros (pixels, pooled ReLU outputs) at stride 1: the filter gradient comes from
  // x's non-zeros (simd/convFilterGrad.ts); 40 images of 16×16×28 run in three slices; 28 output channels take the 16-, 8- and 4-wide loops.
  const sparseConvShapes: { x: number[]; f: number[] }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 4] },
    { x: [3, 11, 11, 1], f: [3, 3, 1, 8] },
    { x: [2, 12, 12, 4], f: [5, 5, 4, 12] },
    { x: [3, 8, 7, 2], f: [2, 3, 2, 8] },
    { x: [40, 16, 16, 2], f: [3, 3, 2, 28] },
  ];
  for (const { x, f } of sparseConvShapes) {
    for (const pad of ['same', 'valid'] as const) {
      const label = `x${x.join('x')} f${f.join('x')} ${pad}, x 70 % zeros`;
      it(`conv2d gradients match cpu: ${label}`, async () => {
        const before = convGradStats.sparse;
        await expectMatch(`conv2d ${label}`, {
          inputs: [{ shape: x, data: randomArray(x, 6).map((v) => (v < 0.2 ? 0 : v)) }, input(f, 7)],
          forward: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad),
        });
        assert.equal(convGradStats.sparse, before + 1, 'the sparse filter gradient did not run');
      });
    }
  }

  it('a large layer (16 → 20 channels) with dense x keeps the XNNPACK route, and matches cpu', async () => {
    const before = convGradStats.sparse;
    await expectMatch('conv2d dense large', {
      inputs: [input([2, 6, 6, 16], 8), input([3, 3, 16, 20], 9)],
      forward: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'),
    });
    assert.equal(convGradStats.sparse, before);
  });

  it('conv2d gradients match cpu with explicit padding', async () => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ];
    for (const stride of [1, 2]) {
      await expectMatch(`conv2d explicit pad s${stride}`, {
        inputs: [input([2, 7, 8, 3], 6), input([3, 3, 3, 2], 7)],
        forward: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
      });
    }
  });

  const depthwiseShapes: { x: number[]; f: number[] }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 1] },
    { x: [3, 8, 7, 4], f: [3, 2, 4, 1] },
    { x: [2, 10, 10, 2], f: [3, 3, 2, 3] },
    { x: [2, 11, 11, 3], f: [5, 5, 3, 2] },
  ];
  for (const { x, f } of depthwiseShapes) {
    for (const stride of [1, 2] as const) {
      for (const pad of ['same', 'valid'] as const) {
        const label = `x${x.join('x')} f${f.join('x')} s${stride} ${pad}`;
        it(`depthwiseConv2d gradients match cpu: ${label}`, async () => {
          await expectMatch(`depthwise ${label}`, {
            inputs: [input(x, 8), input(f, 9)],
            forward: (a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
          });
        });
      }
    }
  }

  it('separableConv2d (depthwise then pointwise) gradients match cpu', async () => {
    await expectMatch('separable', {
      inputs: [input([2, 8, 8, 3], 10), input([3, 3, 3, 2], 11), input([1, 1, 6, 4], 12)],
      forward: (a, d, p) => tf.separableConv2d(a as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'same'),
    });
  });

  const poolCases: { x: number[]; size: number; stride: number }[] = [
    { x: [2, 8, 8, 3], size: 2, stride: 2 },
    { x: [3, 9, 7, 2], size: 2, stride: 2 },
    { x: [2, 9, 9, 3], size: 3, stride: 2 },
    { x: [2, 7, 8, 2], size: 3, stride: 1 },
    { x: [2, 10, 10, 1], size: 3, stride: 3 },
    // Four channels at a time in the SIMD kernel, then the rest one by one.
    { x: [2, 6, 6, 8], size: 2, stride: 2 },
    { x: [2, 7, 9, 7], size: 3, stride: 2 },
    // 2×2 / 2 with channels in fours: the one-pass kernel; odd sides 'valid' leave a zeroed edge.
    { x: [3, 9, 7, 4], size: 2, stride: 2 },
    { x: [2, 6, 10, 12], size: 2, stride: 2 },
  ];
  for (const { x, size, stride } of poolCases) {
    for (const pad of ['same', 'valid'] as const) {
      const label = `x${x.join('x')} pool${size} s${stride} ${pad}`;
      it(`maxPool gradients match cpu, with all-negative windows and tied maxima: ${label}`, async () => {
        await expectMatch(`maxPool ${label}`, {
          // Values on a grid of quarters in [-0.5, 0.5]: many windows hold tied maxima (the
          // gradient must go to the first, row-major, as on cpu) and some are all negative.
          // The input goes straight into the pool, so where each window's dy lands is what
          // the gradient shows.
          inputs: [quantized(x, 30)],
          forward: (a) => tf.maxPool(a as tf.Tensor4D, size, stride, pad),
        });
      });
    }
  }

  it('gather gradients (UnsortedSegmentSum) match cpu, with repeated indices, on both axes', async () => {
    const indices = [3, 0, 3, 7, 1, 3, 0];
    for (const axis of [0, 1]) {
      await expectMatch(`gather axis ${axis}`, {
        inputs: [input(axis === 0 ? [8, 5] : [4, 8, 3], 13)],
        forward: (p) => tf.gather(p, tf.tensor1d(indices, 'int32'), axis),
      });
    }
  });

  it('unsortedSegmentSum matches cpu, dropping ids outside [0, numSegments)', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(randomArray([6, 2, 3], 14), [6, 2, 3]);
        const ids = tf.tensor1d([2, -1, 0, 2, 4, 1], 'int32');
        return tf.unsortedSegmentSum(x, ids, 4).arraySync();
      });
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    assert.deepEqual(
      (wasm as number[][][]).map((r) => r.map((c) => c.map((v) => v.toFixed(5)))),
      (cpu as number[][][]).map((r) => r.map((c) => c.map((v) => v.toFixed(5)))),
    );
  });

  for (const [tA, tB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`matMul gradients match cpu (transposeA=${tA}, transposeB=${tB}), rank 2 and batched rank 3`, async () => {
      await expectMatch(`matMul 2D ${tA}${tB}`, {
        inputs: [input(tA ? [7, 5] : [5, 7], 15), input(tB ? [4, 7] : [7, 4], 16)],
        forward: (a, b) => tf.matMul(a, b, tA, tB),
      });
      await expectMatch(`matMul 3D ${tA}${tB}`, {
        inputs: [input(tA ? [3, 7, 5] : [3, 5, 7], 17), input(tB ? [3, 4, 7] : [3, 7, 4], 18)],
        forward: (a, b) => tf.matMul(a, b, tA, tB),
      });
      await expectMatch(`fused matMul ${tA}${tB}`, {
        inputs: [input(tA ? [7, 5] : [5, 7], 19), input(tB ? [4, 7] : [7, 4], 20), input([4], 21)],
        forward: (a, b, bias) => tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias, activation: 'relu' }),
      });
    });
  }

  it('matMul gradient sums over broadcast batch dims (equal to explicitly tiling the operand)', async () => {
    for (const [backend, bShape] of [
      ['cpu', [1, 7, 4]],
      ['wasm', [1, 7, 4]],
      ['cpu', [7, 4]],
      ['wasm', [7, 4]],
    ] as const) {
      await tf.setBackend(backend);
      tf.tidy(() => {
        const a = tf.tensor(randomArray([3, 5, 7], 22), [3, 5, 7]);
        const b = tf.tensor(randomArray([...bShape], 23), [...bShape]);
        const w = tf.tensor(randomArray([3, 5, 4], 24), [3, 5, 4]);
        const broadcast = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b]);
        const tiled = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, tf.tile(tf.reshape(y, [1, 7, 4]), [3, 1, 1])), w)))([a, b]);
        for (let i = 0; i < 2; i++) {
          assert.deepEqual(broadcast[i].shape, tiled[i].shape);
          const err = tf.max(tf.abs(tf.sub(broadcast[i], tiled[i]))).dataSync()[0];
          assert.ok(err < 1e-4, `${backend}: broadcast grad ${i} differs by ${err}`);
        }
      });
    }
  });

  it('frees every intermediate tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(randomArray([2, 8, 8, 3], 25), [2, 8, 8, 3]) as tf.Tensor4D;
    const f = tf.tensor(randomArray([3, 3, 3, 2], 26), [3, 3, 3, 2]) as tf.Tensor4D;
    const d = tf.tensor(randomArray([3, 3, 3, 2], 27), [3, 3, 3, 2]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.add(tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')), tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 2, 'same'))),
    )([x, f, d]);
    assert.equal(tf.memory().numTensors, before + 3);
    tf.dispose([...grads, x, f, d]);
  });

  it('trains a tf.layers conv → maxpool → dense model with Adam on wasm (loss goes down)', async () => {
    await tf.setBackend('wasm');
    const model = tf.sequential({
      layers: [
        // Seeded initialisers: the same start every run, so the test cannot pass or fail by chance.
        tf.layers.conv2d({
          inputShape: [12, 12, 1],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    const x = tf.tensor(randomArray([32, 12, 12, 1], 28), [32, 12, 12, 1]);
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 32 }, (_, i) => i % 3),
        'int32',
      ),
      3,
    );
    const optimizer = tf.train.adam(0.01);
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x) as tf.Tensor) as tf.Scalar, true) as tf.Scalar;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(losses.every(Number.isFinite), `losses: ${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0] * 0.9, `loss did not go down: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    tf.dispose([x, labels]);
    model.dispose();
    optimizer.dispose();
  });
});
