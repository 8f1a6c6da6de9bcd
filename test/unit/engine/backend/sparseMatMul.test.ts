import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/engine/backend/select';
import { setSparseMaxDensity, sparseMatMulStats, sparsePackedBytes } from '../../../../src/engine/backend/simd/sparseMatMul';
import { setFmaGemm } from '../../../../src/engine/backend/simd/fmaGemm';

/** Deterministic values in [-0.5, 0.5), a fraction `density` of them non-zero. */
function sparseValues(n: number, seed: number, density: number): Float32Array {
  let s = seed >>> 0;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return Float32Array.from({ length: n }, () => {
    const keep = next() < density;
    const v = next() - 0.5;
    return keep ? v : 0;
  });
}

type Case = { m: number; k: number; n: number; density: number; bias: boolean; relu: boolean; rank3?: boolean };

/** The product on the current backend: `recorded` runs it with a gradient tape open (training). */
function product(c: Case, recorded: boolean): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const lead = c.rank3 ? [1] : [];
    const a = tf.tensor(sparseValues(c.m * c.k, 1, c.density), [...lead, c.m, c.k]);
    const b = tf.tensor(sparseValues(c.k * c.n, 2, 1), [...lead, c.k, c.n]);
    const bias = c.bias ? tf.tensor1d(sparseValues(c.n, 3, 1)) : undefined;
    const run = (w: tf.Tensor) => tf.fused.matMul({ a, b: w, bias, activation: c.relu ? 'relu' : 'linear' });
    if (!recorded) {
      const y = run(b);
      return { data: y.dataSync() as Float32Array, shape: y.shape };
    }
    const w = tf.variable(b);
    let y!: tf.Tensor;
    tf.variableGrads(() => tf.sum((y = tf.keep(run(w)))) as tf.Scalar, [w]);
    w.dispose();
    return { data: y.dataSync() as Float32Array, shape: y.shape };
  });
}

describe('sparse matmul on wasm (simd/sparseMatMul.ts)', function () {
  this.timeout(60000);

  before(async () => {
    await selectBackend(tf, 'wasm');
    // The dense products these compare with are XNNPACK's (its order of adds, no fused multiply-add).
    setFmaGemm(false);
  });

  after(() => setFmaGemm(undefined));

  afterEach(async () => {
    setSparseMaxDensity(undefined);
    await tf.setBackend('wasm');
  });

  // Multi-chunk k (> 256), panel tails of 4 and of 1 column, a single column, empty rows, rank 3.
  const cases: Case[] = [
    { m: 20, k: 70, n: 50, density: 0.5, bias: true, relu: true },
    { m: 37, k: 300, n: 29, density: 0.2, bias: true, relu: true },
    { m: 37, k: 300, n: 29, density: 0.4, bias: false, relu: false },
    { m: 128, k: 784, n: 50, density: 0.19, bias: true, relu: false, rank3: true },
    { m: 128, k: 600, n: 1, density: 0.1, bias: false, relu: true },
    { m: 16, k: 520, n: 48, density: 0, bias: true, relu: true },
  ];
  for (const c of cases) {
    for (const recorded of [false, true]) {
      const name = `${c.m}×${c.k} (${c.density * 100} % non-zero) · ${c.k}×${c.n}${c.bias ? ' + bias' : ''}${c.relu ? ', ReLU' : ''}${c.rank3 ? ', rank 3' : ''}, ${recorded ? 'training (b read in place)' : 'inference (b packed)'}`;
      it(`equals XNNPACK bit for bit and the cpu backend to 1e-5: ${name}`, async () => {
        const before = sparseMatMulStats.sparse;
        const sparse = product(c, recorded);
        assert.ok(sparseMatMulStats.sparse > before, 'the sparse path did not run');
        setSparseMaxDensity(0);
        const xnnpack = product(c, recorded);
        await tf.setBackend('cpu');
        const cpu = product(c, recorded);
        assert.deepEqual(sparse.shape, cpu.shape);
        assert.deepEqual(sparse.data, xnnpack.data);
        let worst = 0;
        cpu.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - sparse.data[i]))));
        assert.ok(worst < 1e-5, `max abs error against cpu ${worst}`);
      });
    }
  }

  it('leaves a dense left operand to XNNPACK', () => {
    const before = { ...sparseMatMulStats };
    product({ m: 64, k: 256, n: 32, density: 0.9, bias: true, relu: true }, false);
    assert.equal(sparseMatMulStats.sparse, before.sparse);
    assert.ok(sparseMatMulStats.dense > before.dense);
  });

  it('a NaN in the sparse operand still reaches the output', () => {
    const y = tf.tidy(() => {
      const a = tf.buffer([8, 64], 'float32');
      a.set(NaN, 3, 10);
      return tf.matMul(a.toTensor(), tf.ones([64, 40])).dataSync();
    });
    assert.ok(Number.isNaN(y[3 * 40]) && Number.isNaN(y[3 * 40 + 39]));
    assert.equal(y[0], 0);
  });

  it('trains a dense layer on sparse inputs to exactly the weights XNNPACK gives', () => {
    const trainWeights = () => {
      const w = tf.variable(tf.tensor2d(sparseValues(300 * 64, 5, 1), [300, 64]));
      const w2 = tf.variable(tf.tensor2d(sparseValues(64 * 10, 6, 1), [64, 10]));
      const x = tf.tensor2d(sparseValues(32 * 300, 7, 0.2), [32, 300]);
      const optimizer = tf.train.sgd(0.1);
      for (let step = 0; step < 3; step++) {
        optimizer.minimize(() => tf.mean(tf.square(tf.matMul(tf.relu(tf.matMul(x, w)), w2))) as tf.Scalar);
      }
      const out = [w.dataSync().slice(), w2.dataSync().slice()];
      tf.dispose([w, w2, x]);
      optimizer.dispose();
      return out;
    };
    const sparse = trainWeights();
    setSparseMaxDensity(0);
    const dense = trainWeights();
    assert.deepEqual(sparse, dense);
  });

  it('frees a packed weight once the weight is gone', () => {
    const run = (b: tf.Tensor) => tf.tidy(() => tf.matMul(tf.tensor2d(sparseValues(16 * 96, 9, 0.2), [16, 96]), b).dataSync());
    const b1 = tf.tensor2d(sparseValues(96 * 50, 1, 1), [96, 50]);
    run(b1);
    const one = sparsePackedBytes();
    assert.ok(one >= 96 * 50 * 4, `packed bytes ${one}`);
    run(b1);
    assert.equal(sparsePackedBytes(), one, 'the same weight is packed once');
    b1.dispose();
    const b2 = tf.tensor2d(sparseValues(96 * 50, 2, 1), [96, 50]);
    run(b2);
    assert.equal(sparsePackedBytes(), one, "b1's panels were freed when b2's were made");
    b2.dispose();
  });
});
