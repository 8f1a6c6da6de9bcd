import { strict as assert } from 'node:assert';
import { compareBySeed, describeComparison, distinguishable, logGamma, studentTCdf, studentTQuantile, tInterval95 } from '../../../../src/protocol/stats/seeds';
import { verdictOf } from '../../../../src/protocol/stats/verdict';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('seed statistics (paired t over seeds)', () => {
  it('ln Γ matches factorials and Γ(1/2) = √π', () => {
    close(logGamma(5), Math.log(24), 1e-12, 'Γ(5)');
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'Γ(1/2)');
    close(logGamma(21), 42.335616460753485, 1e-11, 'ln 20!');
  });

  it('the t CDF: symmetric, and Cauchy for 1 degree of freedom', () => {
    assert.equal(studentTCdf(0, 7), 0.5);
    close(studentTCdf(1, 1), 0.75, 1e-12, 'Cauchy F(1)');
    close(studentTCdf(-2, 1), 0.5 + Math.atan(-2) / Math.PI, 1e-12, 'Cauchy F(-2)');
    close(studentTCdf(1.5, 9) + studentTCdf(-1.5, 9), 1, 1e-12, 'symmetry');
  });

  it('the quantile equals the closed forms for df 1, 2 and 4', () => {
    for (const p of [0.6, 0.9, 0.95, 0.975, 0.995, 0.025]) {
      close(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9, `df 1, p ${p}`);
      close(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10, `df 2, p ${p}`);
      const a = 4 * p * (1 - p);
      const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a);
      close(studentTQuantile(p, 4), Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1), 1e-10, `df 4, p ${p}`);
    }
  });

  it('the quantile matches published t tables, and tends to the normal 1.959964', () => {
    // Two-sided 95 % critical values (p = 0.975), from standard t tables (4 decimals).
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [3, 3.1824],
      [4, 2.7764],
      [5, 2.5706],
      [6, 2.4469],
      [7, 2.3646],
      [8, 2.306],
      [9, 2.2622],
      [10, 2.2281],
      [15, 2.1314],
      [20, 2.086],
      [25, 2.0595],
      [29, 2.0452],
      [30, 2.0423],
      [40, 2.0211],
      [60, 2.0003],
      [120, 1.9799],
    ];
    for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 6e-5, `t(0.975, ${df})`);
    close(studentTQuantile(0.95, 10), 1.8125, 6e-5, 't(0.95, 10)');
    close(studentTQuantile(0.99, 3), 4.5407, 6e-5, 't(0.99, 3)');
    close(studentTQuantile(0.995, 5), 4.0321, 6e-5, 't(0.995, 5)');
    close(studentTQuantile(0.975, 1e6), 1.959964, 1e-5, 'normal limit');
    assert.throws(() => studentTQuantile(1, 3), /0 < p < 1/);
  });

  it('the 95 % interval of a mean: mean ± t(0.975, n−1)·sd/√n', () => {
    const t = tInterval95([1, 2, 3]);
    assert.equal(t.mean, 2);
    assert.equal(t.sd, 1);
    const t975df2 = 0.95 / Math.sqrt(2 * 0.975 * 0.025); // the df-2 closed form
    const half = t975df2 / Math.sqrt(3);
    close(t.interval95![0], 2 - half, 1e-9, 'lo');
    close(t.interval95![1], 2 + half, 1e-9, 'hi');
    assert.deepEqual(tInterval95([0.3]), { n: 1, mean: 0.3, sd: 0 }, 'one value: no interval');
  });

  it('paired by seed: only seeds both sides finished; the verdict is whether the interval holds 0', () => {
    const a = new Map([
      [1, 0.91],
      [2, 0.922],
      [3, 0.921],
      [4, 0.5],
    ]);
    const b = new Map([
      [1, 0.9],
      [2, 0.91],
      [3, 0.91],
      [5, 0.1],
    ]);
    const c = compareBySeed(a, b);
    assert.deepEqual(c.seeds, [1, 2, 3]);
    close(c.meanDiff, 0.011, 1e-12, 'mean of the paired differences 0.010, 0.012, 0.011');
    close(c.sdDiff, 0.001, 1e-12, 'their sd');
    close(c.interval95![0], 0.011 - (0.95 / Math.sqrt(0.04875)) * (0.001 / Math.sqrt(3)), 1e-9, 'lo');
    assert.equal(c.verdict, 'better', `${c.interval95}`);
    assert.ok(distinguishable(c));
    // A difference that flips sign between seeds is noise.
    const noisy = compareBySeed(
      new Map([
        [1, 0.92],
        [2, 0.9],
      ]),
      new Map([
        [1, 0.9],
        [2, 0.91],
      ]),
    );
    assert.equal(noisy.verdict, 'no measurable difference');
    assert.ok(!distinguishable(noisy));
    assert.equal(verdictOf([-0.03, -0.01]), 'worse');
    assert.equal(verdictOf([-0.01, 0]), 'no measurable difference', 'an interval touching 0 contains it');
    const one = compareBySeed(new Map([[7, 0.9]]), new Map([[7, 0.8]]));
    assert.equal(one.verdict, undefined);
    assert.equal(one.interval95, undefined);
    assert.ok(!distinguishable(one));
    assert.match(describeComparison(one), /^\+10\.00 pts \(one seed: no interval/);
    assert.equal(describeComparison(noisy), '+0.50 pts ± 2.12 sd, 95 % CI −18.56 to +19.56 over 2 seeds');
  });
});
