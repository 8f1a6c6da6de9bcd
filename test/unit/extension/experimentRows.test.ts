import { strict as assert } from 'node:assert';
import type { RunSummary } from '../../../src/protocol/events';
import { configParams } from '../../../src/protocol/experiments';
import type { SweepFile, SweepTrial } from '../../../src/protocol/sweep';
import { experimentRows, metricsOf } from '../../../src/extension/experiments/experimentRows';
import type { RunRecord } from '../../../src/extension/tree/runInfo';

const model = (testAccuracy: number, extra: object = {}) => ({ testAccuracy, params: 12730, bytes: 50920, latencyMs: 0.5, confusion: [], ...extra });

const summary = (o: Partial<RunSummary> = {}): RunSummary =>
  ({
    runId: 'r',
    name: 'tiny',
    status: 'done',
    backend: 'wasm',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:02.000Z',
    durationSec: 1.898,
    configPath: '/ws/kd.json',
    numClasses: 10,
    testSamples: 120,
    teacher: { ...model(0.39166666666666666), id: 't', ids: ['t'] },
    student: model(0.43333333333333335, { savedBytes: 52400, latency: { batch1: { medianMs: 0.528, q1Ms: 0.4, q3Ms: 0.7, n: 20 } } }),
    baseline: model(0.4166666666666667),
    gain: 0.016666666666666663,
    significance: { test: 'mcnemar', discordant: [5, 3], pValue: 0.77, interval95: [-0.042, 0.075], method: 'newcombe', verdict: 'no measurable difference' },
    agreement: 0.4416666666666667,
    ...o,
  }) as RunSummary;

const record = (runId: string, o: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  runDir: `/ws/.distillery/runs/${runId}`,
  configPath: '/ws/kd.json',
  name: 'tiny',
  status: 'done',
  backend: 'wasm',
  startedAt: '2026-01-01T00:00:00.000Z',
  ...o,
});

describe('extension: the experiments table rows', () => {
  it('takes the metrics from summary.json: exact accuracies, the gain with its interval and verdict, the student’s size and latency', () => {
    const s = summary();
    assert.deepEqual(metricsOf(s), {
      distilled: s.student!.testAccuracy,
      scratch: s.baseline!.testAccuracy,
      gain: s.gain,
      gainInterval: [-0.042, 0.075],
      verdict: 'no measurable difference',
      teacher: s.teacher!.testAccuracy,
      agreement: s.agreement,
      sizeBytes: 52400,
      latencyMs: 0.528,
    });
    // A baseline trial's student is the scratch one: no distilled accuracy, no gain.
    assert.deepEqual(metricsOf(summary({ baseline: undefined, gain: undefined, significance: undefined, teacher: undefined }), 'baseline'), {
      scratch: s.student!.testAccuracy,
      teacher: undefined,
      sizeBytes: 52400,
      latencyMs: 0.528,
    });
    assert.deepEqual(metricsOf(undefined), {});
  });

  it('lists single runs and every sweep trial, newest first, trials named by their setting and seed', () => {
    const trial = (id: string, kind: 'distill' | 'baseline', t?: number): SweepTrial => ({
      id,
      kind,
      params: t === undefined ? {} : { 'distillation.temperature': t },
      seed: 7,
      runDir: `trials/${id}`,
      configFile: `configs/${id}.kd.json`,
      status: 'done',
    });
    const sweepDir = '/ws/.distillery/sweeps/s1';
    const sweep = {
      sweepId: 's1',
      name: 'temps',
      baselineStart: 'scratch',
      trials: [trial('t1', 'distill', 2), trial('b1', 'baseline')],
    } as unknown as SweepFile;
    const trialRecord = (id: string, startedAt: string, s?: RunSummary) => record(id, { runDir: `${sweepDir}/trials/${id}`, startedAt, summary: s });
    const rows = experimentRows({
      records: [
        record('20260101-000000-a', { summary: summary() }),
        record('20260103-000000-live', {
          status: 'running',
          summary: undefined,
          startedAt: '2026-01-03T00:00:00.000Z',
          progress: { stage: 'distill', epoch: 2, epochs: 5, percent: 40 },
        }),
      ],
      sweeps: [{ sweep, sweepDir, trials: [trialRecord('t1', '2026-01-02T00:00:01.000Z', summary()), trialRecord('b1', '2026-01-02T00:00:00.000Z')] }],
      paramsOf: (dir) => ({ 'distillation.temperature': dir.endsWith('t1') ? 2 : 4 }),
      relative: (p) => p.replace('/ws/', ''),
      nowMs: Date.parse('2026-01-03T00:01:30.000Z'),
    });
    assert.deepEqual(
      rows.map((r) => [r.id, r.name]),
      [
        ['20260103-000000-live', 'tiny'],
        ['t1', 'temps · temperature=2 · seed 7'],
        ['b1', 'temps · baseline (scratch) · seed 7'],
        ['20260101-000000-a', 'tiny'],
      ],
    );
    const live = rows[0];
    assert.equal(live.durationSec, 90, 'a live run’s duration is the time since it started');
    assert.equal(live.progress, 'distill epoch 2/5 · 40%');
    assert.deepEqual(rows[1].sweep, { sweepDir, sweepId: 's1', name: 'temps', kind: 'distill', seed: 7 });
    assert.equal(rows[1].params['distillation.temperature'], 2);
    assert.equal(rows[3].durationSec, 1.898);
    assert.equal(rows[3].kdJson, 'kd.json');
  });

  it('a trial a person renamed keeps its name; its label, tags, note and git state come along', () => {
    const sweepDir = '/ws/.distillery/sweeps/s1';
    const t = { id: 't1', kind: 'distill', params: { 'distillation.temperature': 2 }, seed: 7, runDir: 'trials/t1', configFile: 'c', status: 'done' };
    const sweep = { sweepId: 's1', name: 'temps', baselineStart: 'scratch', trials: [t] } as unknown as SweepFile;
    const git = { commit: 'a1b2c3d4e5', dirty: true, changes: 1 };
    const renamed = record('t1', {
      runDir: `${sweepDir}/trials/t1`,
      name: 'warm',
      kdName: 'temps t1',
      tags: ['paper'],
      note: 'n',
      git,
      autoLabel: 'T2 · #abcd',
    });
    const [row] = experimentRows({ records: [], sweeps: [{ sweep, sweepDir, trials: [renamed] }], relative: (p) => p, nowMs: 0 });
    assert.deepEqual(
      { name: row.name, autoLabel: row.autoLabel, tags: row.tags, note: row.note, git: row.git },
      { name: 'warm', autoLabel: 'T2 · #abcd', tags: ['paper'], note: 'n', git: 'a1b2c3d · dirty' },
    );
    const [unnamed] = experimentRows({ records: [], sweeps: [{ sweep, sweepDir, trials: [{ ...renamed, name: 'temps t1' }] }], relative: (p) => p, nowMs: 0 });
    assert.equal(unnamed.name, 'temps · temperature=2 · seed 7', 'not renamed: the trial reads as its setting and seed');
  });

  it('reads config.json’s settings, leaving out file paths and bookkeeping', () => {
    const params = configParams({
      name: 'tiny',
      seed: 42,
      $configPath: '/ws/kd.json',
      teachers: [{ id: 't', model: 'teachers/t/model.json', architecture: { hidden: [64, 32] } }],
      student: { architecture: { preset: 'mlp', hidden: [16] } },
      distillation: { temperature: 4, features: [] },
      baseline: true,
    });
    assert.deepEqual(params, {
      seed: 42,
      'teachers.0.id': 't',
      'teachers.0.architecture.hidden': '[64,32]',
      'student.architecture.preset': 'mlp',
      'student.architecture.hidden': '[16]',
      'distillation.temperature': 4,
      'distillation.features': '[]',
      baseline: true,
    });
  });

  it('a list of files (CIFAR batches) is no setting: a sweep trial (absolute paths) and a run (relative) do not differ by it', () => {
    const cifar = (dir: string) => ({ data: { source: { format: 'cifar', train: [`${dir}data_batch_1.bin`, `${dir}data_batch_2.bin`], labels: 'cifar10' } } });
    assert.deepEqual(configParams(cifar('')), { 'data.source.format': 'cifar', 'data.source.labels': 'cifar10' });
    assert.deepEqual(configParams(cifar('/ws/')), configParams(cifar('')));
  });
});
