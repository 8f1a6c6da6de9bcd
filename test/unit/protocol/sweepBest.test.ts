import { strict as assert } from 'node:assert';
import { studentTQuantile } from '../../../src/protocol/stats/seeds';
import { summarizeSweep, type SweepFile, type SweepTrial } from '../../../src/protocol/sweep';
import { planApplyBest } from '../../../src/protocol/sweepBest';
import { sweepFileOf } from '../sweep/sweepFixture';

const T = 'distillation.temperature';
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

/** A finished sweep.json's trials, no training: baseline and settings by seed. */
function sweepOf(base: number[], settings: Record<number, number[]>, seeds = [1, 2, 3]): SweepFile {
  const trials: SweepTrial[] = [];
  const t = (id: string, kind: 'distill' | 'baseline', params: Record<string, number>, seed: number, metric: number): SweepTrial => ({
    id,
    kind,
    params,
    seed,
    metric,
    testAccuracy: metric,
    valAccuracy: metric,
    status: 'done',
    runDir: `trials/${id}`,
    configFile: `configs/${id}.kd.json`,
  });
  seeds.forEach((s, i) => base[i] !== undefined && trials.push(t(`baseline-s${s}`, 'baseline', {}, s, base[i])));
  for (const [temp, ms] of Object.entries(settings))
    seeds.forEach((s, i) => ms[i] !== undefined && trials.push(t(`T${temp}-s${s}`, 'distill', { [T]: Number(temp) }, s, ms[i])));
  return sweepFileOf({
    params: [{ path: T, values: Object.keys(settings).map(Number) }],
    seeds,
    trials,
  });
}

describe('a sweep’s verdict: intervals over seeds, best setting, warnings', () => {
  it('each setting gets its gain over the baseline paired by seed, with the 95 % t-interval and the verdict', () => {
    const s = sweepOf([0.8, 0.82, 0.81], { 2: [0.84, 0.85, 0.845], 8: [0.8, 0.83, 0.88] });
    summarizeSweep(s);
    const a = s.aggregates.find((x) => x.params[T] === 2)!;
    const v = a.vsBaseline!;
    assert.deepEqual(v.seeds, [1, 2, 3]);
    close(v.meanDiff, 0.035, 'mean of the gains 4, 3, 3.5 pts');
    close(v.sdDiff, 0.005, 'their sd');
    const half = (studentTQuantile(0.975, 2) * 0.005) / Math.sqrt(3);
    close(v.interval95![0], 0.035 - half, 'lo');
    close(v.interval95![1], 0.035 + half, 'hi');
    assert.equal(v.verdict, 'better');
    const b = s.aggregates.find((x) => x.params[T] === 8)!;
    assert.equal(b.vsBaseline!.verdict, 'no measurable difference', 'gains 0, 1, 7 pts straddle 0');
  });

  it('the best is the setting with the best mean, not the luckiest trial; it warns when the runner-up is not distinguishable', () => {
    const s = sweepOf([0.8, 0.82, 0.81], { 2: [0.84, 0.85, 0.845], 8: [0.8, 0.83, 0.88] });
    summarizeSweep(s);
    assert.equal(s.best!.trialId, 'T8-s3', 'the single best trial is a lucky seed of T = 8');
    assert.deepEqual(s.bestSetting!.params, { [T]: 2 });
    close(s.bestSetting!.mean, 0.845, 'best mean');
    assert.deepEqual(s.bestSetting!.runnerUp!.params, { [T]: 8 });
    close(s.bestSetting!.runnerUp!.vsRunnerUp.meanDiff, (0.04 + 0.02 - 0.035) / 3, 'best − runner-up, by seed');
    assert.equal(s.bestSetting!.runnerUp!.vsRunnerUp.verdict, 'no measurable difference');
    assert.equal(s.bestSetting!.warnings.length, 1, s.bestSetting!.warnings.join('\n'));
    assert.match(
      s.bestSetting!.warnings[0],
      /^the best setting \(temperature=2\) is not distinguishable from the runner-up \(temperature=8\): \+0\.83 pts ± .* 95 % CI −.* over 3 seeds$/,
    );
    const plan = planApplyBest(s);
    assert.ok(plan.ok);
    assert.deepEqual(plan.params, { [T]: 2 });
    assert.deepEqual(plan.warnings, s.bestSetting!.warnings);
  });

  it('a clear best raises no warning; one that still loses to the baseline does', () => {
    const clear = sweepOf([0.8, 0.82, 0.81], { 2: [0.84, 0.85, 0.845], 8: [0.81, 0.83, 0.82] });
    summarizeSweep(clear);
    assert.deepEqual(clear.bestSetting!.warnings, []);
    assert.equal(clear.bestSetting!.runnerUp!.vsRunnerUp.verdict, 'better');
    const losing = sweepOf([0.9, 0.91, 0.92], { 2: [0.84, 0.85, 0.845], 8: [0.8, 0.82, 0.81] });
    summarizeSweep(losing);
    assert.equal(losing.bestSetting!.vsBaseline!.verdict, 'worse');
    assert.ok(
      losing.bestSetting!.warnings.some((w) => /^the best setting \(temperature=2\) still loses to the same student trained from scratch: −6\.50 pts/.test(w)),
      losing.bestSetting!.warnings.join('\n'),
    );
    const tied = sweepOf([0.84, 0.86, 0.84], { 2: [0.85, 0.85, 0.845] });
    summarizeSweep(tied);
    assert.ok(tied.bestSetting!.warnings.some((w) => /is not distinguishable from the same student trained from scratch/.test(w)));
    assert.equal(tied.bestSetting!.runnerUp, undefined, 'one setting: no runner-up');
  });

  it('one seed: no interval, and the warnings say so', () => {
    const s = sweepOf([0.8], { 2: [0.84], 8: [0.83] }, [5]);
    summarizeSweep(s);
    assert.equal(s.aggregates[0].vsBaseline!.interval95, undefined);
    assert.equal(s.aggregates[0].vsBaseline!.verdict, undefined);
    assert.ok(s.bestSetting!.warnings.some((w) => w.startsWith('one seed: the best setting (temperature=2) cannot be told from the runner-up')));
    assert.ok(
      s.bestSetting!.warnings.some((w) =>
        w.startsWith('one seed: the best setting (temperature=2) cannot be told from the same student trained from scratch (+4.00 pts'),
      ),
    );
  });

  it('missing seeds and a missing baseline are warned about; a seeded run has nothing to apply', () => {
    const s = sweepOf([], { 2: [0.84, 0.85] });
    s.status = 'failed';
    summarizeSweep(s);
    assert.ok(s.bestSetting!.warnings.includes('only 2 of the 3 seeds of the best setting (temperature=2) finished'));
    assert.ok(s.bestSetting!.warnings.some((w) => w.startsWith('no baseline finished')));
    const plan = planApplyBest(s);
    // An unfinished sweep's best setting is one "so far": shown, never written (CLI and view alike).
    assert.ok(!plan.ok && /^the sweep failed; its best setting so far \(temperature=2\) is in sweep\.json/.test(plan.reason), JSON.stringify(plan));
    assert.ok(planApplyBest({ ...s, status: 'done' }).ok);
    const seeded = sweepOf([0.8, 0.82, 0.81], { 0: [0.84, 0.85, 0.845] });
    seeded.params = [];
    for (const t of seeded.trials) t.params = {};
    summarizeSweep(seeded);
    assert.equal(seeded.aggregates.length, 1);
    assert.equal(seeded.aggregates[0].vsBaseline!.verdict, 'better');
    assert.deepEqual(planApplyBest(seeded), { ok: false, reason: 'this is a seeded run (no swept parameters): there is no setting to apply' });
  });
});
