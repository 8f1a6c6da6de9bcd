import { strict as assert } from 'node:assert';
import { autoLabel, autoLabels, shortRunId, siblingKey, TRIALS_FOLDER } from '../../../src/protocol/runLabels';
import { SWEEP_FILES } from '../../../src/protocol/sweep';
import { filterRows, tableColumns } from '../../../webview/lib/experimentsTable';
import type { ExperimentRow } from '../../../src/protocol/experiments';

const base = { seed: 42, 'distillation.temperature': 4, 'distillation.alpha': 0.7, 'training.epochs': 3, 'data.source': 'mnist' };
const run = (runId: string, params: Record<string, string | number | boolean | null>, dir = '/ws/.distillery/runs') => ({
  runId,
  runDir: `${dir}/${runId}`,
  params: { ...base, ...params },
});

describe('protocol: automatic run labels (what differs from the sibling runs)', () => {
  it('names the settings that differ, by symbol where there is one, then the short id from the folder name', () => {
    const a = run('20261202-101500-mnist-68c7a1', { 'distillation.temperature': 4, 'distillation.alpha': 0.7 });
    const b = run('20261202-101600-mnist-0b12ff', { 'distillation.temperature': 2, 'distillation.alpha': 0.5 });
    const c = run('20261202-101700-mnist-ffee00', { 'distillation.temperature': 8, 'distillation.alpha': 0.7 });
    const labels = autoLabels([a, b, c]);
    assert.equal(labels.get(a.runId), 'T4 α0.7 · #68c7');
    assert.equal(labels.get(b.runId), 'T2 α0.5 · #0b12');
    assert.equal(labels.get(c.runId), 'T8 α0.7 · #ffee');
  });

  it('a setting without a symbol reads name=value; one a run lacks reads "(no …)"; past three settings they are counted', () => {
    const a = run('r-aaaa11', { 'training.epochs': 5 });
    const b = run('r-bbbb22', { 'training.epochs': 3 });
    assert.equal(autoLabel(a, [b]), 'epochs=5 · #aaaa');
    const { seed: _, ...noSeed } = base;
    const lacking = { runId: 'r-cccc33', runDir: '/ws/r-cccc33', params: noSeed };
    assert.equal(autoLabel(lacking, [a]), 'epochs=3 (no seed) · #cccc');
    const many = run('r-dddd44', { 'distillation.temperature': 1, 'distillation.alpha': 0.1, 'training.epochs': 9, seed: 1, 'data.source': 'cifar' });
    assert.equal(autoLabel(many, [b]), 'T1 α0.1 epochs=9 +2 · #dddd');
    // Float noise in a derived value (0.1 + 0.2) reads as the person wrote it.
    assert.equal(autoLabel(run('r-eeee55', { 'distillation.alpha': 0.1 + 0.2 }), [b]), 'α0.3 · #eeee');
  });

  it('a run whose siblings all share its settings (or that has none) is its short id alone', () => {
    const a = run('r-1234ab', {});
    assert.equal(autoLabel(a, [run('r-5678cd', {})]), '#1234');
    assert.equal(autoLabel(a, []), '#1234');
  });

  it('siblings are the folders beside it: two kd.json runs folders and a sweep are labelled apart', () => {
    const one = run('r-1111aa', { 'distillation.temperature': 1 }, '/ws/a/.distillery/runs');
    const two = run('r-2222bb', { 'distillation.temperature': 2 }, '/ws/b/.distillery/runs');
    const t1 = run('t1-3333cc', { 'distillation.temperature': 1 }, '/ws/a/.distillery/sweeps/s/trials');
    const t2 = run('t2-4444dd', { 'distillation.temperature': 4 }, '/ws/a/.distillery/sweeps/s/trials');
    const labels = autoLabels([one, two, t1, t2]);
    // Alone in its folder: nothing differs; the sweep's trials differ from each other by T.
    assert.deepEqual([...labels.values()], ['#1111', '#2222', 'T1 · #3333', 'T4 · #4444']);
    assert.equal(TRIALS_FOLDER, SWEEP_FILES.trials);
    assert.equal(siblingKey('C:\\ws\\.distillery\\runs\\r1'), 'C:\\ws\\.distillery\\runs');
    assert.equal(siblingKey('/ws/.distillery/runs/r1/'), '/ws/.distillery/runs');
  });

  it("the runs of two kd.json files in one runs folder are not siblings; a sweep's trials are, whatever their config files", () => {
    const runs = '/ws/.distillery/runs';
    const a1 = { ...run('a-1111aa', { 'distillation.temperature': 4, 'training.epochs': 2 }, runs), configPath: '/ws/kd.json' };
    const a2 = { ...run('a-2222bb', { 'distillation.temperature': 2, 'training.epochs': 2 }, runs), configPath: '/ws/kd.json' };
    const b1 = { ...run('b-3333cc', { 'distillation.temperature': 4, 'training.epochs': 200 }, runs), configPath: '/ws/long.kd.json' };
    const trials = '/ws/.distillery/sweeps/s/trials';
    const t1 = { ...run('t1-4444dd', { 'distillation.temperature': 1 }, trials), configPath: '/ws/.distillery/sweeps/s/configs/t1.kd.json' };
    const t2 = { ...run('t2-5555ee', { 'distillation.temperature': 8 }, trials), configPath: '/ws/.distillery/sweeps/s/configs/t2.kd.json' };
    const labels = autoLabels([a1, a2, b1, t1, t2]);
    assert.deepEqual([...labels.values()], ['T4 · #1111', 'T2 · #2222', '#3333', 'T1 · #4444', 'T8 · #5555']);
  });

  it('a folder not named with a random suffix gets 4 hex digits of a hash of its name, the same every time', () => {
    assert.match(shortRunId('trial-baseline'), /^#[0-9a-f]{4}$/);
    assert.equal(shortRunId('trial-baseline'), shortRunId('trial-baseline'));
    // Trial folders differ in their last characters only: their ids differ in every digit here.
    const [a, b] = [shortRunId('t01-T1-s11'), shortRunId('t01-T1-s12')];
    assert.equal([...a].filter((c, i) => c === b[i]).length, 1, `${a} and ${b} share only the #`);
  });
});

describe('webview: the experiments table finds runs by their identity', () => {
  const row = (id: string, o: Partial<ExperimentRow>): ExperimentRow => ({
    id,
    runDir: `/ws/.distillery/runs/${id}`,
    name: id,
    status: 'done',
    kdJson: 'kd.json',
    params: {},
    metrics: {},
    ...o,
  });
  const rows = [
    row('a', { tags: ['best', 'paper'], note: 'fig 3', git: 'a1b2c3d · dirty', autoLabel: 'T4 · #aaaa' }),
    row('b', { tags: ['bestish'], git: 'a1b2c3d', autoLabel: 'T2 · #bbbb' }),
    row('c', {}),
  ];
  it('filters by tag text (#tag for the exact tag), note, label and git state', () => {
    const ids = (text: string) => filterRows(rows, { text }).map((r) => r.id);
    assert.deepEqual(ids('best'), ['a', 'b']);
    assert.deepEqual(ids('#best'), ['a', 'b'], 'a prefix of a tag');
    assert.deepEqual(ids('#paper'), ['a']);
    assert.deepEqual(ids('fig'), ['a']);
    assert.deepEqual(ids('dirty'), ['a']);
    assert.deepEqual(ids('T2'), ['b']);
  });
  it('has a git column, hidden with "only differing" where every row has the same one', () => {
    const git = tableColumns(rows).find((c) => c.key === 'git')!;
    assert.deepEqual(
      rows.map((r) => git.value(r)),
      ['a1b2c3d · dirty', 'a1b2c3d', undefined],
    );
    const same = [row('x', { git: 'a1b2c3d' }), row('y', { git: 'a1b2c3d' })];
    assert.ok(!tableColumns(same, { onlyDiffering: true }).some((c) => c.key === 'git'));
  });
});
