/**
 * Multi-output (detection-style) distillation end to end on tiny data: heads in every model,
 * their loss terms in the events, their metrics in the summary, the exported student with its
 * heads, model files that lack heads refused, and the cached teacher equal to the live one.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runEngine, EXIT } from '../../../../src/engine/run/engineRun';
import type { EngineMessage, StepEvent } from '../../../../src/protocol/events';
import { ArchitectureSpec, KdConfig } from '../../../../src/protocol/config';
import { readEvents } from '../../../../src/protocol/runFolder';
import { newRunJob } from '../../../../src/protocol/runId';
import { prepare } from '../../../../src/engine/run/prepare';
import { trainStage, type TeacherSource } from '../../../../src/engine/train/trainer';
import { logitsFn } from '../../../../src/engine/models/forward';
import { buildPreset } from '../../../../src/engine/models/presets';
import { loadLayersModel, saveLayersModel } from '../../../../src/engine/models/modelFiles';
import { cachedTeacherSource } from '../../../../src/engine/run/teacherCache';
import { outputLosses, outputsFn, predictOutputs, targetsFor } from '../../../../src/engine/run/outputHeads';
import { hintonLoss } from '../../../../src/engine/losses/logits';
import { encodeIdxFloat32 } from '../../../../src/engine/data/idx';
import { loadBundledMnist } from '../../../../src/engine/data/sources';
import { batchTargets, meanAbsoluteError, meanIoU } from '../../../../src/engine/data/targets';
import { makeBatch } from '../../../../src/engine/data/dataset';
import { runConfig, tiny } from './runConfig';

const mlpTeacher = { id: 't', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } };
const mlpStudent = { architecture: { preset: 'mlp', hidden: [8] } };

function configError(r: { messages: EngineMessage[] }) {
  const err = r.messages.find((m) => m.type === 'config_error');
  assert.ok(err && err.type === 'config_error', 'a config_error event');
  return err.issues;
}

describe('multi-output distillation, end to end on tiny data', function () {
  this.timeout(180_000);
  let teacherDir: string | undefined;

  it('a box head in every model: its terms in events.jsonl, its IoU for teacher, scratch and distilled, the student exported with it', async () => {
    const cfg = {
      ...tiny,
      data: { ...tiny.data, augment: { shift: 2 } },
      teachers: [mlpTeacher],
      student: mlpStudent,
      outputs: { box: { target: 'inkBox', weight: 2 } },
    };
    const r = await runConfig(cfg);
    assert.equal(r.code, EXIT.done);
    const { events, skipped } = readEvents(r.runDir!);
    assert.equal(skipped, 0);
    const steps = (stage: string) => events.filter((e): e is StepEvent & { time: string } => e.type === 'step' && e.stage === stage);
    for (const stage of ['teacher', 'distill', 'baseline']) assert.ok(steps(stage).length > 0, `${stage} steps`);
    for (const s of steps('teacher')) assert.ok(Number.isFinite(s.terms.box_gt) && s.terms.box_kd === undefined, 'the teacher learns its box from the truth');
    for (const s of steps('distill'))
      assert.ok(
        Number.isFinite(s.terms.box_kd) && Number.isFinite(s.terms.box_gt) && Number.isFinite(s.terms.kd),
        'box_kd, box_gt and kd in every distill step',
      );
    for (const s of steps('baseline'))
      assert.ok(Number.isFinite(s.terms.box_gt) && s.terms.box_kd === undefined, 'the baseline learns its box from the truth only');
    // The loss is the weighted sum of the terms (weight 2 on box_kd, labelWeight 1 on box_gt).
    const last = steps('distill').at(-1)!;
    assert.ok(Math.abs(last.loss - (0.7 * last.terms.kd + 0.3 * last.terms.ce + 2 * last.terms.box_kd + last.terms.box_gt)) < 1e-4);
    assert.ok(r.messages.some((m) => m.type === 'log' && /teacher runs live on each augmented batch, heads included/.test(m.message)));

    const box = r.summary!.outputs!.box;
    assert.equal(box.metric, 'iou');
    assert.equal(box.target, 'inkBox');
    for (const v of [box.teacher, box.student, box.baseline!]) assert.ok(v > 0 && v <= 1, `IoU ${v}`);
    assert.equal(box.gain, box.student - box.baseline!);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(r.runDir!, 'summary.json'), 'utf8')).outputs, r.summary!.outputs);

    // student/ is the student with its head: [logits, box], and its box is the one measured.
    const student = await loadLayersModel(tf, path.join(r.runDir!, 'student', 'model.json'));
    assert.deepEqual(
      student.outputs.map((o) => [o.sourceLayer.name, o.shape]),
      [
        ['student_logits', [null, 10]],
        ['student_box', [null, 4]],
      ],
    );
    assert.equal(student.countParams(), r.summary!.student!.params);
    const p = await prepare(tf, KdConfig.parse(cfg), r.dir);
    const batch = makeBatch(p.ds, p.ds.test, p.ds.test.indices);
    const [, predBox] = student.predict(tf.tensor4d(batch.x, [batch.size, 28, 28, 1])) as tf.Tensor[];
    const iou = meanIoU((await predBox.data()) as Float32Array, batchTargets('inkBox', batch.x, batch.size, [28, 28, 1]));
    assert.ok(Math.abs(iou - box.student) < 1e-6, `recomputed IoU ${iou} vs summary ${box.student}`);

    // The trained teacher was saved with its head; the next test uses it as a model file.
    const saved = fs.readdirSync(path.join(r.dir, '.distillery', 'teachers'));
    assert.equal(saved.length, 1);
    teacherDir = path.join(r.dir, '.distillery', 'teachers', saved[0]);
  });

  it('a teacher file with the heads teaches (cached, no augmentation); one without is refused at teachers[0].model', async () => {
    assert.ok(teacherDir, 'needs the teacher of the previous test');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-outputs-file-'));
    fs.cpSync(teacherDir, path.join(dir, 'teacher'), { recursive: true });
    const plain = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden: [16] }), [28, 28, 1], 10, 1, 'plain');
    await saveLayersModel(plain, path.join(dir, 'plain'));

    const good = await runConfig(
      { ...tiny, teachers: [{ id: 't', model: 'teacher/model.json' }], student: mlpStudent, outputs: { box: { target: 'inkBox' } } },
      dir,
    );
    assert.equal(good.code, EXIT.done);
    assert.ok(
      good.messages.some((m) => m.type === 'log' && /teacher logits: computed for \d+ samples .*; with the box head/.test(m.message)),
      'the heads are cached with the logits',
    );
    assert.ok(good.summary!.outputs!.box.teacher > 0);

    const bad = await runConfig(
      { ...tiny, teachers: [{ id: 't', model: 'plain/model.json' }], student: mlpStudent, outputs: { box: { target: 'inkBox' } } },
      dir,
    );
    assert.equal(bad.code, EXIT.badConfig);
    const issues = configError(bad);
    assert.deepEqual(
      issues.map((i) => i.path),
      [['teachers', 0, 'model']],
    );
    assert.match(issues[0].message, /outputs are plain_logits \[10\]: no output for "box" \(an output layer named "…_box" of size 4\)/);
  });

  it('the cached and the live teacher give identical box terms', async () => {
    const cfg = KdConfig.parse({
      ...tiny,
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] } }],
      student: mlpStudent,
      outputs: { box: { target: 'inkBox', loss: 'mse' }, centre: { target: 'inkCentre' } },
    });
    const p = await prepare(tf, cfg, fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-outputs-cache-')));
    const teacher = p.teachers[0].model;
    assert.deepEqual(
      teacher.outputs.map((o) => o.shape),
      [
        [null, 10],
        [null, 4],
        [null, 2],
      ],
    );
    const forward = logitsFn(tf, teacher, false);
    const heads = { forward: outputsFn(tf, teacher, p.outputs, false), outputs: p.outputs };
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-outputs-cachedir-'));
    const first = await cachedTeacherSource(tf, forward, p.ds, 'k', cacheDir, heads);
    const again = await cachedTeacherSource(tf, forward, p.ds, 'k', cacheDir, heads);
    assert.ok(!first.got.hit && again.got.hit);
    assert.equal(fs.statSync(again.got.file!).size, 10_000 * (10 + 4 + 2) * 4 + 10_000, 'rows of logits, box and centre, then which rows are there');
    const terms = async (source: TeacherSource) => {
      const model = await p.buildBaseline();
      const steps: StepEvent[] = [];
      await trainStage(tf, {
        stage: 'distill',
        model,
        losses: [...hintonLoss(0.7, 4), ...outputLosses(p.outputs, true)],
        teacher: source,
        training: cfg.training,
        ds: p.ds,
        seed: 1,
        shift: 0,
        readEvery: 1,
        studentForward: outputsFn(tf, model, p.outputs, true),
        targets: targetsFor(p.outputs, p.ds),
        emit: (e) => e.type === 'step' && steps.push(e as StepEvent),
        shouldStop: () => false,
      });
      return steps.map((s) => s.terms);
    };
    const cached = await terms(again.source);
    const live = await terms({ kind: 'live', forward, withFeatures: heads.forward });
    assert.equal(cached.length, 5);
    assert.equal(cached.length, live.length);
    for (const [i, c] of cached.entries()) {
      for (const name of ['kd', 'box_kd', 'box_gt', 'centre_kd', 'centre_gt']) {
        assert.ok(c[name] > 0 && Math.abs(c[name] - live[i][name]) < 1e-6, `step ${i + 1} ${name}: ${c[name]} vs ${live[i][name]}`);
      }
    }
  });

  it('a file target: an IDX file of per-image values trains a linear head, scored by mean absolute error', async () => {
    // The fraction of each bundled digit's pixels that are ink, one row per image.
    const digits = loadBundledMnist();
    const ink = Float32Array.from({ length: digits.count }, (_, i) => digits.images.subarray(i * 784, (i + 1) * 784).filter((v) => v > 127).length / 784);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-outputs-idx-'));
    fs.writeFileSync(path.join(dir, 'ink.idx'), encodeIdxFloat32([digits.count, 1], ink));
    const cfg = { ...tiny, teachers: [mlpTeacher], student: mlpStudent, outputs: { ink: { target: 'ink.idx', loss: 'mse' } } };
    const r = await runConfig(cfg, dir);
    assert.equal(r.code, EXIT.done);
    const out = r.summary!.outputs!.ink;
    assert.equal(out.metric, 'mae');
    assert.equal(out.target, 'ink.idx');
    // The summary's MAE is the student's on the test split, against the file's rows.
    const p = await prepare(tf, KdConfig.parse(cfg), dir);
    const student = await loadLayersModel(tf, path.join(r.runDir!, 'student', 'model.json'));
    assert.equal(student.getLayer('student_ink').getConfig().activation, 'linear');
    const got = (await predictOutputs(tf, student, p.outputs, p.ds, p.ds.test)).ink;
    assert.deepEqual(
      Array.from(got.truth),
      Array.from(p.ds.test.indices, (i) => ink[i]),
    );
    assert.ok(Math.abs(meanAbsoluteError(got.pred, got.truth) - out.student) < 1e-6);
    for (const v of [out.teacher, out.student, out.baseline!]) assert.ok(v > 0 && v < 1, `MAE ${v}`);

    // A file with the wrong number of rows is refused at its JSON path.
    fs.writeFileSync(path.join(dir, 'short.idx'), encodeIdxFloat32([10, 1], ink.subarray(0, 10)));
    const bad = await runConfig({ ...cfg, outputs: { ink: { target: 'short.idx' } } }, dir);
    assert.equal(bad.code, EXIT.badConfig);
    const issues = configError(bad);
    assert.deepEqual(
      issues.map((i) => i.path),
      [['outputs', 'ink', 'target']],
    );
    assert.match(issues[0].message, /has 10 rows, but the training images are 10000/);
  });

  it("a run stopped in the baseline resumes with the student's heads from student/ and ends with the same box metrics", async () => {
    const cfg = {
      ...tiny,
      data: { ...tiny.data, augment: { shift: 1 } },
      training: { epochs: 2, batchSize: 50 },
      teachers: [mlpTeacher],
      student: mlpStudent,
      outputs: { box: { target: 'inkBox' } },
    };
    const whole = await runConfig(cfg);
    assert.equal(whole.code, EXIT.done);
    // Stopped in the second epoch of the baseline: its newest checkpoint is after epoch 1.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-outputs-resume-'));
    fs.writeFileSync(path.join(dir, 'kd.json'), JSON.stringify(cfg));
    const messages: EngineMessage[] = [];
    let stop = false;
    const send = (m: EngineMessage) => {
      messages.push(m);
      if (m.type === 'step' && m.stage === 'baseline' && m.epoch === 2) stop = true;
    };
    assert.equal(await runEngine({ request: newRunJob(path.join(dir, 'kd.json')), send, shouldStop: () => stop }), EXIT.stopped);
    const started = messages.find((m) => m.type === 'run_started');
    assert.ok(started && started.type === 'run_started');
    const resumed: EngineMessage[] = [];
    assert.equal(await runEngine({ request: { kind: 'resume', runDir: started.runDir }, send: (m) => resumed.push(m), shouldStop: () => false }), EXIT.done);
    assert.ok(resumed.some((m) => m.type === 'log' && /resuming from checkpoint baseline-epoch-0001/.test(m.message)));
    const finished = resumed.find((m) => m.type === 'run_finished');
    assert.ok(finished && finished.type === 'run_finished');
    const [a, b] = [whole.summary!.outputs!.box, finished.summary.outputs!.box];
    for (const k of ['teacher', 'student', 'baseline'] as const) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-6, `${k}: ${a[k]} uninterrupted vs ${b[k]} resumed`);
  });

  it('extra outputs with an ensemble are refused at "outputs"', async () => {
    const r = await runConfig({
      ...tiny,
      teachers: [
        { id: 'a', architecture: { preset: 'mlp', hidden: [8] } },
        { id: 'b', architecture: { preset: 'mlp', hidden: [8] } },
      ],
      student: { architecture: { preset: 'mlp', hidden: [4] } },
      outputs: { box: { target: 'inkBox' } },
    });
    assert.equal(r.code, EXIT.badConfig);
    assert.ok(configError(r).some((i) => i.path.join('.') === 'outputs' && /one teacher/.test(i.message)));
  });
});
