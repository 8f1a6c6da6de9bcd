import { strict as assert } from 'node:assert';
import { parse } from 'csv-parse/sync';
import type { ExperimentRow } from '../../../src/protocol/experiments';
import {
  differingParams,
  filterRows,
  groupRows,
  METRIC_COLUMNS,
  paramLabels,
  rowsCsv,
  RUN_COLUMNS,
  sortRows,
  tableColumns,
  vsPinned,
  type Column,
} from '../../../webview/lib/experimentsTable';

function row(id: string, o: Partial<ExperimentRow> = {}): ExperimentRow {
  return {
    id,
    runDir: `/ws/.distillery/runs/${id}`,
    name: id,
    status: 'done',
    startedAt: '2026-01-01T00:00:00.000Z',
    kdJson: 'kd.json',
    params: { seed: 42, 'distillation.temperature': 4, 'distillation.alpha': 0.7, 'data.source': 'mnist' },
    metrics: {},
    ...o,
  };
}

const column = (cols: readonly Column[], key: string) => cols.find((c) => c.key === key)!;

describe('webview: the experiments table model', () => {
  it('chooses the settings that differ between the shown rows, temperature and α first', () => {
    const rows = [
      row('a', { params: { seed: 1, 'distillation.temperature': 2, 'distillation.alpha': 0.5, 'data.source': 'mnist', 'training.epochs': 3 } }),
      row('b', { params: { seed: 1, 'distillation.temperature': 8, 'distillation.alpha': 0.9, 'data.source': 'mnist', 'training.epochs': 3 } }),
      row('c', { params: { seed: 2, 'distillation.temperature': 8, 'distillation.alpha': 0.9, 'data.source': 'mnist' } }),
    ];
    // seed differs; epochs is missing in c (a difference); the data source is the same everywhere.
    assert.deepEqual(differingParams(rows), ['distillation.temperature', 'distillation.alpha', 'training.epochs', 'seed']);
    assert.deepEqual(differingParams(rows.slice(1, 2)), [], 'one row differs from nothing');
    const cols = tableColumns(rows, { extra: ['data.source'] });
    const params = cols.filter((c) => c.kind === 'param');
    assert.deepEqual(
      params.map((c) => [c.label, c.title]),
      [
        ['T', 'distillation.temperature'],
        ['α', 'distillation.alpha'],
        ['epochs', 'training.epochs'],
        ['seed', 'seed'],
        ['source', 'data.source'],
      ],
    );
    assert.deepEqual(
      cols.map((c) => c.key).slice(0, RUN_COLUMNS.length),
      RUN_COLUMNS.map((c) => c.key),
    );
    assert.equal(cols.length, RUN_COLUMNS.length + 5 + METRIC_COLUMNS.length);
  });

  it('labels two settings with the same last segment by more of their path', () => {
    const labels = paramLabels(['training.epochs', 'teachers.0.training.epochs', 'student.architecture.hidden']);
    assert.deepEqual(Object.fromEntries(labels), {
      'training.epochs': 'training.epochs',
      'teachers.0.training.epochs': '0.training.epochs',
      'student.architecture.hidden': 'hidden',
    });
  });

  it('shows only the differing columns when asked, keeping the name', () => {
    const rows = [row('a', { metrics: { distilled: 0.9, teacher: 0.95 } }), row('b', { metrics: { distilled: 0.8, teacher: 0.95 } })];
    const keys = tableColumns(rows, { onlyDiffering: true }).map((c) => c.key);
    // status, started, backend, teacher and the settings are the same: hidden; name and distilled stay.
    assert.deepEqual(keys, ['name', 'distilled']);
  });

  it('sorts numbers by value, text naturally, with rows lacking a value last in both directions', () => {
    const rows = [
      row('r1', { name: 'run 10', metrics: { distilled: 0.91 } }),
      row('r2', { name: 'run 9', metrics: {} }),
      row('r3', { name: 'run 2', metrics: { distilled: 0.905 } }),
      row('r4', { name: 'run 1', metrics: { distilled: 0.93 } }),
    ];
    const distilled = column(METRIC_COLUMNS, 'distilled');
    assert.deepEqual(
      sortRows(rows, distilled, true).map((r) => r.id),
      ['r4', 'r1', 'r3', 'r2'],
    );
    assert.deepEqual(
      sortRows(rows, distilled, false).map((r) => r.id),
      ['r3', 'r1', 'r4', 'r2'],
    );
    assert.deepEqual(
      sortRows(rows, column(RUN_COLUMNS, 'name'), false).map((r) => r.name),
      ['run 1', 'run 2', 'run 9', 'run 10'],
    );
    const t = tableColumns([row('x', { params: { 'distillation.temperature': 10 } }), row('y', { params: { 'distillation.temperature': 9 } })]);
    assert.deepEqual(
      sortRows(
        [row('x', { params: { 'distillation.temperature': 10 } }), row('y', { params: { 'distillation.temperature': 9 } })],
        column(t, 'param:distillation.temperature'),
        false,
      ).map((r) => r.id),
      ['y', 'x'],
      'a numeric setting sorts as a number, 9 before 10',
    );
  });

  it('filters by words (all must appear, settings as key=value), status and verdict', () => {
    const rows = [
      row('a', { name: 'mnist T4', status: 'done', metrics: { verdict: 'better' } }),
      row('b', { name: 'mnist T8', status: 'running', params: { 'distillation.temperature': 8 } }),
      row('c', { name: 'cifar', status: 'failed', params: { 'data.source': 'cifar' }, metrics: { verdict: 'no measurable difference' } }),
    ];
    assert.deepEqual(
      filterRows(rows, { text: 'MNIST temperature=8' }).map((r) => r.id),
      ['b'],
    );
    assert.deepEqual(
      filterRows(rows, { statuses: ['done', 'failed'] }).map((r) => r.id),
      ['a', 'c'],
    );
    assert.deepEqual(
      filterRows(rows, { verdicts: ['none'] }).map((r) => r.id),
      ['b'],
    );
    assert.deepEqual(
      filterRows(rows, { verdicts: ['better', 'no measurable difference'], text: 'mnist' }).map((r) => r.id),
      ['a'],
    );
  });

  it('groups by kd.json or sweep in the order of their first row', () => {
    const sweep = { sweepDir: '/ws/.distillery/sweeps/s1', sweepId: 's1', name: 'temps', kind: 'distill' as const, seed: 1 };
    const rows = [row('a', { kdJson: 'b/kd.json' }), row('t1', { sweep }), row('c', { kdJson: 'a/kd.json' }), row('t2', { sweep })];
    assert.deepEqual(
      groupRows(rows, 'kdjson').map((g) => [g.label, g.rows.map((r) => r.id)]),
      [
        ['b/kd.json', ['a']],
        ['kd.json', ['t1', 't2']],
        ['a/kd.json', ['c']],
      ],
    );
    const bySweep = groupRows(rows, 'sweep');
    assert.deepEqual(
      bySweep.map((g) => [g.label, g.rows.map((r) => r.id), g.sweepDir]),
      [
        ['single runs', ['a', 'c'], undefined],
        ['temps (sweep s1)', ['t1', 't2'], sweep.sweepDir],
      ],
    );
  });

  it('gives each numeric metric minus the pinned row', () => {
    const pinned = row('p', { metrics: { distilled: 0.9, gain: 0.01 } });
    const other = row('o', { metrics: { distilled: 0.925 } });
    const distilled = column(METRIC_COLUMNS, 'distilled');
    assert.ok(Math.abs(vsPinned(other, pinned, distilled)! - 0.025) < 1e-15);
    assert.equal(vsPinned(pinned, pinned, distilled), undefined, 'the pinned row against itself');
    assert.equal(vsPinned(other, pinned, column(METRIC_COLUMNS, 'gain')), undefined, 'no gain in one of them');
    assert.equal(vsPinned(other, pinned, column(RUN_COLUMNS, 'name')), undefined);
  });

  it('writes CSV whose every number parses back to the same double, and quotes text that needs it', () => {
    const awkward = [0.1 + 0.2, 1 / 3, 0.9345000000000001, 1e-7, 123456789.12345679, 0.30000000000000004];
    const rows = awkward.map((x, i) =>
      row(`r${i}`, {
        name: i === 0 ? 'comma, "quoted"\nname' : `run ${i}`,
        durationSec: x * 100,
        metrics: { distilled: x, gain: -x / 7, gainInterval: [-x, x / 3], sizeBytes: 51234, latencyMs: x / 10 },
      }),
    );
    const cols = tableColumns(rows);
    const csv = rowsCsv(rows, cols);
    const table: string[][] = parse(csv);
    const header = table[0];
    assert.ok(header.includes('gain 95% CI low') && header.includes('gain 95% CI high') && header.includes('distilled (0-1)'));
    assert.equal(table.length, rows.length + 1);
    const at = (name: string) => header.indexOf(name);
    rows.forEach((r, i) => {
      const line = table[i + 1];
      assert.equal(line[at('name')], r.name, 'text round-trips, commas, quotes and newlines included');
      assert.equal(Number(line[at('distilled (0-1)')]), r.metrics.distilled);
      assert.equal(Number(line[at('gain (0-1)')]), r.metrics.gain);
      assert.equal(Number(line[at('gain 95% CI low')]), r.metrics.gainInterval![0]);
      assert.equal(Number(line[at('gain 95% CI high')]), r.metrics.gainInterval![1]);
      assert.equal(Number(line[at('duration (s)')]), r.durationSec);
      assert.equal(Number(line[at('latency (ms)')]), r.metrics.latencyMs);
      assert.equal(line[at('scratch (0-1)')], '', 'a missing value is an empty field');
      assert.equal(line[at('run folder')], r.runDir);
    });
    assert.equal(table[1][at('distilled (0-1)')], '0.30000000000000004', 'no rounding to a display precision');
  });
});
