import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { batchTargets, meanIoU, meanPixelError, TARGET_DIM } from '../../../src/engine/data/targets';
import { OutputRegression } from '../../../src/engine/losses/outputs';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));
};

/** An h × w single-channel image of `background` with `ink` at the given (row, col) cells. */
function image(h: number, w: number, ink: [number, number][], value = 1, background = 0): Float32Array {
  const img = new Float32Array(h * w).fill(background);
  for (const [r, c] of ink) img[r * w + c] = value;
  return img;
}

describe('regression targets from pixels (multi-output distillation)', () => {
  it('inkBox is [top, left, bottom, right] of the ink as fractions of the image', () => {
    const img = image(6, 5, [[1, 2], [3, 3], [2, 2]]);
    close(batchTargets('inkBox', img, 1, [6, 5, 1]), [1 / 6, 2 / 5, 4 / 6, 4 / 5]);
  });

  it('inkBox moves with the digit: the same ink one row down and one column left', () => {
    const a = batchTargets('inkBox', image(6, 5, [[1, 2], [3, 3]]), 1, [6, 5, 1]);
    const b = batchTargets('inkBox', image(6, 5, [[2, 1], [4, 2]]), 1, [6, 5, 1]);
    close(b, [a[0] + 1 / 6, a[1] - 1 / 5, a[2] + 1 / 6, a[3] - 1 / 5]);
  });

  it('ink is relative to the image: any normalisation (here standardised, negative background) gives the same box', () => {
    const unit = batchTargets('inkBox', image(6, 5, [[1, 2], [3, 3]], 1, 0), 1, [6, 5, 1]);
    const standard = batchTargets('inkBox', image(6, 5, [[1, 2], [3, 3]], 2.8, -0.42), 1, [6, 5, 1]);
    close(standard, Array.from(unit));
  });

  it('inkCentre is the centre of mass of the ink, at pixel centres; a batch is per image', () => {
    const one = image(5, 4, [[2, 1]]);
    const two = image(5, 4, [[0, 0], [4, 3]]);
    const x = new Float32Array(40);
    x.set(one, 0);
    x.set(two, 20);
    close(batchTargets('inkCentre', x, 2, [5, 4, 1]), [2.5 / 5, 1.5 / 4, 2.5 / 5, 2 / 4]);
    assert.equal(TARGET_DIM.inkCentre, 2);
  });

  it('an empty image gives the centre (no NaN)', () => {
    close(batchTargets('inkBox', new Float32Array(20), 1, [5, 4, 1]), [0.5, 0.5, 0.5, 0.5]);
    close(batchTargets('inkCentre', new Float32Array(20), 1, [5, 4, 1]), [0.5, 0.5]);
  });

  it('meanIoU against closed forms: identical 1, disjoint 0, half-overlapping 1/3; edges in any order', () => {
    const truth = Float32Array.from([0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5]);
    const pred = Float32Array.from([0.5, 0.5, 0, 0, 0.5, 0.5, 1, 1, 0, 0.25, 0.5, 0.75]);
    // 1 (same box, edges swapped) + 0 (disjoint) + (0.5·0.25)/(0.25 + 0.25 − 0.125) = 1/3
    assert.ok(Math.abs(meanIoU(pred, truth) - (1 + 0 + 1 / 3) / 3) < 1e-7);
  });

  it('meanPixelError is the mean Euclidean distance in pixels', () => {
    assert.ok(Math.abs(meanPixelError(Float32Array.from([0.1, 0.2, 0.5, 0.5]), Float32Array.from([0.1, 0.2, 0.5 + 3 / 28, 0.5 + 4 / 28]), 28, 28) - 2.5) < 1e-5);
  });

  it('OutputRegression: <name>_kd reads the teacher\'s head, <name>_gt the truth', () => {
    tf.tidy(() => {
      const student = tf.tensor2d([[0.2, 0.4]]);
      const teacher = tf.tensor2d([[0.2, 0.6]]);
      const truth = tf.tensor2d([[0.5, 0.4]]);
      const inputs = { studentLogits: student, labels: student, studentOutputs: { c: student }, teacherOutputs: { c: teacher }, targets: { c: truth } };
      const kd = new OutputRegression('c', 'teacher', 1, 'mse', 0.05);
      const gt = new OutputRegression('c', 'truth', 1, 'smoothL1', 0.5);
      assert.equal(kd.name, 'c_kd');
      assert.equal(gt.name, 'c_gt');
      assert.ok(Math.abs(kd.compute(tf, inputs).dataSync()[0] - 0.02) < 1e-6); // mean of 0², 0.2²
      assert.ok(Math.abs(gt.compute(tf, inputs).dataSync()[0] - 0.045) < 1e-6); // mean of ½·0.3²/0.5, 0
      assert.throws(() => kd.compute(tf, { studentLogits: student, labels: student, studentOutputs: { c: student } }), /teacher's/);
    });
  });
});
