import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bestParamEdits, minimalReplace } from '../../../src/protocol/kdJsonEdits';
import { loadSweep, sweepTitle } from '../../../src/extension/sweeps/sweepData';
import { applyEdits } from 'jsonc-parser';
import { summarizeSweep, type SweepFile, type SweepTrial } from '../../../src/protocol/sweep';
import { sweepFileOf } from '../sweep/sweepFixture';
import {
  bestSettingRow,
  bestSingleTrial,
  csvField,
  heatGrid,
  linesByAlpha,
  parallelAxes,
  settingRows,
  sortTrials,
  trialColumns,
  trialsCsv,
} from '../../../webview/lib/sweep';

const T = 'distillation.temperature';
const A = 'distillation.alpha';
const close = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-12, `${what} ${a} vs ${b}`);

/** The value of a trial: 0.5 + T/100 + α/10, one point more on seed 2, and a lucky T 4, α 0.9 on seed 2. */
const value = (t: number, a: number, seed: number) => 0.5 + t / 100 + a / 10 + (seed === 2 ? 0.01 : 0) + (t === 4 && a === 0.9 && seed === 2 ? 0.05 : 0);

/** An engine sweep.json: T 1, 4, 8 × α 0.5, 0.9 × seeds 1, 2, and a baseline per seed; no statistics in it yet. */
function engineFile(): SweepFile {
  const trials: SweepTrial[] = [];
  for (const seed of [1, 2])
    trials.push({
      id: `b${seed}`,
      kind: 'baseline',
      params: {},
      seed,
      runDir: `trials/b${seed}`,
      configFile: 'c',
      status: 'done',
      metric: 0.54 + seed / 100,
      valAccuracy: 0.54 + seed / 100,
      testAccuracy: 0.5,
    });
  for (const t of [1, 4, 8])
    for (const a of [0.5, 0.9])
      for (const seed of [1, 2])
        trials.push({
          id: `T${t}-a${a}-s${seed}`,
          kind: 'distill',
          params: { [T]: t, [A]: a },
          seed,
          runDir: `trials/T${t}-a${a}-s${seed}`,
          configFile: 'c',
          status: 'done',
          metric: value(t, a, seed),
          valAccuracy: value(t, a, seed),
          testAccuracy: 0.5,
        });
  return sweepFileOf({
    params: [
      { path: T, values: [1, 4, 8] },
      { path: A, values: [0.5, 0.9] },
    ],
    seeds: [1, 2],
    trials,
  });
}

/** What the view is sent: sweep.json with summarizeSweep's statistics, as readSweep gives it. */
function sweep(): SweepFile {
  const s = engineFile();
  summarizeSweep(s);
  return s;
}

describe('sweep shaping', () => {
  it('one line per α over T, each point a setting’s mean over seeds, and a T × α heat map', () => {
    const lines = linesByAlpha(sweep());
    assert.deepEqual(
      lines.map((l) => l.label),
      ['α = 0.5', 'α = 0.9'],
    );
    assert.deepEqual(
      lines[0].points.map((p) => p.x),
      [1, 4, 8],
    );
    close(lines[1].points[1].y, (value(4, 0.9, 1) + value(4, 0.9, 2)) / 2, 'mean over seeds');
    close(lines[1].points[1].sd, Math.abs(value(4, 0.9, 1) - value(4, 0.9, 2)) / Math.SQRT2, 'sd over seeds');
    assert.deepEqual(lines[1].points[1].trials, ['T4-a0.9-s1', 'T4-a0.9-s2']);
    const g = heatGrid(sweep())!;
    assert.deepEqual(g.temperatures, [1, 4, 8]);
    assert.deepEqual(g.alphas, [0.5, 0.9]);
    close(g.cells[1][2], 0.5 + 0.08 + 0.09 + 0.005);
  });

  it('draws sweep.json’s statistics, never its own: a changed mean in the settings moves the point', () => {
    const s = sweep();
    const setting = s.aggregates.find((a) => a.params[T] === 8 && a.params[A] === 0.5)!;
    setting.metric.mean = 0.123;
    assert.equal(linesByAlpha(s)[0].points[2].y, 0.123);
    assert.equal(heatGrid(s)!.cells[0][2], 0.123);
    const only: SweepFile = {
      ...engineFile(),
      params: [{ path: T, values: [2] }],
      trials: [{ id: 'a', kind: 'distill', params: { [T]: 2 }, seed: 1, runDir: 'trials/a', configFile: 'c', status: 'done', metric: 0.6, valAccuracy: 0.6 }],
    };
    assert.deepEqual(linesByAlpha(only)[0].points, [], 'no statistics, no points (sweep.json always has them)');
    assert.equal(heatGrid(only), undefined, 'no heat map when only T varies');
  });

  it('the best setting (best mean) is highlighted, the best single trial is named as such, and they differ here', () => {
    const s = sweep();
    assert.deepEqual(s.bestSetting!.params, { [T]: 8, [A]: 0.9 });
    assert.deepEqual(bestSettingRow(s)!.trialIds, ['T8-a0.9-s1', 'T8-a0.9-s2']);
    assert.equal(bestSingleTrial(s)!.id, 'T4-a0.9-s2');
    const rows = settingRows(s);
    const best = rows.filter((r) => r.best);
    assert.equal(best.length, 1);
    assert.deepEqual(best[0].params, { [T]: 8, [A]: 0.9 });
    assert.equal(best[0].metric, '67.50% ± 0.71');
    assert.equal(best[0].seeds, 2);
    // Gains over the baseline: 0.12 on both seeds (the baseline is a point higher on seed 2 too).
    assert.match(best[0].vsBaseline, /^\+12\.00 pts ± 0\.00 sd, 95 % CI \+12\.00 to \+12\.00 over 2 seeds$/);
    assert.equal(best[0].verdict, 'better');
    assert.ok(
      s.bestSetting!.warnings.some((w) => /runner-up \(temperature=4, alpha=0\.9\)/.test(w)),
      s.bestSetting!.warnings.join('\n'),
    );
  });

  it('sorts by any column, missing values last', () => {
    const s = sweep();
    const trials = s.trials.filter((t) => t.kind === 'distill');
    trials[0].valAccuracy = undefined;
    const col = trialColumns(s).find((c) => c.key === 'valAccuracy')!;
    const sorted = sortTrials(trials, col, true);
    assert.equal(sorted[0].id, 'T4-a0.9-s2');
    assert.equal(sorted.at(-1)!.id, trials[0].id);
    assert.equal(sortTrials(trials, col, false).at(-1)!.id, trials[0].id);
  });

  it('exports RFC 4180 CSV', () => {
    assert.equal(csvField('a,"b"'), '"a,""b"""');
    const csv = trialsCsv(sweep());
    const rows = csv.trim().split('\r\n');
    assert.equal(rows[0], `id,${T},${A},seed,status,valAccuracy,testAccuracy,gain`);
    assert.equal(rows.length, 13);
    assert.ok(rows[1].startsWith('T1-a0.5-s1,1,0.5,1,done,'));
  });

  it('parallel coordinates scale each axis to 0..1', () => {
    const { axes, lines } = parallelAxes(sweep());
    assert.deepEqual(
      axes.map((a) => a.key),
      [T, A, 'valAccuracy'],
    );
    for (const l of lines) for (const v of l.values) assert.ok(v >= 0 && v <= 1);
    assert.deepEqual(lines[0].values.slice(0, 2), [0, 0]);
  });

  it('the view reads sweep.json: statistics are summarizeSweep’s, gains against the baseline, baselines apart from the trials', () => {
    const file = engineFile();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(file));
    const loaded = loadSweep(dir)!;
    const expected = structuredClone(file);
    summarizeSweep(expected);
    assert.deepEqual(loaded.aggregates, expected.aggregates);
    assert.deepEqual(loaded.bestSetting, expected.bestSetting);
    assert.equal(loaded.best!.trialId, 'T4-a0.9-s2');
    close(loaded.baseline!.metric!.mean, 0.555);
    close(loaded.trials.find((t) => t.id === 'T1-a0.5-s1')!.gain!, value(1, 0.5, 1) - 0.555);
    assert.equal(loaded.trials.find((t) => t.kind === 'baseline')!.gain, undefined, 'a baseline has no gain over itself');
    assert.equal(loaded.trials[2].runDir, 'trials/T1-a0.5-s1', 'run folders stay relative to the sweep folder (the panel resolves them)');
    const csv = trialsCsv(loaded).trim().split('\r\n');
    assert.equal(csv.length, 13, 'the 12 distilled trials, no baseline rows');
    // A seeded run sweeps nothing, and stays so.
    fs.writeFileSync(
      path.join(dir, 'sweep.json'),
      JSON.stringify({
        ...file,
        params: [],
        trials: file.trials.filter((t) => t.kind === 'baseline' || t.id.startsWith('T1-a0.5')).map((t) => ({ ...t, params: {} })),
      }),
    );
    const seeded = loadSweep(dir)!;
    assert.deepEqual(seeded.params, []);
    assert.equal(seeded.aggregates.length, 1);
    assert.equal(seeded.bestSetting!.vsBaseline!.n, 2);
    // The tab says which sweep it is: its name, not a generic word or the folder's timestamped id.
    assert.equal(sweepTitle(dir, loaded), 'n');
    assert.equal(sweepTitle(dir, seeded), 'n (seeds)');
    assert.equal(sweepTitle(dir, undefined), path.basename(dir));
    fs.rmSync(dir, { recursive: true });
  });

  it('a sweep.json that is torn or not Distillery’s reads as none, not as a crash', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    assert.equal(loadSweep(dir), undefined, 'no sweep.json');
    for (const text of ['{"format": "distillery-sweep/1", "trials": [', '{}', JSON.stringify({ sweepId: 'old', parameters: [T], trials: [] })]) {
      fs.writeFileSync(path.join(dir, 'sweep.json'), text);
      assert.equal(loadSweep(dir), undefined, text);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('Apply best to kd.json (edits)', () => {
  const kd = `{
  // my experiment
  "name": "x",
  "distillation": { "temperature": 4, "alpha": 0.7 }
}
`;
  it('sets the swept paths and keeps comments and the rest of the file', () => {
    const { text } = bestParamEdits(kd, { [T]: 8, [A]: 0.9 });
    assert.ok(text.includes('// my experiment'));
    const parsed = JSON.parse(text.replace(/\/\/.*$/m, ''));
    assert.deepEqual(parsed.distillation, { temperature: 8, alpha: 0.9 });
    assert.equal(parsed.name, 'x');
  });

  it('adds a missing block', () => {
    const { text } = bestParamEdits('{ "name": "x" }', { [T]: 2 });
    assert.deepEqual(JSON.parse(text), { name: 'x', distillation: { temperature: 2 } });
  });

  it('one minimal replacement turns the old text into the new', () => {
    const { text } = bestParamEdits(kd, { [T]: 8 });
    const r = minimalReplace(kd, text);
    assert.equal(applyEdits(kd, [r]), text);
    assert.ok(r.length <= 2, `replaces only the changed characters (${JSON.stringify(r)})`);
  });
});
