/**
 * The fused multiply-add GEMM (simd/fma.wat, relaxed SIMD): the products a training step takes
 * through BatchMatMul and _FusedMatMul, against the cpu backend, on the shapes the kernel treats
 * apart (odd rows, b in place or packed, bias, ReLU, rank 3), and whole training steps.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/engine/backend/select';
import { fmaAvailable, fmaMatMulStats, setFmaGemm } from '../../../../src/engine/backend/simd/fmaGemm';
import { FMA_KERNELS_BASE64 } from '../../../../src/engine/backend/simd/fmaBinary';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

type Case = { m: number; k: number; n: number; bias?: boolean; relu?: boolean; rank3?: boolean };

function product(c: Case): { data: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const lead = c.rank3 ? [1] : [];
    const a = tf.tensor(values(c.m * c.k, 1), [...lead, c.m, c.k]);
    const b = tf.tensor(values(c.k * c.n, 2), [...lead, c.k, c.n]);
    const bias = c.bias ? tf.tensor1d(values(c.n, 3)) : undefined;
    const y = tf.fused.matMul({ a, b, bias, activation: c.relu ? 'relu' : 'linear' });
    return { data: y.dataSync() as Float32Array, shape: y.shape };
  });
}

describe('fused multiply-add GEMM on wasm (simd/fmaGemm.ts)', function () {
  this.timeout(60000);

  before(async () => {
    await selectBackend(tf, 'wasm');
    setFmaGemm(true);
  });

  after(() => setFmaGemm(undefined));

  afterEach(async () => {
    setFmaGemm(true);
    await tf.setBackend('wasm');
  });

  it('runs here: Node 20 gets relaxed SIMD from the flag set before the first compile', () => {
    assert.ok(fmaAvailable(), `relaxed SIMD is not available on Node ${process.version}: the fused path is off and XNNPACK runs`);
  });

  // In place (n ≤ 64) and packed (n > 64); an odd last row; the Winograd and dense shapes of the CNN teacher.
  const cases: Case[] = [
    { m: 7, k: 300, n: 16, bias: true, relu: true },
    { m: 33, k: 64, n: 48 },
    { m: 128, k: 784, n: 80, bias: true, rank3: true },
    { m: 6272, k: 32, n: 64 },
    { m: 128, k: 3136, n: 256, bias: true, relu: true },
    { m: 1, k: 4096, n: 32, bias: true },
  ];
  for (const c of cases) {
    it(`equals the cpu backend to float rounding: ${c.m}×${c.k} · ${c.k}×${c.n}${c.bias ? ' + bias' : ''}${c.relu ? ', ReLU' : ''}${c.rank3 ? ', rank 3' : ''}`, async () => {
      const before = fmaMatMulStats.fma;
      const fused = product(c);
      assert.equal(fmaMatMulStats.fma, before + 1, 'the fused path did not run');
      await tf.setBackend('cpu');
      const cpu = product(c);
      assert.deepEqual(fused.shape, cpu.shape);
      let worst = 0;
      let scale = 0;
      cpu.data.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - fused.data[i]));
        scale = Math.max(scale, Math.abs(v));
      });
      assert.ok(worst <= 2e-6 * Math.sqrt(c.k) * Math.max(1, scale), `max abs error ${worst} (outputs up to ${scale})`);
    });
  }

  it('the committed fmaBinary.ts is fma.wat assembled (run `npm run gen:simd` after editing the .wat)', async () => {
    const { assembleFmaKernels } = (await import(path.join(ROOT, 'scripts', 'gen-simd-kernels.mjs'))) as { assembleFmaKernels: () => Promise<Buffer> };
    const fresh = await assembleFmaKernels();
    assert.equal(Buffer.from(FMA_KERNELS_BASE64, 'base64').toString('hex'), fresh.toString('hex'));
  });

  it('is on by default where V8 has relaxed SIMD; DISTILLERY_FMA=0 leaves the products to XNNPACK', () => {
    const saved = process.env.DISTILLERY_FMA;
    delete process.env.DISTILLERY_FMA;
    try {
      setFmaGemm(undefined);
      const before = fmaMatMulStats.fma;
      product({ m: 128, k: 256, n: 64 });
      assert.equal(fmaMatMulStats.fma, before + 1);
      process.env.DISTILLERY_FMA = '0';
      product({ m: 128, k: 256, n: 64 });
      assert.equal(fmaMatMulStats.fma, before + 1);
    } finally {
      if (saved === undefined) delete process.env.DISTILLERY_FMA;
      else process.env.DISTILLERY_FMA = saved;
    }
  });

  it('leaves to XNNPACK what it does not do: n not a multiple of 16, tiny products, and everything when off; a transposed product is made plain first', () => {
    const before = fmaMatMulStats.fma;
    product({ m: 128, k: 256, n: 10 });
    product({ m: 4, k: 16, n: 16 });
    setFmaGemm(false);
    product({ m: 128, k: 256, n: 64 });
    assert.equal(fmaMatMulStats.fma, before);
    setFmaGemm(true);
    // wasmGradients.ts transposes explicitly (a transposed XNNPACK product is 8× slower), then multiplies.
    const y = tf.tidy(() => tf.matMul(tf.ones([64, 128]), tf.ones([64, 128]), false, true).dataSync());
    assert.equal(fmaMatMulStats.fma, before + 1);
    assert.ok(y.every((v) => v === 128));
  });

  it('a dense layer trains to the weights of XNNPACK to float rounding, and leaks nothing', () => {
    const train = () => {
      const w = tf.variable(tf.tensor2d(values(300 * 64, 5), [300, 64]));
      const w2 = tf.variable(tf.tensor2d(values(64 * 16, 6), [64, 16]));
      const x = tf.tensor2d(values(96 * 300, 7), [96, 300]);
      const optimizer = tf.train.sgd(0.1);
      const counts: number[] = [];
      for (let step = 0; step < 5; step++) {
        optimizer.minimize(() => tf.mean(tf.square(tf.matMul(tf.relu(tf.matMul(x, w)), w2))) as tf.Scalar);
        counts.push(tf.memory().numTensors);
      }
      const out = [w.dataSync().slice(), w2.dataSync().slice()];
      tf.dispose([w, w2, x]);
      optimizer.dispose();
      return { out, counts };
    };
    const before = fmaMatMulStats.fma;
    const fused = train();
    assert.ok(fmaMatMulStats.fma >= before + 10, `the fused path ran ${fmaMatMulStats.fma - before} times in 5 steps`);
    assert.equal(new Set(fused.counts).size, 1, `tensors per step: ${fused.counts.join(', ')}`);
    setFmaGemm(false);
    const xnnpack = train();
    let worst = 0;
    fused.out.forEach((w, i) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - xnnpack.out[i][j])))));
    assert.ok(worst > 0 && worst < 1e-5, `max weight difference ${worst}`);
  });
});
