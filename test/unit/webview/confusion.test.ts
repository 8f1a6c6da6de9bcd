import * as assert from 'node:assert/strict';
import {
  agreementRate,
  confusionFrom,
  difference,
  overallAccuracy,
  perClassAccuracy,
  rowNormalise,
  samplesInCell,
  samplesInDiffCell,
} from '../../../webview/lib/confusion';
import { argmax, decodeBase64, entropy, klDivergence, softmaxT, toRgba } from '../../../webview/lib/softmax';
import { differingKeys, flatten } from '../../../webview/lib/flatten';

describe('teacher-vs-student arithmetic', () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const teacher = [0, 0, 1, 1, 2, 1];
  const student = [0, 1, 1, 1, 2, 2];

  it('builds confusion[true][pred], normalises rows and takes differences', () => {
    const t = confusionFrom(labels, teacher, 3);
    assert.deepEqual(t, [
      [2, 0, 0],
      [0, 2, 0],
      [0, 1, 1],
    ]);
    assert.deepEqual(
      rowNormalise([
        [1, 3],
        [0, 0],
      ]),
      [
        [0.25, 0.75],
        [0, 0],
      ],
    );
    const s = confusionFrom(labels, student, 3);
    assert.deepEqual(difference(s, t), [
      [-1, 1, 0],
      [0, 0, 0],
      [0, -1, 1],
    ]);
    assert.deepEqual(perClassAccuracy(t), [1, 1, 0.5]);
    assert.ok(
      Number.isNaN(
        perClassAccuracy([
          [0, 0],
          [1, 1],
        ])[0],
      ),
      'a class without samples has no accuracy',
    );
    assert.equal(overallAccuracy(t), 5 / 6);
  });

  it('agreement and the samples behind a cell', () => {
    assert.equal(agreementRate(teacher, student), 4 / 6);
    const p = { indices: [10, 11, 12, 13, 14, 15], labels, teacher, student };
    assert.deepEqual(samplesInCell(p, 'student', 0, 1), [{ position: 1, index: 11 }]);
    assert.deepEqual(samplesInCell(p, 'teacher', 2, 1), [{ position: 5, index: 15 }]);
    assert.deepEqual(samplesInCell(p, 'baseline', 0, 0), [], 'no baseline predictions, no samples');
    assert.deepEqual(samplesInDiffCell(p, 'student', 2, 2), [{ position: 5, index: 15, teacher: false, student: true }]);
  });
});

describe('dark knowledge: softmax at temperature T', () => {
  it('matches the closed form and sums to 1', () => {
    const z = [2, 1, 0];
    const p = softmaxT(z, 1);
    const e = z.map(Math.exp);
    const sum = e.reduce((a, b) => a + b);
    p.forEach((v, i) => assert.ok(Math.abs(v - e[i] / sum) < 1e-12));
    const p4 = softmaxT(z, 4);
    assert.ok(Math.abs(p4.reduce((a, b) => a + b) - 1) < 1e-12);
    assert.ok(Math.abs(p4[0] - Math.exp(0.5) / (Math.exp(0.5) + Math.exp(0.25) + 1)) < 1e-12);
  });

  it('higher T is softer (more entropy), and never overflows', () => {
    const z = [10, 2, -3, 0];
    assert.ok(entropy(softmaxT(z, 8)) > entropy(softmaxT(z, 1)));
    const big = softmaxT([1000, 999], 1);
    assert.ok(Math.abs(big[0] - 1 / (1 + Math.exp(-1))) < 1e-12);
    assert.equal(argmax([0.1, 0.7, 0.2]), 1);
    assert.equal(klDivergence([0.5, 0.5], [0.5, 0.5]), 0);
  });

  it('decodes base64 pixels to RGBA', () => {
    const px = decodeBase64(Buffer.from([0, 128, 255, 7]).toString('base64'));
    assert.deepEqual([...px], [0, 128, 255, 7]);
    assert.deepEqual([...toRgba(px, [2, 2, 1]).slice(0, 8)], [0, 0, 0, 255, 128, 128, 128, 255]);
  });
});

describe('config differences', () => {
  it('flattens config.json and lists the keys that differ', () => {
    const a = flatten({ distillation: { temperature: 4, alpha: 0.7 }, teachers: [{ id: 't' }], tags: [] });
    assert.deepEqual(a, { 'distillation.temperature': 4, 'distillation.alpha': 0.7, 'teachers.0.id': 't', tags: [] });
    const b = flatten({ distillation: { temperature: 8, alpha: 0.7 }, teachers: [{ id: 't' }, { id: 'u' }], tags: [] });
    assert.deepEqual(differingKeys([a, b]), ['distillation.temperature', 'teachers.1.id']);
    assert.deepEqual(differingKeys([a, a]), []);
  });
});
