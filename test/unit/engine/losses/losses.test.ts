import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { attentionMap, attentionTerm, cosineTerm, FeatureDistillation, AttentionTransfer, mseTerm } from '../../../../src/engine/losses/features';
import { ceTerm, kdTerm } from '../../../../src/engine/losses/logits';
import { combineOutputLosses, maskedTokenKdTerm, smoothL1Term } from '../../../../src/engine/losses/outputs';
import { knobsAt, scheduledValue } from '../../../../src/engine/losses/schedules';
import { buildAdapter } from '../../../../src/engine/models/adapters';
import { combineTeacherLogits } from '../../../../src/engine/models/forward';
import { gradientGap, values } from './helpers';

const near = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

describe('distillation losses', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('MSE and cosine against hand-computed values', () => {
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const b = tf.tensor2d([
      [1, 0],
      [0, 4],
    ]);
    near(mseTerm(tf, a, b).dataSync()[0], (0 + 4 + 9 + 0) / 4);
    // cos([1,2],[1,0]) = 1/√5; cos([3,4],[0,4]) = 16/(5·4) = 0.8
    near(cosineTerm(tf, a, b).dataSync()[0], (1 - 1 / Math.sqrt(5) + (1 - 0.8)) / 2);
  });

  it('the attention map of a known tensor', () => {
    // One sample, 2×2 positions, 2 channels: channel mean of squares = [ (1+9)/2, (4+0)/2, 0, (4+4)/2 ] = [5, 2, 0, 4]
    const f = tf.tensor4d([1, 3, 2, 0, 0, 0, 2, 2], [1, 2, 2, 2]);
    const map = attentionMap(tf, f).dataSync();
    const norm = Math.sqrt(25 + 4 + 0 + 16);
    [5, 2, 0, 4].forEach((v, i) => near(map[i], v / norm));
    near(attentionTerm(tf, f, f).dataSync()[0], 0);
    // Scaling activations changes no attention map.
    near(attentionTerm(tf, f, tf.mul(f, 3)).dataSync()[0], 0);
  });

  it('attention term: squared L2 distance of the maps, and resizing of the larger map', () => {
    const s = tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]); // map [1,0,0,0]
    const t = tf.tensor4d([0, 0, 0, 1], [1, 2, 2, 1]); // map [0,0,0,1]
    near(attentionTerm(tf, s, t).dataSync()[0], 2);
    // A 4×4 teacher whose 2×2 blocks average to the student's energies gives the same loss as a 2×2 one.
    const big = tf.tidy(() => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [4, 4]));
    near(attentionTerm(tf, s, big).dataSync()[0], 2);
  });

  it('smooth L1 against its closed form', () => {
    const p = tf.tensor1d([0, 0.5, 3, -2]);
    const t = tf.tensor1d([0, 0, 0, 0]);
    near(smoothL1Term(tf, p, t).dataSync()[0], (0 + 0.125 + 2.5 + 1.5) / 4);
    near(smoothL1Term(tf, p, t, 2).dataSync()[0], (0 + 0.0625 + 2 + 1) / 4);
  });

  it('masked token-level KD ignores masked positions', () => {
    const s = tf.tensor3d(values(2 * 3 * 4, 1), [2, 3, 4]);
    const t = tf.tensor3d(values(2 * 3 * 4, 2), [2, 3, 4]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [1, 0, 0],
    ]);
    const loss = maskedTokenKdTerm(tf, s, t, mask, 2).dataSync()[0];
    // Garbage in the masked positions changes nothing.
    const garbage = tf.tidy(() => tf.where(tf.cast(tf.expandDims(mask, -1).tile([1, 1, 4]), 'bool'), s, tf.fill(s.shape, 1e3)));
    near(maskedTokenKdTerm(tf, garbage, t, mask, 2).dataSync()[0], loss);
    // It equals the per-row KD averaged over the three real tokens.
    const rows = (x: tf.Tensor) => tf.gather(tf.reshape(x, [6, 4]), [0, 1, 3]);
    near(loss, kdTerm(tf, rows(s), rows(t), 2).dataSync()[0], 1e-5);
  });

  it('multi-output: KL on class logits plus smooth L1 on a box, each weighted', () => {
    const cls = [tf.tensor2d([[2, 0, -1]]), tf.tensor2d([[1, 1, 0]])];
    const box = [tf.tensor2d([[0.5, 0.5, 2, 2]]), tf.tensor2d([[0, 0.5, 2, 0]])];
    const { total, terms } = combineOutputLosses(
      tf,
      [
        { output: 0, kind: 'kl', weight: 0.5, temperature: 2 },
        { output: 1, kind: 'smoothL1', weight: 2, name: 'box' },
      ],
      { studentOutputs: [cls[0], box[0]], teacherOutputs: [cls[1], box[1]] },
    );
    const kl = kdTerm(tf, cls[0], cls[1], 2).dataSync()[0];
    near(terms.box.dataSync()[0], (0.125 + 0 + 0 + 1.5) / 4);
    near(total.dataSync()[0], 0.5 * kl + 2 * terms.box.dataSync()[0]);
  });

  it('masked cross-entropy averages over labeled samples only', () => {
    const logits = tf.tensor2d([
      [2, 0],
      [0, 2],
      [5, -5],
    ]);
    const labels = tf.tensor2d([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const mask = tf.tensor1d([1, 1, 0]);
    const expected = (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(2))) / 2;
    near(ceTerm(tf, logits, labels, mask).dataSync()[0], expected);
  });

  it('gradients match finite differences', () => {
    const target2 = tf.tensor2d(values(6, 3), [2, 3]);
    const target4 = tf.tensor4d(values(2 * 3 * 3 * 2, 4), [2, 3, 3, 2]);
    const x2 = tf.tensor2d(values(6, 5), [2, 3]);
    const x4 = tf.tensor4d(values(2 * 3 * 3 * 3, 6), [2, 3, 3, 3]);
    const tokT = tf.tensor3d(values(2 * 2 * 3, 7), [2, 2, 3]);
    const tokS = tf.tensor3d(values(2 * 2 * 3, 8), [2, 2, 3]);
    const mask = tf.tensor2d([
      [1, 0],
      [1, 1],
    ]);
    const cases: [string, (x: tf.Tensor) => tf.Scalar, tf.Tensor][] = [
      ['mse', (x) => mseTerm(tf, x, target2), x2],
      ['cosine', (x) => cosineTerm(tf, x, target2), x2],
      ['smoothL1', (x) => smoothL1Term(tf, tf.mul(x, 3), target2), x2],
      ['attention', (x) => attentionTerm(tf, x, target4), x4],
      ['token kd', (x) => maskedTokenKdTerm(tf, x, tokT, mask, 2), tokS],
    ];
    for (const [name, f, x] of cases) assert.ok(gradientGap(f, x) < 2e-2, `${name}: gradient differs from finite differences`);
  });

  it('ensemble of two identical teachers equals one teacher, for every combination', () => {
    const z = tf.tensor2d(
      values(12, 9).map((v) => v * 4),
      [3, 4],
    );
    const soft = (x: tf.Tensor) => tf.softmax(tf.div(x, 3)).dataSync();
    for (const combine of ['mean-logits', 'mean-probabilities', 'weighted'] as const) {
      const one = soft(combineTeacherLogits(tf, [z], { combine, weights: [1], temperature: 3 }));
      const two = soft(combineTeacherLogits(tf, [z, z], { combine, weights: [0.3, 0.7], temperature: 3 }));
      one.forEach((v, i) => near(two[i], v, 1e-6));
      soft(z).forEach((v, i) => near(one[i], v, 1e-6));
    }
    // mean-probabilities really averages probabilities at T.
    const z2 = tf.tensor2d(values(12, 10), [3, 4]);
    const mixed = tf.softmax(tf.div(combineTeacherLogits(tf, [z, z2], { combine: 'mean-probabilities', temperature: 3 }), 3)).dataSync();
    const a = soft(z);
    const b = soft(z2);
    mixed.forEach((v, i) => near(v, (a[i] + b[i]) / 2, 1e-6));
  });

  it('an adapter bridging 16→32 channels trains with the feature loss', () => {
    const adapter = buildAdapter(tf, [4, 4, 16], [4, 4, 32], 'adapter_test', 1)!;
    assert.equal(adapter.description, '1×1 conv 16→32');
    const s = tf.tensor4d(values(2 * 4 * 4 * 16, 11), [2, 4, 4, 16]);
    const t = tf.tensor4d(values(2 * 4 * 4 * 32, 12), [2, 4, 4, 32]);
    const term = new FeatureDistillation([{ slot: 0, weight: 1, loss: 'mse', adapter }], { beta: 1 });
    const before = Float32Array.from(adapter.variables[0].dataSync());
    const loss = () => term.compute(tf, { studentLogits: tf.zeros([2, 2]), labels: tf.zeros([2, 2]), studentFeatures: [s], teacherFeatures: [t] });
    const first = loss().dataSync()[0];
    const opt = tf.train.adam(0.05);
    for (let i = 0; i < 30; i++) opt.minimize(loss, false, term.variables);
    assert.ok(loss().dataSync()[0] < first * 0.9, 'the adapter learns to map the student onto the teacher');
    assert.notDeepEqual(Array.from(adapter.variables[0].dataSync()), Array.from(before));
    assert.throws(() => buildAdapter(tf, [4, 4, 16], [32], 'x', 1), /cannot be bridged/);
    assert.equal(buildAdapter(tf, [4, 4, 16], [8, 8, 16], 'y', 1), undefined);
  });

  it('attention transfer sums weighted pairs', () => {
    const s = tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]);
    const t = tf.tensor4d([0, 0, 0, 1], [1, 2, 2, 1]);
    const term = new AttentionTransfer(
      [
        { slot: 0, weight: 0.5 },
        { slot: 1, weight: 2 },
      ],
      { beta: 1 },
    );
    near(
      term.compute(tf, { studentLogits: tf.zeros([1, 2]), labels: tf.zeros([1, 2]), studentFeatures: [s, s], teacherFeatures: [t, s] }).dataSync()[0],
      0.5 * 2 + 2 * 0,
    );
  });

  it('schedules of α, T and β', () => {
    near(scheduledValue(4, { type: 'linear', to: 1 }, 0.5), 2.5);
    near(scheduledValue(4, { type: 'cosine', to: 0 }, 0.5), 2);
    near(scheduledValue(4, { type: 'constant', to: 0 }, 0.7), 4);
    const d = {
      temperature: 8,
      alpha: 0.9,
      beta: 1,
      schedule: { temperature: { type: 'linear' as const, to: 2 }, alpha: { type: 'cosine' as const, to: 0.1 } },
    } as never;
    const first = knobsAt(d, 0, 11);
    const last = knobsAt(d, 10, 11);
    near(first.temperature, 8);
    near(last.temperature, 2);
    near(first.alpha, 0.9);
    near(last.alpha, 0.1);
    near(knobsAt(d, 5, 11).temperature, 5);
  });
});
