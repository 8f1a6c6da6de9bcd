/**
 * `distill run --seeds N` end to end on a tiny config: the per-seed rows and the verdict across
 * seeds in the output, and the same numbers in sweep.json, recomputed here from the trials'
 * own summary.json files.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listRunDirs, readSummary, runsRootFor } from '../../../src/protocol/runFolder';
import { readSweep, sweepsRootFor } from '../../../src/protocol/sweep';
import { distill, tinyKd, writeKd } from '../cli/cliHelpers';

describe('seeded runs (distill run --seeds)', function () {
  this.timeout(300_000);

  it('runs distilled and baseline per seed, and reports mean ± sd and the paired t-interval across seeds', () => {
    const kd = writeKd(
      tinyKd({
        data: { source: 'mnist', limit: 300 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } }],
        training: { epochs: 2, batchSize: 50 },
        seed: 7,
      }),
    );
    const r = distill('run', kd, '--seeds', '2', '--parallel', '1');
    assert.equal(r.code, 0, r.stderr);
    const [dir, ...others] = fs.readdirSync(sweepsRootFor(kd));
    assert.equal(others.length, 0, 'one seeded-run folder');
    const s = readSweep(path.join(sweepsRootFor(kd), dir))!;
    assert.equal(s.status, 'done');
    assert.deepEqual(s.params, []);
    assert.deepEqual(s.seeds, [7, 8]);
    assert.equal(s.metric, 'testAccuracy', 'a seeded run is judged on test accuracy, as a single run is');
    assert.deepEqual(s.trials.map((t) => `${t.kind}-${t.seed}-${t.status}`).sort(), ['baseline-7-done', 'baseline-8-done', 'distill-7-done', 'distill-8-done']);
    // The gains, from the trials' own run folders.
    const acc = (kind: string, seed: number) =>
      readSummary(path.join(sweepsRootFor(kd), dir, s.trials.find((t) => t.kind === kind && t.seed === seed)!.runDir))!.student!.testAccuracy;
    const gains = [7, 8].map((seed) => acc('distill', seed) - acc('baseline', seed));
    const mean = (gains[0] + gains[1]) / 2;
    const sd = Math.abs(gains[0] - gains[1]) / Math.SQRT2;
    const half = Math.tan(0.475 * Math.PI) * (sd / Math.SQRT2); // t(0.975, 1 df) is Cauchy's: tan(0.475π) = 12.706
    const v = s.aggregates[0].vsBaseline!;
    assert.deepEqual(v.seeds, [7, 8]);
    assert.ok(Math.abs(v.meanDiff - mean) < 1e-12 && Math.abs(v.sdDiff - sd) < 1e-12, JSON.stringify(v));
    assert.ok(Math.abs(v.interval95![0] - (mean - half)) < 1e-9 && Math.abs(v.interval95![1] - (mean + half)) < 1e-9, JSON.stringify(v));
    assert.equal(v.verdict, mean - half > 0 ? 'better' : mean + half < 0 ? 'worse' : 'no measurable difference');
    // The output: a row per seed, mean ± sd, and the verdict in words with the interval.
    const p = (x: number) => `${(x * 100).toFixed(2)}%`;
    for (const seed of [7, 8])
      assert.match(r.stdout, new RegExp(`^${seed} +${p(acc('distill', seed))} +${p(acc('baseline', seed))} +[+−]\\d+\\.\\d\\d pts$`, 'm'));
    assert.match(r.stdout, /^mean ± sd +\d+\.\d\d% ± \d+\.\d\d +\d+\.\d\d% ± \d+\.\d\d +[+−]\d+\.\d\d ± \d+\.\d\d pts$/m);
    const words = {
      better: 'distillation beat',
      worse: 'distillation did worse than',
      'no measurable difference': 'no measurable difference between distillation and',
    }[v.verdict!];
    const ci = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(2)}`;
    assert.ok(r.stdout.includes(`${words} the same student trained from scratch across 2 seeds: `), r.stdout);
    assert.ok(r.stdout.includes(`95 % CI ${ci(v.interval95![0])} to ${ci(v.interval95![1])} over 2 seeds`), r.stdout);
    assert.deepEqual(listRunDirs(runsRootFor(kd)), [], 'no plain run folder');

    // --seeds 1 is a plain single run of the kd.json's seed; a bad count is refused.
    const one = distill('run', kd, '--seeds', '1');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(listRunDirs(runsRootFor(kd)).length, 1);
    const bad = distill('run', kd, '--seeds', '0');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--seeds must be a whole number from 1 to 100/);
  });

  it('kd.json "seeds" (a list) runs those seeds; a bad value is a config error with its path', () => {
    const bad = distill('run', writeKd(tinyKd({ seeds: 0 })));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /kd\.json:\d+:\d+: seeds: /);
    const kd = writeKd(
      tinyKd({
        data: { source: 'mnist', limit: 200 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] }, training: { epochs: 1, batchSize: 50 } }],
        training: { epochs: 1, batchSize: 50 },
        seeds: [3, 11],
      }),
    );
    const r = distill('run', kd, '--json', '--parallel', '2');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.seeds, [3, 11]);
    assert.equal(s.trials.length, 4);
    assert.equal(s.aggregates[0].vsBaseline.n, 2);
  });
});
