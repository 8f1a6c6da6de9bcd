import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/engine/backend/select';
import { fusedInference } from '../../../src/engine/models/fusedInference';
import { logitsFn } from '../../../src/engine/models/forward';
import { buildPreset } from '../../../src/engine/models/presets';
import { ArchitectureSpec } from '../../../src/protocol/config';

const images = () =>
  tf.tensor4d(
    Float32Array.from({ length: 4 * 28 * 28 }, (_, i) => (Math.sin(i * 0.61) + 1) / 2),
    [4, 28, 28, 1],
  );

describe('fused inference (conv + ReLU as one kernel)', function () {
  this.timeout(60000);

  before(async () => {
    await selectBackend(tf, 'wasm');
  });

  for (const spec of [
    { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [128] }, // the second conv goes through Winograd
    { preset: 'cnn', filters: [16, 20], kernelSize: 5, dense: [24], dropout: 0.3 }, // 5×5: XNNPACK's fused conv; dropout off at inference
  ]) {
    it(`gives model.predict's logits: ${JSON.stringify(spec)}`, () => {
      const model = buildPreset(tf, ArchitectureSpec.parse(spec), [28, 28, 1], 10, 3, 'teacher');
      const fused = fusedInference(tf, model);
      assert.ok(fused, 'a Sequential conv model gets a fused pass');
      const [a, b] = tf.tidy(() => [fused!(images()).dataSync(), (model.predict(images()) as tf.Tensor).dataSync()]);
      let worst = 0;
      a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
      assert.ok(worst < 1e-4, `max abs difference ${worst}`);
      model.dispose();
    });
  }

  it('leaves models without a conv + ReLU pair to model.predict, and runs fewer kernels where it fuses', async () => {
    const mlp = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden: [16] }), [28, 28, 1], 10, 3, 'teacher');
    assert.equal(fusedInference(tf, mlp), undefined);
    mlp.dispose();
    const batchNorm = buildPreset(tf, ArchitectureSpec.parse({ preset: 'cnn', filters: [8], batchNorm: true }), [28, 28, 1], 10, 3, 'teacher');
    assert.equal(fusedInference(tf, batchNorm), undefined, 'conv → batch norm → ReLU: nothing adjacent to fuse');
    batchNorm.dispose();
    const cnn = buildPreset(tf, ArchitectureSpec.parse({ preset: 'cnn', filters: [8, 16], dense: [] }), [28, 28, 1], 10, 3, 'teacher');
    const kernels = async (f: () => void) => (await tf.profile(() => tf.tidy(f))).kernels.map((k) => k.name);
    const viaPredict = await kernels(() => {
      cnn.predict(images());
    });
    const viaLogitsFn = await kernels(() => {
      logitsFn(tf, cnn, false)(images());
    });
    assert.equal(viaPredict.filter((k) => k === 'Relu').length, 2);
    assert.equal(viaLogitsFn.filter((k) => k === 'Relu').length, 0, 'both ReLUs fused into their convolutions');
    cnn.dispose();
  });
});
