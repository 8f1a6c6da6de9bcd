import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  batchTargets,
  meanAbsoluteError,
  meanIoU,
  meanPixelError,
  outputMetric,
  outputValues,
  resolveOutputs,
  TARGET_DIM,
} from '../../../src/engine/data/targets';
import { makeBatch, type Dataset } from '../../../src/engine/data/dataset';
import { encodeIdxFloat32 } from '../../../src/engine/data/idx';
import type { ImageSet } from '../../../src/engine/data/sources';
import { OutputRegression } from '../../../src/engine/losses/outputs';
import { OutputSpec } from '../../../src/protocol/config';

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
    const img = image(6, 5, [
      [1, 2],
      [3, 3],
      [2, 2],
    ]);
    close(batchTargets('inkBox', img, 1, [6, 5, 1]), [1 / 6, 2 / 5, 4 / 6, 4 / 5]);
  });

  it('inkBox moves with the digit: the same ink one row down and one column left', () => {
    const a = batchTargets(
      'inkBox',
      image(6, 5, [
        [1, 2],
        [3, 3],
      ]),
      1,
      [6, 5, 1],
    );
    const b = batchTargets(
      'inkBox',
      image(6, 5, [
        [2, 1],
        [4, 2],
      ]),
      1,
      [6, 5, 1],
    );
    close(b, [a[0] + 1 / 6, a[1] - 1 / 5, a[2] + 1 / 6, a[3] - 1 / 5]);
  });

  it('ink is relative to the image: any normalisation (here standardised, negative background) gives the same box', () => {
    const unit = batchTargets(
      'inkBox',
      image(
        6,
        5,
        [
          [1, 2],
          [3, 3],
        ],
        1,
        0,
      ),
      1,
      [6, 5, 1],
    );
    const standard = batchTargets(
      'inkBox',
      image(
        6,
        5,
        [
          [1, 2],
          [3, 3],
        ],
        2.8,
        -0.42,
      ),
      1,
      [6, 5, 1],
    );
    close(standard, Array.from(unit));
  });

  it('inkCentre is the centre of mass of the ink, at pixel centres; a batch is per image', () => {
    const one = image(5, 4, [[2, 1]]);
    const two = image(5, 4, [
      [0, 0],
      [4, 3],
    ]);
    const x = new Float32Array(40);
    x.set(one, 0);
    x.set(two, 20);
    close(batchTargets('inkCentre', x, 2, [5, 4, 1]), [2.5 / 5, 1.5 / 4, 2.5 / 5, 2 / 4]);
    assert.equal(TARGET_DIM.inkCentre, 2);
  });

  it('after the shift augmentation of makeBatch, the box and the centre move with the digit, by exactly the shift', () => {
    // One 6×5 uint8 image; ink 255 at (1, 2), (3, 3), (2, 2) and a half-ink pixel 128 at (3, 2).
    const h = 6;
    const w = 5;
    const images = new Uint8Array(h * w);
    for (const [r, c] of [
      [1, 2],
      [3, 3],
      [2, 2],
    ])
      images[r * w + c] = 255;
    images[3 * w + 2] = 128;
    const set: ImageSet = { images, labels: new Uint8Array(1), count: 1, height: h, width: w, channels: 1 };
    const split = { set, indices: Uint32Array.of(0) };
    const ds: Dataset = { train: split, val: split, test: split, numClasses: 2, shape: [h, w, 1], scale: 1 / 255, offset: 0, dataClasses: [0, 1] };
    const plain = makeBatch(ds, split, [0]);
    // Closed form: ink is above half of (0 + 1): rows 1–3, columns 2–3; the centre of mass of
    // 1, 1, 1 and 128/255 at pixel centres.
    close(batchTargets('inkBox', plain.x, 1, [h, w, 1]), [1 / 6, 2 / 5, 4 / 6, 4 / 5]);
    const m = 128 / 255;
    const mass = 3 + m;
    const cy = (1.5 + 3.5 + 2.5 + m * 3.5) / mass;
    const cx = (2.5 + 3.5 + 2.5 + m * 2.5) / mass;
    close(batchTargets('inkCentre', plain.x, 1, [h, w, 1]), [cy / h, cx / w], 1e-6);
    // shift 1 with rng values 0.9 then 0.1: dx = floor(0.9·3) − 1 = +1 (right), dy = floor(0.1·3) − 1 = −1 (up).
    const values = [0.9, 0.1];
    const shifted = makeBatch(ds, split, [0], 1, () => values.shift()!);
    close(batchTargets('inkBox', shifted.x, 1, [h, w, 1]), [0 / 6, 3 / 5, 3 / 6, 5 / 5]);
    close(batchTargets('inkCentre', shifted.x, 1, [h, w, 1]), [(cy - 1) / h, (cx + 1) / w], 1e-6);
  });

  it('file targets: rows by image index, checked against the image count; scored by mean absolute error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'targets-'));
    const set: ImageSet = { images: new Uint8Array(3 * 4), labels: new Uint8Array(3), count: 3, height: 2, width: 2, channels: 1 };
    fs.writeFileSync(path.join(dir, 'vals.idx'), encodeIdxFloat32([3, 2], Float32Array.of(0.5, -1, 2, 3, 7.25, 0)));
    const { outputs, issues } = resolveOutputs({ v: OutputSpec.parse({ target: 'vals.idx' }), box: OutputSpec.parse({ target: 'inkBox' }) }, dir, {
      train: set,
    });
    assert.deepEqual(issues, []);
    const [v, box] = outputs;
    assert.deepEqual([v.dim, v.activation, v.metric], [2, 'linear', 'mae']);
    assert.deepEqual([box.dim, box.activation, box.metric], [4, 'sigmoid', 'iou']);
    close(outputValues(v, new Float32Array(8), 2, [2, 2, 1], set, [2, 0]), [7.25, 0, 0.5, -1]);
    assert.equal(outputMetric(v, Float32Array.of(1, 1, 1, 1), Float32Array.of(7.25, 0, 0.5, -1), [2, 2, 1]), (6.25 + 1 + 0.5 + 2) / 4);
    assert.equal(meanAbsoluteError(Float32Array.of(1, 2), Float32Array.of(2, 0)), 1.5);
    fs.writeFileSync(path.join(dir, 'short.idx'), encodeIdxFloat32([2, 2], new Float32Array(4)));
    const bad = resolveOutputs({ v: OutputSpec.parse({ target: 'short.idx' }), w: OutputSpec.parse({ target: 'gone.idx' }) }, dir, { train: set });
    assert.deepEqual(
      bad.issues.map((i) => i.path),
      [
        ['outputs', 'v', 'target'],
        ['outputs', 'w', 'target'],
      ],
    );
    assert.match(bad.issues[0].message, /short\.idx has 2 rows, but the training images are 3/);
    assert.match(bad.issues[1].message, /gone\.idx/);
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
    assert.ok(
      Math.abs(meanPixelError(Float32Array.from([0.1, 0.2, 0.5, 0.5]), Float32Array.from([0.1, 0.2, 0.5 + 3 / 28, 0.5 + 4 / 28]), 28, 28) - 2.5) < 1e-5,
    );
  });

  it("OutputRegression: <name>_kd reads the teacher's head, <name>_gt the truth", () => {
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
