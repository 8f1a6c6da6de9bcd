/**
 * `distill sweep --apply` and the sweep table, on a synthetic sweep.json (no training): the best
 * setting lands in kd.json with its comments kept, every doubt is printed, and the table shows
 * each setting's interval and verdict, the best setting, and the best single trial as such.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { sweepItemModel, trialLabel } from '../../../src/extension/tree/runInfo';
import { readSweep, summarizeSweep, SWEEP_FILES, type SweepFile, type SweepTrial } from '../../../src/protocol/sweep';
import { ONE_SEED_NO_VERDICT, seedsVerdictLine } from '../../../src/protocol/sweepBest';
import { applyBest } from '../../../src/sweep/cli';
import { sweepTable } from '../../../src/sweep/table';
import { settingRows, trialColumns } from '../../../webview/lib/sweep';
import { sweepFileOf } from './sweepFixture';

const T = 'distillation.temperature';
const A = 'distillation.alpha';

/** Seeds 1..3: baseline 80–82 %; (T 2, α 0.9) clearly above it; (T 8, α 0.5) noisier, with one lucky trial. */
function sweep(configPath: string): SweepFile {
  const trials: SweepTrial[] = [];
  const add = (id: string, kind: 'distill' | 'baseline', params: Record<string, number>, seed: number, metric: number) =>
    trials.push({
      id,
      kind,
      params,
      seed,
      metric,
      valAccuracy: metric,
      testAccuracy: metric - 0.01,
      status: 'done',
      runDir: `trials/${id}`,
      configFile: `configs/${id}.kd.json`,
    });
  [0.8, 0.82, 0.81].forEach((m, i) => add(`baseline-s${i + 1}`, 'baseline', {}, i + 1, m));
  [0.84, 0.85, 0.845].forEach((m, i) => add(`t01-s${i + 1}`, 'distill', { [T]: 2, [A]: 0.9 }, i + 1, m));
  [0.8, 0.83, 0.88].forEach((m, i) => add(`t02-s${i + 1}`, 'distill', { [T]: 8, [A]: 0.5 }, i + 1, m));
  const s: SweepFile = sweepFileOf({
    params: [
      { path: T, values: [2, 8] },
      { path: A, values: [0.9, 0.5] },
    ],
    seeds: [1, 2, 3],
    trials,
    configPath,
  });
  summarizeSweep(s);
  return s;
}

function captureStderr(f: () => void): string {
  const orig = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stderr.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stderr.write;
  try {
    f();
  } finally {
    process.stderr.write = orig;
  }
  return out;
}

const KD = `{
  // my experiment: keep this comment
  "name": "x",
  "distillation": {
    "temperature": 4, /* T */
    "alpha": 0.7
  },
  "sweep": { "params": { "distillation.temperature": [2, 8], "distillation.alpha": [0.9, 0.5] }, "seeds": 3 }
}
`;

describe('distill sweep --apply and the sweep table', () => {
  it('writes the best setting (best mean, not best trial) into kd.json, keeps comments, prints the warnings', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'apply-')), 'kd.json');
    fs.writeFileSync(file, KD);
    const s = sweep(file);
    const err = captureStderr(() => assert.equal(applyBest(file, s), true));
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes('// my experiment: keep this comment') && text.includes('/* T */'), text);
    const cfg = parse(text);
    assert.deepEqual(cfg.distillation, { temperature: 2, alpha: 0.9 }, 'the best setting, though the best single trial is T 8');
    assert.equal(text.replace('"temperature": 2', '"temperature": 4').replace('"alpha": 0.9', '"alpha": 0.7'), KD, 'nothing else changed');
    assert.match(err, /^applied to kd\.json: the best setting distillation\.temperature=2,distillation\.alpha=0\.9$/m);
    assert.match(
      err,
      /^warning: the best setting \(temperature=2, alpha=0\.9\) is not distinguishable from the runner-up \(temperature=8, alpha=0\.5\): \+0\.83 pts/m,
    );
    // A failed sweep is not applied.
    fs.writeFileSync(file, KD);
    const failed = captureStderr(() => assert.equal(applyBest(file, { ...s, status: 'failed' }), false));
    assert.equal(fs.readFileSync(file, 'utf8'), KD);
    assert.match(failed, /not applied to kd\.json: the sweep failed/);
  });

  it('the table: mean ± sd, the gain with its 95 % CI and verdict per setting; best setting; best single trial as such', () => {
    const s = sweep('/k/kd.json');
    const lines = sweepTable(s).split('\n');
    assert.match(
      lines[0],
      /^distillation\.temperature +distillation\.alpha +validation accuracy \(mean ± sd\) +test accuracy +vs baseline \(mean ± sd\) +95 % CI \(pts\) +verdict +seeds$/,
    );
    const row = lines.find((l) => l.startsWith('2 '))!;
    assert.match(row, /^2 +0\.9 +84\.50% ± 0\.50 +83\.50% ± 0\.50 +\+3\.50 ± 0\.50 pts +\+2\.26 to \+4\.74 +better +3$/);
    assert.match(
      lines.find((l) => l.startsWith('8 '))!,
      / no measurable difference +3$/,
    );
    assert.ok(lines.some((l) => /^baseline \(from scratch\) +81\.00% ± 1\.00/.test(l)));
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          'best setting: distillation.temperature=2,distillation.alpha=0.9: validation accuracy 84.50% ± 0.50 over 3 seed(s); vs baseline +3.50 pts ± 0.50 sd, 95 % CI +2.26 to +4.74 over 3 seeds (better)',
        ),
      ),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => l.startsWith('warning: the best setting (temperature=2, alpha=0.9) is not distinguishable from the runner-up')));
    assert.ok(lines.some((l) => l.startsWith('best single trial (one seed, not the best setting): t02-s3 ')));
    assert.ok(!lines.some((l) => /^best trial/.test(l)));
  });

  describe('a baseline that starts from a model file\'s weights (sweep.json baselineStart "file")', () => {
    /** sweep.json on disk, read back through readSweep (the one reader), as the CLI and the sidebar see it. */
    const throughDisk = (s: SweepFile): SweepFile => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-start-'));
      fs.writeFileSync(path.join(dir, SWEEP_FILES.sweep), JSON.stringify(s));
      return readSweep(dir)!;
    };
    /** Only the trials of these seeds (one seed: the one-seed warnings and verdicts). */
    const onSeeds = (s: SweepFile, seeds: number[]): SweepFile => ({ ...s, seeds, trials: s.trials.filter((t) => seeds.includes(t.seed)) });
    /** A seeded run: the distilled student and its baseline per seed, nothing swept. */
    const seeded = (seeds: number[]): SweepFile => {
      const base = sweep('/k/kd.json');
      const trials = base.trials
        .filter((t) => t.kind === 'baseline' || t.id.startsWith('t01-'))
        .map((t) => (t.kind === 'distill' ? { ...t, id: `distill-s${t.seed}`, params: {} } : t));
      return onSeeds({ ...base, metric: 'testAccuracy', metricLabel: 'test accuracy', params: [], trials }, seeds);
    };
    /** Every text a person reads about this sweep: the CLI table (with its warnings), the seeds verdict line, the sidebar item, its trials and the view's labels. */
    const texts = (s: SweepFile): string[] => {
      const item = sweepItemModel(s, 0);
      return [
        sweepTable(s),
        ...(s.bestSetting?.warnings ?? []),
        seedsVerdictLine(s.aggregates[0]?.vsBaseline, s.baselineStart),
        item.label,
        item.description,
        item.tooltip,
        ...s.trials.map((t) => trialLabel(t, s.baselineStart)),
        ...trialColumns(s).map((c) => c.label),
        ...settingRows(s).map((r) => r.verdict),
      ];
    };
    const cases = (start?: 'file') => {
      const withStart = (s: SweepFile) => throughDisk(start ? { ...s, baselineStart: start } : s);
      return {
        sweep: withStart(sweep('/k/kd.json')),
        oneSeedSweep: withStart(onSeeds(sweep('/k/kd.json'), [1])),
        seeded: withStart(seeded([1, 2, 3])),
        oneSeedSeeded: withStart(seeded([1])),
      };
    };

    it('no "scratch" anywhere: the CLI sweep and seeds tables, the warnings, the seeds verdict line, the sidebar items', () => {
      for (const [what, s] of Object.entries(cases('file'))) {
        assert.equal(s.baselineStart, 'file');
        const all = texts(s).join('\n');
        assert.ok(!/scratch/i.test(all), `${what}:\n${all}`);
        assert.ok(all.includes('same start, no teacher'), `${what} names the baseline:\n${all}`);
      }
      const { sweep: full, oneSeedSweep, seeded: three } = cases('file');
      assert.ok(
        sweepTable(full)
          .split('\n')
          .some((l) => /^baseline \(same start, no teacher\) +81\.00% ± 1\.00/.test(l)),
        sweepTable(full),
      );
      assert.match(sweepTable(three).split('\n')[0], /^seed +distilled \(test accuracy\) +same start, no teacher +gain$/);
      assert.match(
        seedsVerdictLine(three.aggregates[0].vsBaseline, three.baselineStart),
        /^distillation beat the same student from the same start with no teacher across 3 seeds: /,
      );
      assert.ok(
        oneSeedSweep.bestSetting!.warnings.some((w) =>
          w.startsWith(
            'one seed: the best setting (temperature=2, alpha=0.9) cannot be told from the same student from the same start with no teacher (+4.00 pts',
          ),
        ),
        oneSeedSweep.bestSetting!.warnings.join('\n'),
      );
      assert.match(sweepItemModel(three, 0).tooltip, /^n: distilled vs same start, no teacher over seeds, done\n/);
    });

    it('an older sweep.json without baselineStart reads as "scratch", in the same words as before', () => {
      const { sweep: full, seeded: three, oneSeedSweep } = cases();
      assert.equal(full.baselineStart, 'scratch');
      assert.ok(
        sweepTable(full)
          .split('\n')
          .some((l) => /^baseline \(from scratch\) +81\.00% ± 1\.00/.test(l)),
      );
      assert.match(sweepTable(three).split('\n')[0], /^seed +distilled \(test accuracy\) +from scratch +gain$/);
      assert.match(
        seedsVerdictLine(three.aggregates[0].vsBaseline, three.baselineStart),
        /^distillation beat the same student trained from scratch across 3 seeds: /,
      );
      assert.ok(
        oneSeedSweep.bestSetting!.warnings.some((w) =>
          w.startsWith('one seed: the best setting (temperature=2, alpha=0.9) cannot be told from the same student trained from scratch'),
        ),
      );
      assert.equal(trialLabel(full.trials[0], full.baselineStart), 'baseline (scratch) · seed 1');
    });

    it("one seed reads the same everywhere: the CLI table, the view's settings table and the sidebar", () => {
      const { oneSeedSweep, oneSeedSeeded } = cases('file');
      assert.ok(sweepTable(oneSeedSweep).includes(ONE_SEED_NO_VERDICT), sweepTable(oneSeedSweep));
      assert.deepEqual(
        settingRows(oneSeedSweep).map((r) => r.verdict),
        [ONE_SEED_NO_VERDICT, ONE_SEED_NO_VERDICT],
      );
      assert.ok(sweepItemModel(oneSeedSeeded, 0).description.includes(`${ONE_SEED_NO_VERDICT}: +4.00 pts`), sweepItemModel(oneSeedSeeded, 0).description);
    });
  });
});
