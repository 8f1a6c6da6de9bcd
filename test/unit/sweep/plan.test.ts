/**
 * planSweep, the pure half of a sweep: which trials there are, in which order, with which
 * derived configs, and what it refuses, with no process started and no folder written.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KdConfig, type KdConfigInput } from '../../../src/protocol/config';
import { planSweep, type SweepPlan } from '../../../src/sweep/plan';

const T = 'distillation.temperature';
const A = 'distillation.alpha';

describe('planSweep', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-plan-'));
  const configPath = path.join(dir, 'kd.json');
  const base: KdConfigInput = {
    name: 'p',
    seed: 3,
    data: { source: 'mnist', limit: 100 },
    teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1 } }],
    student: { architecture: { preset: 'mlp', hidden: [4] } },
    training: { epochs: 5 },
    sweep: { params: { [T]: [2, 4], [A]: { from: 0.5, to: 0.9, steps: 2, scale: 'linear' } }, seeds: [1, 2], epochs: 2, parallel: 3 },
  };
  const plan = (input: KdConfigInput, o?: Parameters<typeof planSweep>[2]): SweepPlan => {
    const r = planSweep(KdConfig.parse(input), configPath, o);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    return r.plan;
  };
  const cfg = (p: SweepPlan, id: string) => p.trials.find((t) => t.trial.id === id)!.config as KdConfig;
  const saveOf = (c: KdConfig) => ('save' in c.teachers[0] ? c.teachers[0].save : undefined);

  it('a baseline per seed, then every combination × every seed (the first parameter slowest), each with its derived config', () => {
    const p = plan(base);
    assert.deepEqual(
      p.trials.map((t) => t.trial.id),
      [
        'baseline-s1',
        'baseline-s2',
        't01-T2-a0.5-s1',
        't01-T2-a0.5-s2',
        't02-T2-a0.9-s1',
        't02-T2-a0.9-s2',
        't03-T4-a0.5-s1',
        't03-T4-a0.5-s2',
        't04-T4-a0.9-s1',
        't04-T4-a0.9-s2',
      ],
    );
    assert.deepEqual(p.params, [
      { path: T, values: [2, 4] },
      { path: A, values: [0.5, 0.9] },
    ]);
    assert.deepEqual([p.name, p.metric, p.seeds, p.epochs, p.parallel, p.teacherTrains], ['p', 'valAccuracy', [1, 2], 2, 3, true]);
    const t = cfg(p, 't03-T4-a0.5-s2');
    assert.deepEqual([t.distillation.temperature, t.distillation.alpha, t.seed, t.training.epochs, t.name], [4, 0.5, 2, 2, 'p t03-T4-a0.5-s2']);
    assert.equal((t as { sweep?: unknown }).sweep, undefined, 'a trial runs no sweep of its own');
    const saves = new Set(p.trials.map((x) => saveOf(x.config as KdConfig)));
    assert.equal(saves.size, 1, 'every trial trains or loads the one teacher');
    assert.ok(saveOf(t)!.startsWith(path.join(dir, '.distillery', 'teachers', 't-')), `beside kd.json, where a plain run keeps it: ${saveOf(t)}`);
    const b = cfg(p, 'baseline-s1');
    assert.deepEqual([b.distillation.alpha, b.seed, b.name], [0, 1, 'p baseline s1'], 'the baseline has no teacher term');
    assert.deepEqual(p.trials.find((x) => x.trial.id === 'baseline-s1')!.trial, { id: 'baseline-s1', kind: 'baseline', params: {}, seed: 1 });
    assert.deepEqual(fs.readdirSync(dir), [], 'planning writes nothing');
  });

  it('a seeded run sweeps nothing: a distilled trial and a baseline per seed, by test accuracy, the sweep block ignored', () => {
    const p = plan(base, { seeds: [5, 6], parallel: 1 });
    assert.deepEqual(
      p.trials.map((t) => t.trial.id),
      ['baseline-s5', 'baseline-s6', 'distill-s5', 'distill-s6'],
    );
    assert.deepEqual([p.params, p.metric, p.epochs, p.parallel], [[], 'testAccuracy', 5, 1]);
    assert.equal(cfg(p, 'distill-s5').distillation.temperature, KdConfig.parse(base).distillation.temperature);
  });

  it('records where the baseline starts: a student from a model file\'s weights (init "file") is no scratch baseline', () => {
    assert.equal(plan(base).baselineStart, 'scratch');
    const fromFile = plan({ ...base, student: { model: 'student/model.json', init: 'file' } }, { seeds: [1, 2] });
    assert.equal(fromFile.baselineStart, 'file');
    assert.equal(plan({ ...base, student: { model: 'student/model.json' } }).baselineStart, 'scratch', 'init "fresh" (the default): new seeded weights');
  });

  it('a saved teacher needs no training trial', () => {
    fs.mkdirSync(path.join(dir, 'm'));
    fs.writeFileSync(path.join(dir, 'm', 'model.json'), '{}');
    assert.equal(plan({ ...base, teachers: [{ id: 't', model: 'm/model.json' }] }).teacherTrains, false);
    fs.rmSync(path.join(dir, 'm'), { recursive: true });
  });

  it('refuses, naming the place: no sweep block, a path that is no setting, a value the schema refuses (once, not per seed)', () => {
    const issues = (input: KdConfigInput) => {
      const r = planSweep(KdConfig.parse(input), configPath);
      assert.ok(!r.ok);
      return r.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const { sweep: _, ...noSweep } = base;
    assert.match(issues(noSweep)[0], /^sweep: this kd.json has no "sweep" block/);
    assert.match(
      issues({ ...base, sweep: { params: { 'distillation.temprature': [1] } } })[0],
      /^sweep\.params\.distillation\.temprature: "distillation\.temprature" is not a setting/,
    );
    const bad = issues({ ...base, sweep: { params: { [A]: [0.5, 2] }, seeds: [1, 2, 3] } });
    assert.equal(bad.length, 1, bad.join('\n'));
    assert.match(bad[0], /the trial with distillation\.alpha = 2: distillation\.alpha/);
  });

  it("sweeps the resnet and mobilenet presets' keys: each trial builds its depth or width multiplier; a depth that is not 6n + 2 is refused naming the trial", () => {
    const resnet = {
      ...base,
      student: { architecture: { preset: 'resnet' as const, depth: 8 } },
      sweep: { params: { 'student.architecture.depth': [8, 14, 20] } },
    };
    const p = plan(resnet);
    const depths = p.trials.filter((t) => t.trial.kind === 'distill').map((t) => (t.config as KdConfig).student);
    assert.deepEqual(
      depths.map((s) => ('architecture' in s && s.architecture.preset === 'resnet' ? s.architecture.depth : undefined)),
      [8, 14, 20],
    );
    const mobile = plan({
      ...base,
      student: { architecture: { preset: 'mobilenet' } },
      sweep: { params: { 'student.architecture.widthMultiplier': [0.25, 0.5] } },
    });
    assert.deepEqual(
      mobile.trials.filter((t) => t.trial.kind === 'distill').map((t) => JSON.stringify((t.config as KdConfig).student)),
      [0.25, 0.5].map((a) =>
        JSON.stringify({ architecture: { preset: 'mobilenet', filters: [64, 128, 256], blocks: 2, stem: 32, widthMultiplier: a, activation: 'relu6' } }),
      ),
    );
    const r = planSweep(KdConfig.parse({ ...resnet, sweep: { params: { 'student.architecture.depth': [8, 10] } } }), configPath);
    assert.ok(!r.ok);
    assert.match(r.issues.map((i) => i.message).join('\n'), /depth = 10.*depth must be 6n \+ 2/s);
  });
});
