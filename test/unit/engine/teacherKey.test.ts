import { strict as assert } from 'node:assert';
import { KdConfig } from '../../../src/protocol/config';
import { teacherCacheKey } from '../../../src/engine/run/teachers';

describe("a trained teacher's save-folder key", () => {
  const base = { teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] } }], student: { architecture: { preset: 'mlp', hidden: [8] } } };
  const key = (data: object) => {
    const cfg = KdConfig.parse({ ...base, data });
    return teacherCacheKey(cfg, cfg.teachers[0] as Parameters<typeof teacherCacheKey>[1]);
  };

  it('changes with what joins its training: hidden labels and unlabeled images', () => {
    const plain = key({});
    assert.equal(key({}), plain, 'the same spec, the same folder');
    assert.notEqual(key({ unlabeled: 100 }), plain);
    assert.notEqual(key({ unlabeledImages: 'extra.idx' }), plain);
    assert.notEqual(key({ limit: 300 }), plain);
  });
});
