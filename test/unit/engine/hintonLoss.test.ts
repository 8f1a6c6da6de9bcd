import { strict as assert } from 'node:assert';
import { ceTerm, combineLosses, hintonLoss, kdTerm } from '../../../src/engine/losses/logits';
import { wasmTf } from './helpers';

/** Closed forms in plain numbers, independent of tfjs. */
const softmax = (z: number[], T = 1) => {
  const m = Math.max(...z.map((v) => v / T));
  const e = z.map((v) => Math.exp(v / T - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const kl = (p: number[], q: number[]) => p.reduce((acc, pi, i) => acc + pi * Math.log(pi / q[i]), 0);

const student = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, -0.3],
];
const teacher = [
  [3.0, 0.0, -2.0],
  [-1.0, 2.5, 0.5],
];
const labels = [0, 1];

function expectedLoss(alpha: number, T: number, s = student): number {
  let kd = 0;
  let ce = 0;
  s.forEach((row, i) => {
    kd += kl(softmax(teacher[i], T), softmax(row, T));
    ce += -Math.log(softmax(row)[labels[i]]);
  });
  kd = (T * T * kd) / s.length;
  ce /= s.length;
  return alpha * kd + (1 - alpha) * ce;
}

describe('Hinton loss', () => {
  for (const [alpha, T] of [
    [0.7, 4],
    [0.5, 1],
    [1, 2.5],
    [0, 3],
  ]) {
    it(`matches the closed form for α=${alpha}, T=${T}`, async () => {
      const tf = await wasmTf();
      const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
      const { total } = combineLosses(tf, hintonLoss(alpha, T), { studentLogits: tf.tensor2d(student), teacherLogits: tf.tensor2d(teacher), labels: oneHot });
      assert.ok(Math.abs((await total.data())[0] - expectedLoss(alpha, T)) < 1e-5, `${(await total.data())[0]} vs ${expectedLoss(alpha, T)}`);
    });
  }

  it('KD term is zero when the student equals the teacher, and scales the KL by T²', async () => {
    const tf = await wasmTf();
    const t = tf.tensor2d(teacher);
    assert.ok(Math.abs((await kdTerm(tf, t, t, 3).data())[0]) < 1e-6);
    const kd2 = (await kdTerm(tf, tf.tensor2d(student), t, 2).data())[0];
    const rawKl = student.reduce((acc, row, i) => acc + kl(softmax(teacher[i], 2), softmax(row, 2)), 0) / 2;
    assert.ok(Math.abs(kd2 - 4 * rawKl) < 1e-5);
  });

  it('has the gradient that finite differences give', async () => {
    const tf = await wasmTf();
    const alpha = 0.6;
    const T = 3;
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
    const f = (s: any) => combineLosses(tf, hintonLoss(alpha, T), { studentLogits: s, teacherLogits: tf.tensor2d(teacher), labels: oneHot }).total;
    const grad = (await tf.grad(f)(tf.tensor2d(student)).array()) as number[][];
    const h = 1e-4;
    for (let i = 0; i < student.length; i++) {
      for (let j = 0; j < 3; j++) {
        const plus = student.map((r) => [...r]);
        const minus = student.map((r) => [...r]);
        plus[i][j] += h;
        minus[i][j] -= h;
        // Central difference in float64, from the closed form.
        const numeric = (expectedLoss(alpha, T, plus) - expectedLoss(alpha, T, minus)) / (2 * h);
        assert.ok(Math.abs(grad[i][j] - numeric) < 1e-4, `d/ds[${i}][${j}]: ${grad[i][j]} vs ${numeric}`);
      }
    }
  });

  it('the CE term is the mean negative log-likelihood at T = 1', async () => {
    const tf = await wasmTf();
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
    const expected = (-Math.log(softmax(student[0])[0]) - Math.log(softmax(student[1])[1])) / 2;
    assert.ok(Math.abs((await ceTerm(tf, tf.tensor2d(student), oneHot).data())[0] - expected) < 1e-6);
  });
});
