import { strict as assert } from 'node:assert';
import { KdConfig } from '../../../src/protocol/config';
import { hasTeacherTerm } from '../../../src/protocol/teacherTerm';
import { deriveTrialConfig } from '../../../src/sweep/derive';

const base = {
  data: { source: 'mnist' },
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] } }],
  student: { architecture: { preset: 'mlp', hidden: [8] } },
};
const term = (distillation: object, extra: object = {}) => hasTeacherTerm(KdConfig.parse({ ...base, distillation, ...extra }));

describe('hasTeacherTerm: whether the distill stage reads the teacher', () => {
  it('is true for the default α and false for α = 0 alone', () => {
    assert.equal(term({}), true);
    assert.equal(term({ alpha: 0 }), false);
  });
  it('counts an α schedule that rises above 0, feature and attention pairs, and output terms', () => {
    assert.equal(term({ alpha: 0, schedule: { alpha: { to: 0.5 } } }), true);
    assert.equal(term({ alpha: 0, schedule: { alpha: { to: 0 } } }), false);
    assert.equal(term({ alpha: 0, features: [{ teacherLayer: 'a', studentLayer: 'b' }] }), true);
    assert.equal(term({ alpha: 0, attention: [{ teacherLayer: 'a', studentLayer: 'b' }] }), true);
    assert.equal(term({ alpha: 0 }, { outputs: { box: { target: 'inkBox', weight: 2 } } }), true);
    assert.equal(term({ alpha: 0 }, { outputs: { box: { target: 'inkBox', weight: 0 } } }), false);
  });
  it('does not count terms that weigh 0 throughout: a pair of weight 0, β = 0, a constant schedule', () => {
    assert.equal(term({ alpha: 0, features: [{ teacherLayer: 'a', studentLayer: 'b', weight: 0 }] }), false);
    assert.equal(term({ alpha: 0, beta: 0, attention: [{ teacherLayer: 'a', studentLayer: 'b' }] }), false);
    assert.equal(term({ alpha: 0, beta: 0, schedule: { beta: { to: 1 } }, attention: [{ teacherLayer: 'a', studentLayer: 'b' }] }), true);
    assert.equal(term({ alpha: 0, schedule: { alpha: { type: 'constant', to: 0.5 } } }), false);
  });
  it("is false for a sweep's baseline trial and true for its distilled trials", () => {
    const cfg = KdConfig.parse({ ...base, distillation: { features: [{ teacherLayer: 'a', studentLayer: 'b' }] } });
    const trial = (baseline: boolean) => deriveTrialConfig(cfg, '/x', { params: {}, seed: 1, epochs: 1, name: 'n', baseline }).config as KdConfig;
    assert.equal(hasTeacherTerm(trial(true)), false);
    assert.equal(hasTeacherTerm(trial(false)), true);
  });
});
