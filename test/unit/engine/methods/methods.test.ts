import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EXIT } from '../../../../src/engine/run/engineRun';
import type { StepEvent } from '../../../../src/protocol/events';
import { KdConfig } from '../../../../src/protocol/config';
import { prepare } from '../../../../src/engine/run/prepare';
import { trainStage } from '../../../../src/engine/train/trainer';
import { ensembleLogitsFn } from '../../../../src/engine/models/forward';
import { teacherLogitsForSet } from '../../../../src/engine/run/teacherCache';
import { hintonLoss } from '../../../../src/engine/losses/logits';
import { encodeIdx } from '../../../../src/engine/data/idx';
import { loadBundledMnist } from '../../../../src/engine/data/sources';
import { accuracy, argmaxRows, labelsOf, predictLogits } from '../../../../src/engine/train/evaluate';
import { runConfig, tiny } from './runConfig';

describe('distillation methods, end to end on tiny data', function () {
  this.timeout(120_000);

  it('feature distillation: a 1×1 adapter bridges 16→32 channels, the term is logged, and the adapter is not exported', async () => {
    // Convolutions train on wasm (its gradient kernels are ours); cpu would take minutes.
    const r = await runConfig({
      ...tiny,
      backend: 'wasm',
      teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [32] }, training: { epochs: 1, batchSize: 50 } }],
      student: { architecture: { preset: 'cnn', filters: [16] } },
      distillation: {
        features: [{ teacherLayer: 'teacher_0_relu1', studentLayer: 'student_relu1' }],
        attention: [{ teacherLayer: 'teacher_0_relu1', studentLayer: 'student_relu1', weight: 10 }],
      },
    });
    assert.equal(r.code, EXIT.done);
    const steps = r.messages.filter((m): m is StepEvent => m.type === 'step' && m.stage === 'distill');
    assert.ok(steps.length > 0);
    for (const s of steps) {
      assert.ok(Number.isFinite(s.terms.feature) && Number.isFinite(s.terms.attention), 'feature and attention terms in every step event');
      assert.deepEqual(Object.keys(s.hyper ?? {}).sort(), ['alpha', 'beta', 'temperature']);
    }
    assert.ok(r.messages.some((m) => m.type === 'log' && m.message.includes('adapter 1×1 conv 16→32')));
    const exported = JSON.parse(fs.readFileSync(path.join(r.runDir!, 'student', 'model.json'), 'utf8'));
    const names: string[] = exported.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    assert.ok(names.length > 0 && names.every((n) => !n.includes('adapter')), `no adapter weights in the student: ${names.join(', ')}`);
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: exported.modelTopology,
        weightSpecs: exported.weightsManifest[0].weights,
        weightData: new Uint8Array(fs.readFileSync(path.join(r.runDir!, 'student', 'weights.bin'))).buffer,
      }),
    );
    assert.equal(loaded.countParams(), r.summary!.student!.params, "the exported student has exactly the student's parameters");
  });

  it('progressive distillation with two assistants saves both intermediate models', async () => {
    const r = await runConfig({
      ...tiny,
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [64] }, training: { epochs: 1, batchSize: 50 } }],
      assistants: [
        { preset: 'mlp', hidden: [32] },
        { preset: 'mlp', hidden: [16] },
      ],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
    });
    assert.equal(r.code, EXIT.done);
    for (const i of [1, 2]) assert.ok(fs.existsSync(path.join(r.runDir!, 'assistants', String(i), 'model.json')), `assistant ${i} saved`);
    assert.deepEqual(
      r.summary!.assistants!.map((a) => [a.index, a.model, a.params]),
      [
        [1, path.join('assistants', '1'), 784 * 32 + 32 + 330],
        [2, path.join('assistants', '2'), 784 * 16 + 16 + 170],
      ],
    );
    assert.equal(r.messages.filter((m) => m.type === 'stage_started' && m.stage === 'assistant').length, 2);
  });

  it('an ensemble reports every teacher and the ensemble; unlabeled samples are reported', async () => {
    const r = await runConfig({
      ...tiny,
      data: { ...tiny.data, unlabeled: 100 },
      teachers: [
        { id: 'a', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } },
        { id: 'b', architecture: { preset: 'mlp', hidden: [24] }, training: { epochs: 1, batchSize: 50 } },
      ],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
      distillation: { ensemble: 'mean-probabilities', schedule: { temperature: { type: 'cosine', to: 1 } } },
    });
    assert.equal(r.code, EXIT.done);
    assert.deepEqual(
      r.summary!.teachers!.map((t) => t.id),
      ['a', 'b'],
    );
    assert.equal(r.summary!.teacher!.combine, 'mean-probabilities');
    assert.equal(r.summary!.unlabeled, 100);
    const steps = r.messages.filter((m): m is StepEvent => m.type === 'step' && m.stage === 'distill');
    assert.equal(steps[steps.length - 1].hyper!.temperature, 1, 'the temperature reaches its scheduled end');
  });

  it('unlabeled images from an IDX file join the training split, label-free: the teacher alone teaches on them', async () => {
    // 120 real digits written as an IDX3 file without labels.
    const digits = loadBundledMnist();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-unlabeled-'));
    fs.writeFileSync(path.join(dir, 'extra-images.idx'), encodeIdx([120, 28, 28], digits.images.subarray(5000 * 784, 5120 * 784)));
    const cfg = {
      ...tiny,
      data: { ...tiny.data, unlabeledImages: path.join(dir, 'extra-images.idx') },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] } }],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
    };
    const r = await runConfig(cfg);
    assert.equal(r.code, EXIT.done);
    assert.equal(r.summary!.unlabeled, 120);
    assert.ok(
      r.messages.some((m) => m.type === 'log' && /120 of 336 training samples are unlabeled \(120 from /.test(m.message)),
      'logged: 216 labeled + 120 unlabeled',
    );
    // 300 labelled: 60 test, 24 validation, 216 train; the 120 unlabeled images train, once.
    assert.ok(
      r.messages.some((m) => m.type === 'log' && m.message.includes('216 train + 120 unlabeled images / 24 validation / 60 test, 10 classes')),
      'the split counts add up to the inputs',
    );
    assert.equal(r.summary!.testSamples, 60);
    const started = r.messages.find((m) => m.type === 'stage_started' && m.stage === 'distill');
    assert.ok(started && started.type === 'stage_started' && started.stepsPerEpoch === Math.ceil(336 / 50));
    // A file of another image size is refused at its JSON path.
    fs.writeFileSync(path.join(dir, 'small.idx'), encodeIdx([3, 8, 8], new Uint8Array(192)));
    const bad = await runConfig({ ...cfg, data: { ...tiny.data, unlabeledImages: path.join(dir, 'small.idx') } });
    assert.equal(bad.code, EXIT.badConfig);
    const err = bad.messages.find((m) => m.type === 'config_error');
    assert.ok(
      err &&
        err.type === 'config_error' &&
        err.issues.some((i) => i.path.join('.') === 'data.source' && /8×8×1 but training images are 28×28×1/.test(i.message)),
    );
  });

  it('unknown layers and unbridgeable shapes are config errors with their JSON paths; no run starts', async () => {
    const r = await runConfig({
      ...tiny,
      teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [8] }, training: { epochs: 1 } }],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
      distillation: {
        features: [
          { teacherLayer: 'teacher_0_nope', studentLayer: 'student_dense1' },
          { teacherLayer: 'teacher_0_relu1', studentLayer: 'student_dense1' },
        ],
      },
    });
    assert.equal(r.code, EXIT.badConfig);
    const err = r.messages.find((m) => m.type === 'config_error');
    assert.ok(err && err.type === 'config_error');
    assert.deepEqual(
      err.issues.map((i) => i.path),
      [
        ['distillation', 'features', 0, 'teacherLayer'],
        ['distillation', 'features', 1],
      ],
    );
    assert.match(err.issues[0].message, /no layer "teacher_0_nope".*teacher_0_conv1/);
    assert.match(err.issues[1].message, /cannot be bridged/);
    assert.ok(!fs.existsSync(path.join(r.dir, '.distillery', 'runs')) || fs.readdirSync(path.join(r.dir, '.distillery', 'runs')).length === 0);
  });

  it('the cached and the uncached teacher give identical losses', async () => {
    const cfg = KdConfig.parse({
      ...tiny,
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] } }],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
    });
    const p = await prepare(tf, cfg, fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cache-')));
    const forward = ensembleLogitsFn(
      tf,
      p.teachers.map((t) => t.model),
    );
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-cachedir-'));
    const first = await teacherLogitsForSet(tf, forward, p.ds, 'k', cacheDir);
    const again = await teacherLogitsForSet(tf, forward, p.ds, 'k', cacheDir);
    assert.ok(!first.hit && again.hit);
    const losses = async (teacher: Parameters<typeof trainStage>[1]['teacher']) => {
      const model = await p.buildBaseline();
      const steps: StepEvent[] = [];
      await trainStage(tf, {
        stage: 'distill',
        model,
        losses: hintonLoss(0.7, 4),
        teacher,
        training: cfg.training,
        ds: p.ds,
        seed: 1,
        shift: 0,
        readEvery: 1,
        emit: (e) => e.type === 'step' && steps.push(e as StepEvent),
        shouldStop: () => false,
      });
      return steps.map((s) => s.terms.kd);
    };
    const cached = await losses({ kind: 'cached', logits: again.logits });
    const live = await losses({ kind: 'live', forward });
    assert.equal(cached.length, live.length);
    cached.forEach((v, i) => assert.ok(Math.abs(v - live[i]) < 1e-5, `step ${i + 1}: ${v} vs ${live[i]}`));
  });

  it("a saved teacher's validation and test accuracies come from its cached logits, equal to running it", async () => {
    const cfg = {
      ...tiny,
      data: { source: 'mnist', limit: 300, validationSplit: 0.2, testSplit: 0.2 },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] } }],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
    };
    const first = await runConfig(cfg);
    assert.equal(first.code, EXIT.done);
    // Second run: the teacher loads from disk and its logits come from the cache.
    const again = await runConfig(cfg, first.dir);
    assert.equal(again.code, EXIT.done);
    assert.ok(again.messages.some((m) => m.type === 'log' && m.message.startsWith('teacher logits: reused cache')));
    const reported = again.messages.find((m) => m.type === 'stage_done' && m.stage === 'teacher');
    assert.ok(reported?.type === 'stage_done');
    // The same teacher, run over the same splits.
    const p = await prepare(tf, KdConfig.parse(cfg), first.dir);
    const forward = ensembleLogitsFn(
      tf,
      p.teachers.map((t) => t.model),
    );
    const acc = async (split: typeof p.ds.val) => accuracy(argmaxRows(await predictLogits(tf, forward, p.ds, split), p.ds.numClasses), labelsOf(split));
    assert.equal(reported.valAccuracy, await acc(p.ds.val));
    assert.equal(again.summary!.teacher!.testAccuracy, await acc(p.ds.test));
    assert.equal(again.summary!.teacher!.testAccuracy, first.summary!.teacher!.testAccuracy);
  });
});
