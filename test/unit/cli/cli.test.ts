/**
 * The CLI as a user runs it: a child process on a kd.json, checked by its exit code, its
 * output, and the run folder it leaves on disk. Needs `npm run build` (npm test does it).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verdict } from '../../../src/protocol/format';
import { MODEL_MARKER } from '../../../src/protocol/modelFolder';
import { listRunDirs, readEvents, readSummary, runsRootFor } from '../../../src/protocol/runFolder';
import { mcnemarExactP } from '../../../src/protocol/stats/paired';
import { verdictOf } from '../../../src/protocol/stats/verdict';
import { distill, tinyKd, writeKd } from './cliHelpers';

describe('distill CLI', function () {
  this.timeout(180_000);

  it('runs a tiny kd.json end to end into a complete run folder', () => {
    const kd = writeKd(tinyKd());
    // More threads than cores: kept to the cores, said, and recorded.
    const r = distill('run', kd, '--threads', '64');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /teacher \(mlp-teacher\)/);
    assert.match(r.stdout, /student from scratch/);
    assert.match(r.stdout, /distilled student/);
    assert.match(r.stdout, /distillation( beat| did worse than|: no measurable difference from) the same student trained from scratch: .*95 % CI .*McNemar p/);
    const [runDir] = listRunDirs(runsRootFor(kd));
    assert.ok(runDir, 'no run folder');
    for (const f of ['config.json', 'events.jsonl', 'summary.json', 'predictions.json', 'logits.json', 'student/model.json', 'student/weights.bin']) {
      assert.ok(fs.existsSync(path.join(runDir, f)), `missing ${f}`);
    }
    const summary = readSummary(runDir)!;
    assert.equal(summary.status, 'done');
    assert.equal(summary.backend, 'wasm');
    const cores = os.availableParallelism();
    assert.equal(summary.threads, cores);
    assert.ok((r.stdout + r.stderr).includes(`--threads 64: this machine has ${cores} cores; using ${cores}`), r.stdout + r.stderr);
    for (const m of [summary.teacher!, summary.student!, summary.baseline!]) {
      assert.ok(m.testAccuracy > 0.1 && m.testAccuracy <= 1);
      assert.equal(
        m.confusion.flat().reduce((a, b) => a + b),
        summary.testSamples,
      );
    }
    assert.ok(Math.abs(summary.gain! - (summary.student!.testAccuracy - summary.baseline!.testAccuracy)) < 1e-12);
    // The paired test counts the discordant samples of predictions.json, and its verdict is the one printed.
    const pred = JSON.parse(fs.readFileSync(path.join(runDir, 'predictions.json'), 'utf8')) as Record<string, number[]>;
    const b = pred.labels.filter((y, i) => pred.student[i] === y && pred.baseline[i] !== y).length;
    const c = pred.labels.filter((y, i) => pred.student[i] !== y && pred.baseline[i] === y).length;
    const sig = summary.significance!;
    assert.deepEqual(sig.discordant, [b, c]);
    assert.ok(Math.abs(sig.pValue - mcnemarExactP(b, c)) < 1e-12);
    assert.ok(Math.abs((b - c) / summary.testSamples - summary.gain!) < 1e-12, 'b − c over n is the gain');
    assert.ok(sig.interval95[0] <= summary.gain! && summary.gain! <= sig.interval95[1]);
    assert.equal(sig.verdict, verdictOf(sig.interval95));
    assert.ok(r.stdout.includes(verdict(summary)), 'the table prints the verdict of summary.json');
    // Sizes: the model files of the saved student and teacher (not Distillery's marker); the baseline was not saved.
    const bytesOf = (dir: string) =>
      fs
        .readdirSync(dir)
        .filter((f) => f !== MODEL_MARKER)
        .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.equal(summary.student!.savedBytes, bytesOf(path.join(runDir, 'student')));
    const [teacherDir] = fs.readdirSync(path.join(path.dirname(kd), '.distillery', 'teachers'));
    assert.equal(summary.teacher!.savedBytes, bytesOf(path.join(path.dirname(kd), '.distillery', 'teachers', teacherDir)));
    assert.equal(summary.baseline!.savedBytes, undefined);
    assert.match(r.stdout, /\* not saved: float32 weights, params × 4/);
    // Latency: medians with their interquartile ranges, at batch 1 and per sample at the training batch.
    for (const m of [summary.teacher!, summary.student!, summary.baseline!]) {
      const l = m.latency!;
      assert.equal(m.latencyMs, l.batch1.medianMs);
      assert.equal(l.batch.size, 50);
      for (const at of [l.batch1, l.batch])
        assert.ok(at.q1Ms > 0 && at.q1Ms <= at.medianMs && at.medianMs <= at.q3Ms && at.repetitions >= 3, JSON.stringify(at));
      assert.ok(l.batch1.repetitions <= 5, 'at most evaluation.latencySamples passes at batch 1');
    }
    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 0);
    const stages = events.filter((e) => e.type === 'stage_started').map((e) => (e as { stage: string }).stage);
    assert.deepEqual(stages, ['teacher', 'distill', 'baseline']);
    assert.equal(events.at(-1)!.type, 'run_finished');
    // The teacher was saved; a second run reuses it instead of training it again.
    const again = distill('run', kd, '--json');
    assert.equal(again.code, 0, again.stderr);
    const lines = again.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(!lines.some((e) => e.type === 'stage_started' && e.stage === 'teacher'), 'teacher retrained');
    assert.ok(lines.some((e) => e.type === 'log' && /saved:/.test(e.message)));
  });

  it('multi-output: the table gives the box IoU of every model and the verdict on it; --json streams box_kd and ends with the same summary', () => {
    const kd = writeKd(
      tinyKd({
        data: { source: 'mnist', limit: 300, augment: { shift: 1 } },
        teachers: [{ id: 'mlp-teacher', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } }],
        training: { epochs: 1, batchSize: 50 },
        outputs: { box: { target: 'inkBox' } },
      }),
    );
    const r = distill('run', kd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^model +test accuracy {2}box IoU {2}params/m);
    for (const row of ['teacher \\(mlp-teacher\\)', 'student from scratch', 'distilled student'])
      assert.match(r.stdout, new RegExp(`^${row} +\\d+\\.\\d\\d% +0\\.\\d{3}  `, 'm'));
    assert.match(
      r.stdout,
      /^output "box" \(inkBox, mean IoU, higher is better\): teacher 0\.\d{3}, from scratch 0\.\d{3}, distilled 0\.\d{3}; (distillation helped|distillation made it worse|distillation: no measurable difference) \([+−]0\.\d{3}, 95 % CI [+−]0\.\d{3} to [+−]0\.\d{3}\)$/m,
    );
    const j = distill('run', kd, '--json');
    assert.equal(j.code, 0, j.stderr);
    const lines = j.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.some((e) => e.type === 'step' && e.stage === 'distill' && Number.isFinite(e.terms.box_kd)));
    const finished = lines.at(-1);
    assert.equal(finished.type, 'run_finished');
    const box = finished.summary.outputs.box;
    assert.deepEqual(Object.keys(box).sort(), ['baseline', 'gain', 'gainInterval95', 'metric', 'student', 'target', 'teacher', 'verdict']);
    const runDir = lines.find((e) => e.type === 'run_started').runDir;
    assert.deepEqual(readSummary(runDir)!.outputs, finished.summary.outputs);
  });

  const bad: [string, unknown, RegExp[]][] = [
    ['a missing model file', tinyKd({ teachers: [{ id: 't', model: 'nowhere/model.json' }] }), [/teachers\[0\]\.model: teacher model not found/]],
    ['a wrong type', tinyKd({ training: { epochs: 'three' } }), [/training\.epochs: .*expected number/]],
    [
      'an unknown preset',
      tinyKd({ student: { architecture: { preset: 'transformer', hidden: [4] } } }),
      [/student\.architecture\.preset: unknown preset: expected one of mlp, cnn, resnet, mobilenet/],
    ],
    ['α outside [0, 1]', tinyKd({ distillation: { alpha: 1.5 } }), [/distillation\.alpha: must be ≤ 1/]],
    ['T ≤ 0', tinyKd({ distillation: { temperature: 0 } }), [/distillation\.temperature: must be > 0/]],
    [
      'several problems at once',
      tinyKd({ distillation: { temperature: -1, alpha: -2 }, seed: 'x' }),
      [/distillation\.temperature/, /distillation\.alpha/, /seed/],
    ],
    ['broken JSON', '{ "teachers": [ }', [/kd\.json:1:\d+: \(root\): invalid JSON/]],
  ];
  for (const [what, config, patterns] of bad) {
    it(`rejects ${what} with exit code 2, the JSON path, and no run`, () => {
      const kd = writeKd(config);
      const r = distill('run', kd);
      assert.equal(r.code, 2, r.stderr);
      for (const p of patterns) assert.match(r.stderr, p);
      assert.match(r.stderr, /no run started/);
      assert.deepEqual(listRunDirs(runsRootFor(kd)), []);
    });
  }

  it('rejects problems only the engine can see (batch larger than the data) with exit code 2', () => {
    const kd = writeKd(tinyKd({ training: { epochs: 1, batchSize: 5000 } }));
    const r = distill('run', kd);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /training\.batchSize: 5000 is larger than the \d+ training samples/);
    assert.deepEqual(listRunDirs(runsRootFor(kd)), []);
  });

  it('a forced backend that is not installed is a config error that says what to install', () => {
    const packages: Record<string, string> = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' };
    const absent = Object.keys(packages).find((b) => {
      try {
        require.resolve(packages[b]);
        return false;
      } catch {
        return true;
      }
    });
    const kd = writeKd(tinyKd({ backend: absent ?? 'tensorflow' }));
    const r = distill('run', kd);
    if (!absent) {
      // Both native backends installed (a machine with libtensorflow): forcing one works.
      assert.equal(r.code, 0, r.stderr);
      return;
    }
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`backend: backend "${absent}" is not available: ${packages[absent]} is not installed`));
  });

  it('validate says ok for a good file', () => {
    const r = distill('validate', writeKd(tinyKd()));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /: ok/);
  });
});
