import { strict as assert } from 'node:assert';
import {
  mcnemarExactP,
  newcombePairedInterval,
  pairedSignificance,
  pairedTable,
  wilsonInterval,
  type PairedTable,
} from '../../../../src/protocol/stats/paired';
import { verdictOf } from '../../../../src/protocol/stats/verdict';
import { mulberry32 } from '../../../../src/engine/util/rng';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} ≠ ${expected} ± ${tol}`);

describe('paired statistics: McNemar exact test and Newcombe interval (protocol/stats/paired)', () => {
  it("McNemar's exact p-value equals 2·Σ C(n,k)/2ⁿ, computed by hand in exact rationals", () => {
    // python3: 2*sum(comb(b+c,k) for k in range(min(b,c)+1)) / 2**(b+c), with fractions.Fraction.
    const cases: [number, number, number][] = [
      [1, 9, 22 / 1024],
      [9, 1, 22 / 1024],
      [6, 16, 0.052478790283203125],
      [0, 5, 0.0625],
      [10, 0, 0.001953125],
      [40, 60, 0.05688793364098079],
      [150, 86, 3.715936139571442e-5],
    ];
    for (const [b, c, p] of cases) close(mcnemarExactP(b, c), p, p * 1e-9, `p(${b}, ${c})`);
    assert.equal(mcnemarExactP(5, 5), 1);
    close(mcnemarExactP(3, 4), 1, 1e-12, '2·P(X ≤ 3) of Bin(7, ½) = 1');
    assert.equal(mcnemarExactP(0, 0), 1, 'no discordant pairs, no evidence');
  });

  it('stays finite for tens of thousands of discordant pairs (log-space sum)', () => {
    const p = mcnemarExactP(20_000, 20_400);
    assert.ok(p > 0 && p < 0.06, `p = ${p}`); // z = 400/√40400 ≈ 1.99
    assert.ok(mcnemarExactP(20_000, 30_000) >= 0);
  });

  it("Wilson's interval matches its closed form at the edges", () => {
    const z2 = 1.959963984540054 ** 2;
    const [lo, hi] = wilsonInterval(0, 10);
    assert.equal(lo, 0);
    close(hi, z2 / (10 + z2), 1e-12, 'upper of 0/10');
    const [lo2, hi2] = wilsonInterval(10, 10);
    close(lo2, 10 / (10 + z2), 1e-12, 'lower of 10/10');
    close(hi2, 1, 1e-12, 'upper of 10/10');
  });

  it("Newcombe's interval reproduces the published value for the Cavo et al. (2012) table", () => {
    // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8,
    // R package contingencytables, test-ch8.R: the table [[59, 6], [16, 80]] gives
    // "estimate = -0.0621 (95% CI -0.1186 to -0.0046)" for the Newcombe square-and-add interval.
    const t: PairedTable = { both: 59, onlyFirst: 6, onlySecond: 16, neither: 80 };
    const [lo, hi] = newcombePairedInterval(t);
    close(lo, -0.1186, 5e-5, 'lower');
    close(hi, -0.0046, 5e-5, 'upper');
  });

  it('covers the true difference about 95 % of the time (seeded simulation of 4 000 test sets of 500)', () => {
    // True cell probabilities: both right 0.88, only distilled 0.03, only baseline 0.04, neither 0.05; θ = −0.01.
    const rng = mulberry32(13);
    const cells = [0.88, 0.03, 0.04, 0.05];
    const theta = 0.03 - 0.04;
    let covered = 0;
    let rejectedNull = 0;
    const trials = 4000;
    for (let s = 0; s < trials; s++) {
      const t: PairedTable = { both: 0, onlyFirst: 0, onlySecond: 0, neither: 0 };
      const keys = ['both', 'onlyFirst', 'onlySecond', 'neither'] as const;
      for (let i = 0; i < 500; i++) {
        let u = rng();
        let k = 0;
        while (k < 3 && u >= cells[k]) u -= cells[k++];
        t[keys[k]]++;
      }
      const [lo, hi] = newcombePairedInterval(t);
      if (lo <= theta && theta <= hi) covered++;
      // Under a null with the same discordance (b and c each 0.035), the exact test rejects at most 5 %.
      const b = t.onlyFirst + t.onlySecond;
      let first = 0;
      for (let i = 0; i < b; i++) if (rng() < 0.5) first++;
      if (mcnemarExactP(first, b - first) <= 0.05) rejectedNull++;
    }
    const coverage = covered / trials;
    assert.ok(coverage > 0.93 && coverage < 0.97, `coverage ${coverage}`);
    assert.ok(rejectedNull / trials <= 0.05 && rejectedNull / trials > 0.02, `type I error ${rejectedNull / trials}`);
  });

  it('the verdict is "no measurable difference" exactly when the interval contains 0', () => {
    assert.equal(verdictOf([-0.02, 0.001]), 'no measurable difference');
    assert.equal(verdictOf([0, 0.03]), 'no measurable difference');
    assert.equal(verdictOf([0.001, 0.03]), 'better');
    assert.equal(verdictOf([-0.03, -0.001]), 'worse');
  });

  it('pairs the predictions per sample: b = distilled right & baseline wrong, c = the reverse', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7];
    const distilled = [0, 1, 2, 3, 9, 9, 6, 9];
    const baseline = [0, 1, 9, 9, 4, 9, 9, 9];
    assert.deepEqual(pairedTable(labels, distilled, baseline), { both: 2, onlyFirst: 3, onlySecond: 1, neither: 2 });
    const s = pairedSignificance(labels, distilled, baseline);
    assert.deepEqual(s.discordant, [3, 1]);
    assert.equal(s.test, 'mcnemar');
    close(s.pValue, (2 * (1 + 4)) / 16, 1e-12, 'p'); // 2·(C(4,0)+C(4,1))/2⁴
    assert.equal(s.verdict, 'no measurable difference');
    assert.match(s.method, /Newcombe/);
    // 0.25 points of difference on 8 samples: the interval is wide and holds the estimate.
    assert.ok(s.interval95[0] < 0.25 && 0.25 < s.interval95[1]);
  });

  it('a large consistent gain is "better", a large loss "worse"', () => {
    const n = 2000;
    const labels = new Array(n).fill(1);
    // 1 900 both right; distilled alone right on 60, the baseline on 10: +2.5 points.
    const distilled = labels.map((_, i) => (i < 1960 ? 1 : 0));
    const baseline = labels.map((_, i) => (i < 1900 || (i >= 1960 && i < 1970) ? 1 : 0));
    const s = pairedSignificance(labels, distilled, baseline);
    assert.deepEqual(s.discordant, [60, 10]);
    assert.equal(s.verdict, 'better');
    assert.ok(s.pValue < 1e-8);
    assert.equal(pairedSignificance(labels, baseline, distilled).verdict, 'worse');
  });
});
