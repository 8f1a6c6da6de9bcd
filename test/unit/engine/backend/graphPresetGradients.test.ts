import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmTrainingKernels } from '../../../../src/engine/backend/wasmGradients';
import { buildPreset } from '../../../../src/engine/models/presets';
import { ArchitectureSpec } from '../../../../src/protocol/config';

// A training step of the resnet and mobilenet presets on wasm (our kernels: strided and 1×1
// convolutions, depthwise backprop, batch norm in training mode, the residual add) against the
// same step on the cpu backend, tfjs's reference kernels: every weight gradient and the batch
// norms' moving statistics after the step.

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const BATCH = 6;
const INPUT: [number, number, number] = [12, 10, 3];
const next = seeded(7);
const IMAGES = Float32Array.from({ length: BATCH * INPUT[0] * INPUT[1] * INPUT[2] }, () => next());
const LABELS = Int32Array.from({ length: BATCH }, (_, i) => i % 5);

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  weightsAfter: Map<string, Float32Array>;
}

/** One forward/backward pass with training: true (batch statistics, moving averages updated), from `start` weights. */
async function trainingStep(backend: string, raw: unknown, start: Float32Array[] | undefined): Promise<StepResult & { start: Float32Array[] }> {
  await tf.setBackend(backend);
  const model = buildPreset(tf, ArchitectureSpec.parse(raw), INPUT, 5, 3, 'student');
  if (start) model.setWeights(start.map((v, i) => tf.tensor(v, model.weights[i].shape as number[])));
  const initial = model.weights.map((w) => w.read().dataSync() as Float32Array);
  const x = tf.tensor4d(IMAGES, [BATCH, ...INPUT]);
  const y = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 5);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  const result = {
    start: initial,
    loss: value.dataSync()[0],
    grads: new Map(Object.entries(grads).map(([k, g]) => [model.weights.find((w) => w.name === k)?.originalName ?? k, g.dataSync() as Float32Array])),
    weightsAfter: new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array])),
  };
  model.dispose();
  return result;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
  return worst;
}

describe('engine/backend: resnet and mobilenet training steps on wasm equal the cpu backend', function () {
  this.timeout(60_000);

  before(async () => {
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    installWasmTrainingKernels(tf);
  });

  it("batch norm's statistics: a mean over leading axes on wasm equals cpu's, without a transpose; other means stay wasm's own", async () => {
    const r = seeded(11);
    const x = Float32Array.from({ length: 5 * 6 * 7 * 9 }, () => r() * 3);
    const mean = async (backend: string, axes: number[]) => {
      await tf.setBackend(backend);
      let out: Float32Array = new Float32Array(0);
      const profile = await tf.profile(() => {
        out = tf.mean(tf.tensor(x, [5, 6, 7, 9]), axes).dataSync() as Float32Array;
      });
      return { out, kernels: profile.kernels.map((k) => k.name) };
    };
    for (const axes of [[0, 1, 2], [0], [1, 2], [0, 2]]) {
      const cpu = await mean('cpu', axes);
      const wasm = await mean('wasm', axes);
      assert.ok(maxDiff(cpu.out, wasm.out) < 1e-6, `axes ${axes}`);
      if (axes[0] === 0 && axes.every((a, i) => a === i)) assert.ok(!wasm.kernels.includes('Transpose'), `axes ${axes}: ${wasm.kernels}`);
    }
  });

  it('a clone on wasm shares its memory (no copy) and outlives the original', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor([1, 2, 3, 4]);
    const b = tf.clone(a);
    const backend = tf.backend() as unknown as { getMemoryOffset(id: object): number };
    assert.equal(backend.getMemoryOffset(b.dataId), backend.getMemoryOffset(a.dataId));
    a.dispose();
    assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3, 4]);
    b.dispose();
  });

  for (const shape of [
    [4, 5, 3, 6],
    [7, 5],
    [2, 3, 3, 1],
  ])
    it(`batch norm's gradient on ${shape.join('×')}: x, mean, variance, γ and β as tfjs's own on cpu, and no Tile on wasm`, async () => {
      const c = shape.at(-1)!;
      const r = seeded(shape.length * 10 + c);
      const values = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + ((r() + 1) / 2) * (hi - lo));
      const inputs = [values(shape.reduce((a, b) => a * b, 1)), values(c), values(c, 0.2, 2), values(c, 0.5, 1.5), values(c)];
      const dy = values(inputs[0].length);
      const grads = async (backend: string) => {
        await tf.setBackend(backend);
        const [x, mean, variance, scale, offset] = inputs.map((v, i) => tf.tensor(v, i === 0 ? shape : [c]));
        const f = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => tf.mul(tf.batchNorm(x, m, v, o, s, 1e-3), tf.tensor(dy, shape));
        let out: Float32Array[] = [];
        const profile = await tf.profile(() => {
          out = tf
            .grads(f)([x, mean, variance, offset, scale])
            .map((g) => g.dataSync() as Float32Array);
        });
        return { out, kernels: profile.kernels.map((k) => k.name) };
      };
      const cpu = await grads('cpu');
      const wasm = await grads('wasm');
      assert.ok(cpu.kernels.includes('Tile'), "tfjs's own gradient tiles (the test would not notice otherwise)");
      assert.ok(!wasm.kernels.includes('Tile'), `wasm ran ${wasm.kernels.join(', ')}`);
      ['x', 'mean', 'variance', 'offset', 'scale'].forEach((name, i) => {
        assert.ok(maxDiff(cpu.out[i], wasm.out[i]) < 1e-5, `${name}: ${maxDiff(cpu.out[i], wasm.out[i])}`);
      });
    });

  for (const raw of [
    { preset: 'resnet', depth: 8, width: 4 },
    { preset: 'mobilenet', filters: [4, 8], blocks: 2, stem: 4 },
    { preset: 'mobilenet', filters: [6, 6, 6], blocks: 1, stem: 3, activation: 'relu' },
  ])
    it(`${JSON.stringify(raw)}: loss, every weight's gradient, and the moving mean and variance after the step`, async () => {
      const cpu = await trainingStep('cpu', raw, undefined);
      const wasm = await trainingStep('wasm', raw, cpu.start);
      assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-5, `loss ${cpu.loss} vs ${wasm.loss}`);
      const trained = [...cpu.grads.keys()];
      assert.ok(trained.some((k) => k.endsWith('_bn/gamma')) && trained.some((k) => k.includes('conv') || k.endsWith('_dw/depthwise_kernel')));
      assert.deepEqual([...wasm.grads.keys()].sort(), trained.sort());
      for (const [name, g] of cpu.grads) {
        assert.ok(
          g.some((v) => v !== 0),
          `${name}: the cpu gradient is all zeros, so comparing it proves nothing`,
        );
        const d = maxDiff(g, wasm.grads.get(name)!);
        assert.ok(d < 2e-4, `${name}: gradient differs by ${d}`);
      }
      let moved = 0;
      for (const [name, after] of cpu.weightsAfter) {
        if (!/moving_(mean|variance)$/.test(name)) continue;
        const before = cpu.start[[...cpu.weightsAfter.keys()].indexOf(name)];
        if (maxDiff(before, after) > 1e-6) moved++;
        assert.ok(maxDiff(after, wasm.weightsAfter.get(name)!) < 1e-5, `${name} after the step`);
      }
      assert.ok(moved > 0, 'the training pass updated the moving statistics');
    });
});
