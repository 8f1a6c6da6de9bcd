import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { buildPreset } from '../../../src/engine/models/presets';
import { skipInputGradient } from '../../../src/engine/train/inputGradient';
import { ArchitectureSpec } from '../../../src/protocol/config';

const SPEC = ArchitectureSpec.parse({ preset: 'cnn', filters: [4, 6], kernelSize: 3, dense: [8] });
const x = () =>
  tf.tensor4d(
    Float32Array.from({ length: 3 * 12 * 12 }, (_, i) => Math.sin(i * 0.37)),
    [3, 12, 12, 1],
  );

function gradsOf(model: tf.LayersModel): Float32Array[] {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return tf.tidy(() => {
    const input = x();
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(input, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

describe('skipInputGradient', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("patches only the convolution that reads the model's input", () => {
    const model = buildPreset(tf, SPEC, [12, 12, 1], 10, 5, 'student');
    assert.equal(skipInputGradient(tf, model), 1);
    assert.equal(skipInputGradient(tf, model), 0, 'idempotent');
    model.dispose();
  });

  it('gives the same weight gradients without computing the input gradient of the first conv', async () => {
    const plain = buildPreset(tf, SPEC, [12, 12, 1], 10, 5, 'student');
    const patched = buildPreset(tf, SPEC, [12, 12, 1], 10, 5, 'student');
    skipInputGradient(tf, patched);
    const a = gradsOf(plain);
    const b = gradsOf(patched);
    assert.equal(a.length, b.length);
    a.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) <= 1e-5 * Math.max(1, Math.abs(v)), `gradient ${i}[${j}]: ${v} vs ${b[i][j]}`)));

    // Which Conv2DBackpropInput kernels ran: the plain model computes one for the images
    // (filter with 1 input channel), the patched one only the second conv's.
    const backpropInputs = async (model: tf.LayersModel) => {
      const info = await tf.profile(() => {
        gradsOf(model);
      });
      return info.kernels.filter((k) => k.name === 'Conv2DBackpropInput').map((k) => k.inputShapes[1]?.[2]);
    };
    assert.deepEqual(await backpropInputs(plain), [4, 1]);
    assert.deepEqual(await backpropInputs(patched), [4]);
    plain.dispose();
    patched.dispose();
  });

  it('leaves inference and the saved model unchanged', () => {
    const plain = buildPreset(tf, SPEC, [12, 12, 1], 10, 5, 'student');
    const patched = buildPreset(tf, SPEC, [12, 12, 1], 10, 5, 'student');
    skipInputGradient(tf, patched);
    const p = tf.tidy(() => (plain.predict(x()) as tf.Tensor).dataSync());
    const q = tf.tidy(() => (patched.predict(x()) as tf.Tensor).dataSync());
    assert.deepEqual(Array.from(q), Array.from(p));
    assert.deepEqual(patched.toJSON(null, false), plain.toJSON(null, false));
    plain.dispose();
    patched.dispose();
  });
});
