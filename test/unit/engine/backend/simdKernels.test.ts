import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SIMD_KERNELS_BASE64 } from '../../../../src/engine/backend/simd/kernelsBinary';
import { withSimdAdam } from '../../../../src/engine/backend/simd/adam';
import { leadingAxes } from '../../../../src/engine/backend/simd/sumLeadingAxes';
import { selectBackend } from '../../../../src/engine/backend/select';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

// Sizes off and on multiples of 4, so the SIMD loop and its scalar tail both run.
const SHAPES = [[7, 5], [3], [64, 33], [16]];

/** Trains copies of the same variables for `steps` Adam steps, fed the same gradients, with a changing learning rate. */
function train(makeOptimizer: () => tf.Optimizer, steps: number): { weights: Float32Array[]; slots: Float32Array[]; leaked: number } {
  const vars = SHAPES.map((shape, i) =>
    tf.variable(
      tf.tensor(
        values(
          shape.reduce((a, b) => a * b, 1),
          i + 1,
        ),
        shape,
      ),
    ),
  );
  const optimizer = makeOptimizer();
  let leaked = 0;
  for (let step = 0; step < steps; step++) {
    const before = tf.memory().numTensors;
    (optimizer as unknown as { learningRate: number }).learningRate = 0.01 / (1 + step);
    const grads = tf.tidy(() => Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(values(v.size, 100 * step + i), v.shape)])));
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    if (step > 0) leaked += tf.memory().numTensors - before; // step 0 creates the slots
  }
  const weights = vars.map((v) => v.dataSync() as Float32Array);
  const slots = optimizer as unknown as { accumulatedFirstMoment: { variable: tf.Variable }[]; accumulatedSecondMoment: { variable: tf.Variable }[] };
  const slotValues = [...slots.accumulatedFirstMoment, ...slots.accumulatedSecondMoment].map((s) => s.variable.dataSync() as Float32Array);
  optimizer.dispose();
  vars.forEach((v) => v.dispose());
  return { weights, slots: slotValues, leaked };
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => x.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

describe('SIMD kernels (simd/kernels.wat)', function () {
  this.timeout(60000);

  before(async () => {
    // The engine's own way onto wasm: its files located, the training kernels installed.
    await selectBackend(tf, 'wasm');
  });

  it('the committed kernelsBinary.ts is kernels.wat assembled (run `npm run gen:simd` after editing the .wat)', async () => {
    const { assembleSimdKernels } = (await import(path.join(ROOT, 'scripts', 'gen-simd-kernels.mjs'))) as { assembleSimdKernels: () => Promise<Buffer> };
    const fresh = await assembleSimdKernels();
    assert.equal(Buffer.from(SIMD_KERNELS_BASE64, 'base64').toString('hex'), fresh.toString('hex'));
    assert.match(readFileSync(path.join(ROOT, 'src/engine/backend/simd/kernels.wat'), 'utf8'), /\(export "adam"\)/);
  });

  it('leadingAxes recognises sums over axes 0..k-1 only', () => {
    assert.equal(leadingAxes([0, 1, 2], 4), 3);
    assert.equal(leadingAxes([2, 0, 1], 4), 3);
    assert.equal(leadingAxes([-4, -3], 4), 2);
    assert.equal(leadingAxes(0, 2), 1);
    assert.equal(leadingAxes([1, 2], 4), 0);
    assert.equal(leadingAxes([0, 1, 2, 3], 4), 0, "a full reduction stays wasm's");
    assert.equal(leadingAxes(undefined, 3), 0);
  });

  it("Sum on wasm equals cpu for leading-axes sums (SIMD) and every other reduction (wasm's own)", async () => {
    const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
      { shape: [64, 7, 7, 8], axis: [0, 1, 2] }, // a conv bias gradient
      { shape: [128, 10], axis: 0 }, // a dense bias gradient
      { shape: [5, 3, 7], axis: [0, 1], keepDims: true }, // cols = 7: the scalar tail
      { shape: [9, 6], axis: -2 },
      { shape: [4, 6, 5], axis: [1, 2] }, // not leading: wasm's kernel
      { shape: [4, 6], axis: [0, 1] }, // full: wasm's kernel
    ];
    for (const c of cases) {
      const data = values(
        c.shape.reduce((a, b) => a * b, 1),
        7,
      );
      const on = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf.sum(tf.tensor(data, c.shape), c.axis, c.keepDims);
          return { shape: y.shape, data: y.dataSync() as Float32Array };
        });
      };
      const ref = await on('cpu');
      const got = await on('wasm');
      assert.deepEqual(got.shape, ref.shape, `shape of ${JSON.stringify(c)}`);
      ref.data.forEach((v, i) => assert.ok(Math.abs(v - got.data[i]) <= 1e-4, `${JSON.stringify(c)}[${i}]: ${got.data[i]} vs ${v}`));
    }
    const ints = tf.sum(
      tf.tensor2d(
        [
          [1, 2],
          [3, 4],
        ],
        [2, 2],
        'int32',
      ),
      0,
    );
    assert.deepEqual(Array.from(ints.dataSync()), [4, 6]);
    ints.dispose();
  });

  it("Adam's SIMD update equals tfjs's AdamOptimizer on wasm, weights and moments, over 6 steps with a changing rate", async () => {
    await tf.setBackend('wasm');
    const reference = train(() => tf.train.adam(0.01), 6);
    const simd = train(() => withSimdAdam(tf, tf.train.adam(0.01)), 6);
    const weightErr = maxAbsDiff(reference.weights, simd.weights);
    const slotErr = maxAbsDiff(reference.slots, simd.slots);
    assert.ok(weightErr <= 1e-6, `weights differ by ${weightErr}`);
    assert.ok(slotErr <= 1e-6, `moments differ by ${slotErr}`);
    // The weights did move (a no-op kernel would leave them at their start).
    const start = SHAPES.map((shape, i) =>
      values(
        shape.reduce((a, b) => a * b, 1),
        i + 1,
      ),
    );
    assert.ok(maxAbsDiff(start, simd.weights) > 1e-3, 'the weights did not change');
    assert.equal(simd.leaked, 0, 'tensors leaked per step');
  });

  it('the SIMD Adam keeps the optimizer state that checkpoints save (getWeights, iterations)', async () => {
    await tf.setBackend('wasm');
    const v = tf.variable(tf.tensor(values(10, 3), [10]));
    const opt = withSimdAdam(tf, tf.train.adam(0.01));
    for (let i = 0; i < 3; i++) tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: tf.tensor(values(10, 50 + i), [10]) }]));
    assert.equal(opt.iterations, 3);
    const saved = await opt.getWeights();
    assert.deepEqual(
      saved.map((w) => w.name),
      ['iter', `${v.name}/m`, `${v.name}/v`],
    );
    assert.ok(Math.abs((saved[1].tensor.dataSync() as Float32Array)[0]) > 0, 'the first moment is stored');
    saved.forEach((w) => w.tensor.dispose());
    opt.dispose();
    v.dispose();
  });

  for (const backend of ['wasm', 'cpu']) {
    it(`an Adam restored from a checkpoint takes the uninterrupted one's next step bit for bit (${backend})`, async () => {
      await tf.setBackend(backend);
      const grad = (i: number) => tf.tensor(values(10, 70 + i), [10]);
      const step = (opt: tf.Optimizer, v: tf.Variable, i: number) => tf.tidy(() => opt.applyGradients([{ name: v.name, tensor: grad(i) }]));
      const v = tf.variable(tf.tensor(values(10, 4), [10]));
      const opt = withSimdAdam(tf, tf.train.adam(0.01));
      // 37 steps: pow(β, 38) and the running product differ in the last bit there (the bug).
      for (let i = 0; i < 37; i++) step(opt, v, i);
      const saved = await opt.getWeights();
      const copy = tf.variable(v.clone());
      const restored = withSimdAdam(tf, tf.train.adam(0.01));
      await restored.setWeights(saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() })));
      const acc = (o: tf.Optimizer) => o as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      assert.deepEqual(
        [acc(restored).accBeta1.dataSync()[0], acc(restored).accBeta2.dataSync()[0]],
        [acc(opt).accBeta1.dataSync()[0], acc(opt).accBeta2.dataSync()[0]],
      );
      step(opt, v, 37);
      step(restored, copy, 37);
      assert.deepEqual(Array.from(copy.dataSync()), Array.from(v.dataSync()));
      [opt, restored, v, copy].forEach((t) => t.dispose());
    });
  }

  it("on the cpu backend withSimdAdam's updates are tfjs Adam's", async () => {
    await tf.setBackend('cpu');
    const reference = train(() => tf.train.adam(0.01), 3);
    const wrapped = train(() => withSimdAdam(tf, tf.train.adam(0.01)), 3);
    assert.equal(maxAbsDiff(reference.weights, wrapped.weights), 0);
    await tf.setBackend('wasm');
  });
});
