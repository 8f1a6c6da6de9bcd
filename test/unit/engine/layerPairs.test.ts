/**
 * Planning feature pairs against real models: a pair on a model's output layer (its logits)
 * used to pass planning and fail mid-distill inside tfjs ("'tensors[0]' passed to 'concat'
 * … null": tfjs drops an output named twice). It is a config error at its JSON path now.
 */
import { strict as assert } from 'node:assert';
import type * as tfTypes from '@tensorflow/tfjs';
import { planLayerPairs } from '../../../src/engine/models/layerPairs';
import { buildPreset } from '../../../src/engine/models/presets';
import { loadTf } from '../../../src/engine/tf';
import { DistillationSpec } from '../../../src/protocol/config';

describe('engine/models/layerPairs: pairs on output layers', () => {
  let tf: typeof tfTypes;
  let teacher: tfTypes.LayersModel;
  let student: tfTypes.LayersModel;
  before(async () => {
    tf = loadTf();
    await tf.setBackend('cpu');
    teacher = buildPreset(tf, { preset: 'mlp', hidden: [12], dropout: 0 }, [4, 4, 1], 3, 1, 'teacher_0');
    student = buildPreset(tf, { preset: 'mlp', hidden: [6], dropout: 0 }, [4, 4, 1], 3, 2, 'student');
  });
  after(() => {
    teacher.dispose();
    student.dispose();
  });

  const plan = (features: object[]) => planLayerPairs(tf, DistillationSpec.parse({ features }), [{ id: 't', model: teacher }], student, 7);

  it("refuses the student's and the teacher's logits layers, at the key naming each", () => {
    const r = plan([
      { teacherLayer: 'teacher_0_dense1', studentLayer: 'student_logits' },
      { teacherLayer: 'teacher_0_logits', studentLayer: 'student_dense1' },
    ]);
    assert.equal(r.plan, undefined);
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [
        ['distillation', 'features', 0, 'studentLayer'],
        ['distillation', 'features', 1, 'teacherLayer'],
      ],
    );
    assert.match(
      r.issues[0].message,
      /"student_logits" is the student's output \(its logits\), which the soft-target term already distils; pick a layer before it: student_flatten, student_dense1/,
    );
    assert.match(r.issues[1].message, /"teacher_0_logits" is teacher "t"'s output/);
  });

  it('a good pair with an adapter beside a bad one: the issue comes back (its unused adapter is disposed, not a crash)', () => {
    const before = tf.memory().numTensors;
    const r = plan([
      { teacherLayer: 'teacher_0_dense1', studentLayer: 'student_dense1' },
      { teacherLayer: 'nope', studentLayer: 'student_dense1' },
    ]);
    assert.deepEqual(
      r.issues.map((i) => i.path),
      [['distillation', 'features', 1, 'teacherLayer']],
    );
    assert.equal(tf.memory().numTensors, before, 'the adapter built for pair 0 was not released');
  });

  it('plans inner layers as before, and a plan whose adapters never ran disposes cleanly', () => {
    const before = tf.memory().numTensors;
    const r = plan([{ teacherLayer: 'teacher_0_dense1', studentLayer: 'student_dense1' }]);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.plan!.studentLayers, ['student_dense1']);
    assert.match(r.plan!.descriptions[0], /adapter dense 6→12/);
    r.plan!.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
