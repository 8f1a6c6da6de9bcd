import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SweepResult } from '../../../src/protocol/webviewMessages';
import { bestParamEdits, minimalReplace } from '../../../src/protocol/kdJsonEdits';
import { fromSweepFile, loadSweep } from '../../../src/extension/sweepView/sweepData';
import { applyEdits } from 'jsonc-parser';
import { bestTrial, csvField, heatGrid, linesByAlpha, parallelAxes, sortTrials, trialColumns, trialsCsv } from '../../../webview/lib/sweep';

const T = 'distillation.temperature';
const A = 'distillation.alpha';

function sweep(): SweepResult {
  const trials = [];
  let id = 0;
  for (const t of [1, 4, 8]) for (const a of [0.5, 0.9]) trials.push({ id: String(++id), params: { [T]: t, [A]: a }, status: 'done' as const, valAccuracy: 0.5 + t / 100 + a / 10, testAccuracy: 0.5 });
  return { sweepId: 's', parameters: [T, A], trials, baseline: { valAccuracy: 0.55 } };
}

describe('sweep shaping', () => {
  it('one line per α over T, sorted by T, and a T × α heat map', () => {
    const lines = linesByAlpha(sweep());
    assert.deepEqual(lines.map((l) => l.label), ['α = 0.5', 'α = 0.9']);
    assert.deepEqual(lines[0].points.map((p) => p.x), [1, 4, 8]);
    const g = heatGrid(sweep())!;
    assert.deepEqual(g.temperatures, [1, 4, 8]);
    assert.deepEqual(g.alphas, [0.5, 0.9]);
    assert.ok(Math.abs(g.cells[1][2] - (0.5 + 0.08 + 0.09)) < 1e-12);
  });

  it('averages seeds of one setting into one point', () => {
    const s: SweepResult = { sweepId: 's', parameters: [T], trials: [
      { id: 'a', params: { [T]: 2 }, status: 'done', valAccuracy: 0.6, seed: 1 },
      { id: 'b', params: { [T]: 2 }, status: 'done', valAccuracy: 0.8, seed: 2 },
    ] };
    const [line] = linesByAlpha(s);
    assert.equal(line.points.length, 1);
    assert.ok(Math.abs(line.points[0].y - 0.7) < 1e-12);
    assert.deepEqual(line.points[0].trials, ['a', 'b']);
    assert.equal(heatGrid(s), undefined, 'no heat map when only T varies');
  });

  it('best trial: the named one, else the highest validation accuracy', () => {
    assert.equal(bestTrial(sweep())!.id, '6');
    assert.equal(bestTrial({ ...sweep(), best: '2' })!.id, '2');
  });

  it('sorts by any column, missing values last', () => {
    const s = sweep();
    s.trials[0].valAccuracy = undefined;
    const col = trialColumns(s).find((c) => c.key === 'valAccuracy')!;
    const sorted = sortTrials(s.trials, col, true);
    assert.equal(sorted[0].id, '6');
    assert.equal(sorted.at(-1)!.id, '1');
    assert.equal(sortTrials(s.trials, col, false).at(-1)!.id, '1');
  });

  it('exports RFC 4180 CSV', () => {
    assert.equal(csvField('a,"b"'), '"a,""b"""');
    const csv = trialsCsv(sweep());
    const rows = csv.trim().split('\r\n');
    assert.equal(rows[0], `id,${T},${A},status,valAccuracy,testAccuracy,gain`);
    assert.equal(rows.length, 7);
    assert.ok(rows[1].startsWith('1,1,0.5,done,'));
  });

  it('parallel coordinates scale each axis to 0..1', () => {
    const { axes, lines } = parallelAxes(sweep());
    assert.deepEqual(axes.map((a) => a.key), [T, A, 'valAccuracy']);
    for (const l of lines) for (const v of l.values) assert.ok(v >= 0 && v <= 1);
    assert.deepEqual(lines[0].values.slice(0, 2), [0, 0]);
  });

  it('maps the engine’s sweep.json: baselines become the reference line, best is highlighted', () => {
    const file = {
      format: 'distillery-sweep/1', sweepId: 'sw', name: 'n', configPath: '/k/kd.json', status: 'done', startedAt: '', metric: 'valAccuracy', metricLabel: 'validation accuracy',
      params: [{ path: T, values: [1, 4] }], seeds: [1], epochs: 1, parallel: 1, aggregates: [], teacherCache: { dir: '', hits: 0, computed: 0 }, notes: [],
      trials: [
        { id: 't1', kind: 'distill', params: { [T]: 1 }, seed: 1, runDir: 'trials/t1', configFile: 'c', status: 'done', metric: 0.6, valAccuracy: 0.6, testAccuracy: 0.58 },
        { id: 't2', kind: 'distill', params: { [T]: 4 }, seed: 1, runDir: 'trials/t2', configFile: 'c', status: 'done', metric: 0.7, valAccuracy: 0.7, testAccuracy: 0.69 },
        { id: 'b1', kind: 'baseline', params: {}, seed: 1, runDir: 'trials/b1', configFile: 'c', status: 'done', metric: 0.55, valAccuracy: 0.55 },
      ],
      baseline: { trialIds: ['b1'], metric: { n: 1, mean: 0.55, sd: 0 }, testAccuracy: { n: 1, mean: 0.5, sd: 0 } },
      best: { trialId: 't2', params: { [T]: 4 }, seed: 1, metric: 0.7 },
    };
    const r = fromSweepFile(file as never);
    assert.deepEqual(r.trials.map((t) => t.id), ['t1', 't2']);
    assert.equal(r.baseline?.valAccuracy, 0.55);
    assert.equal(r.best, 't2');
    assert.ok(Math.abs(r.trials[1].gain! - 0.15) < 1e-12);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(file));
    const loaded = loadSweep(dir);
    assert.equal(loaded.trials.length, 2);
    assert.equal(loaded.trials[0].runDir, path.join(dir, 'trials/t1'), 'run folders resolve against the sweep folder');
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
