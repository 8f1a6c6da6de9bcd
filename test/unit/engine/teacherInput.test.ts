/**
 * teachers[].preprocess: a teacher trained on other inputs than the student's. Checked against
 * closed forms: a 28→14 half-pixel bilinear resize is exactly a 2×2 average pool, and the
 * composed normalisation of unit-scaled pixels into mean 0.5 / sd 0.25 is 4x − 2. Then through
 * the engine: a 14×14 teacher file validates with the preprocess and is refused without it, and
 * the preprocess is part of the teacher-logits cache key.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { makeBatch } from '../../../src/engine/data/dataset';
import { applyTeacherInput, teacherInputOf, withTeacherInput } from '../../../src/engine/models/teacherInput';
import { saveLayersModel } from '../../../src/engine/models/modelFiles';
import { teacherLogitsKey } from '../../../src/engine/run/teacherCache';
import { runEngine, EXIT } from '../../../src/engine/run/engineRun';
import type { ConfigErrorMessage, EngineMessage } from '../../../src/protocol/events';
import { smallDigits, wasmTf } from './helpers';

function teacher14(tf: typeof tfTypes): tfTypes.LayersModel {
  const input = tf.input({ shape: [14, 14, 1] });
  const conv = tf.layers
    .conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'own_conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(input);
  const flat = tf.layers.flatten().apply(conv);
  const logits = tf.layers
    .dense({ units: 10, name: 'own_logits', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })
    .apply(flat) as tfTypes.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('teachers[].preprocess: the teacher sees its own input size and normalisation', function () {
  this.timeout(60_000);
  const ds = smallDigits(200);

  it('composes the two normalisations per channel: unit-scaled pixels into mean 0.5, sd 0.25 is 4x − 2; the size is the given one', () => {
    const input = teacherInputOf(ds, { imageSize: [14, 14], normalize: { mean: [0.5], std: [0.25] } })!;
    assert.deepEqual(input.shape, [14, 14, 1]);
    assert.ok(Math.abs(input.scale[0] - 4) < 1e-9 && Math.abs(input.offset[0] + 2) < 1e-9, `${input.scale} ${input.offset}`);
    assert.equal(teacherInputOf(ds, {}), undefined);
    assert.equal(teacherInputOf(ds, undefined), undefined);
  });

  it("the wrapped teacher's logits and tapped layer equal the model run on the 2×2-average-pooled, renormalised batch", async () => {
    const tf = await wasmTf();
    const inner = teacher14(tf);
    const input = teacherInputOf(ds, { imageSize: [14, 14], normalize: { mean: [0.5], std: [0.25] } })!;
    const outer = withTeacherInput(tf, inner, input, ds.shape, ['own_conv'], 'teacher14/model.json', 'teacher_0');
    const batch = makeBatch(ds, ds.train, ds.train.indices.subarray(0, 8));
    const x = tf.tensor4d(batch.x, [8, 28, 28, 1]);
    // Closed form of the resize: half-pixel bilinear 28 → 14 averages each 2×2 block.
    const expectedX = tf.sub(tf.mul(tf.avgPool(x, 2, 2, 'valid'), 4), 2);
    const got = outer.predict(x) as tfTypes.Tensor[];
    const tapModel = tf.model({ inputs: inner.inputs, outputs: [inner.outputs[0], inner.getLayer('own_conv').output as tfTypes.SymbolicTensor] });
    const want = tapModel.predict(expectedX) as tfTypes.Tensor[];
    assert.deepEqual(got[0].shape, [8, 10]);
    assert.ok(maxDiff(got[0].dataSync(), want[0].dataSync()) < 1e-5, 'logits');
    assert.ok(maxDiff(got[1].dataSync(), want[1].dataSync()) < 1e-5, 'tapped layer');
    assert.ok(maxDiff(applyTeacherInput(tf, x, input).dataSync(), expectedX.dataSync()) < 1e-6, 'the transform itself');
    tf.dispose([x, expectedX, ...got, ...want]);
    outer.dispose();
  });

  it('a size the model was not trained on is refused naming preprocess.imageSize; the preprocess is part of the teacher-logits cache key', async () => {
    const tf = await wasmTf();
    const at16 = teacherInputOf(ds, { imageSize: [16, 16] })!;
    assert.throws(
      () => withTeacherInput(tf, teacher14(tf), at16, ds.shape, [], 't.json', 'teacher_0'),
      /t\.json takes inputs of shape \[14, 14, 1\], but preprocess gives it 16×16×1 images: set preprocess\.imageSize/,
    );
    const key = (normalize?: { mean: number[]; std: number[] }) => {
      const m = withTeacherInput(tf, teacher14(tf), teacherInputOf(ds, { imageSize: [14, 14], normalize })!, ds.shape, [], 't.json', 'teacher_0');
      return teacherLogitsKey([m], { combine: 'mean-logits' }, ds).finally(() => m.dispose());
    };
    const plain = await key();
    assert.equal(await key(), plain, 'the same teacher and transform: the same entry');
    assert.notEqual(await key({ mean: [0.5], std: [0.25] }), plain, 'another normalisation: another entry');
  });

  it('through the engine: a 14×14 teacher file validates with preprocess.imageSize and is refused without it, at teachers[0].model', async () => {
    const tf = await wasmTf();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-preprocess-'));
    try {
      await saveLayersModel(teacher14(tf), path.join(dir, 'teacher14'));
      const kd = path.join(dir, 'kd.json');
      const write = (preprocess?: object) =>
        fs.writeFileSync(
          kd,
          JSON.stringify({
            backend: 'wasm',
            data: { source: 'mnist', limit: 200 },
            teachers: [{ id: 't', model: 'teacher14/model.json', ...(preprocess ? { preprocess } : {}) }],
            student: { architecture: { preset: 'mlp', hidden: [8] } },
            training: { epochs: 1, batchSize: 32 },
          }),
        );
      const validate = async () => {
        const messages: EngineMessage[] = [];
        const code = await runEngine({ request: { kind: 'validate', configPath: kd }, send: (m) => messages.push(m), shouldStop: () => false });
        return { code, messages };
      };
      write();
      const refused = await validate();
      assert.equal(refused.code, EXIT.badConfig);
      const err = refused.messages.find((m): m is ConfigErrorMessage => m.type === 'config_error')!;
      assert.deepEqual(err.issues[0].path, ['teachers', 0, 'model']);
      assert.match(err.issues[0].message, /\[14, 14, 1\].*28×28×1/);
      write({ imageSize: [14, 14], normalize: { mean: [0.5], std: [0.25] } });
      const ok = await validate();
      assert.equal(ok.code, EXIT.done, JSON.stringify(ok.messages.filter((m) => m.type === 'config_error')));
      write({ normalize: { mean: [0.5, 0.5], std: [0.25] } });
      const bad = await validate();
      assert.equal(bad.code, EXIT.badConfig);
      const badErr = bad.messages.find((m): m is ConfigErrorMessage => m.type === 'config_error')!;
      assert.ok(
        badErr.issues.some((i) => i.path.join('.').startsWith('teachers.0.preprocess.normalize')),
        JSON.stringify(badErr.issues),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
