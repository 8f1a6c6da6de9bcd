import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeIdx } from '../../../../src/engine/data/idx';
import { loadSourceSync } from '../../../../src/engine/data/sources';
import { EXIT, runEngine } from '../../../../src/engine/run/engineRun';
import { DataSpec } from '../../../../src/protocol/config';
import type { EngineMessage } from '../../../../src/protocol/events';
import { newRunJob } from '../../../../src/protocol/runId';
import { runConfig, type RunResult } from './runConfig';

// RGB 32×32 data through the whole engine with the graph presets: a mobilenet teacher trained
// first, a resnet8 student distilled from its cached logits, then the same kd.json again (the
// saved teacher and the logits cache reused), and a run stopped mid-distillation resumed from
// its checkpoint (batch norm's moving statistics included) to the same accuracy.
//
// The data: the first 600 bundled digits centred in 32×32 and tiled to three channels, as an
// IDX file of [N, 32, 32, 3] (IDX with a channel dimension is what the engine reads today).

const N = 600;

function writeRgbDigits(dir: string): { images: string; labels: string } {
  const digits = loadSourceSync(DataSpec.parse({ source: 'mnist' }), process.cwd()).train;
  const images = new Uint8Array(N * 32 * 32 * 3);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = digits.images[(n * 28 + y) * 28 + x];
        images.fill(v, ((n * 32 + y + 2) * 32 + x + 2) * 3, ((n * 32 + y + 2) * 32 + x + 2) * 3 + 3);
      }
  fs.writeFileSync(path.join(dir, 'rgb-images.idx'), encodeIdx([N, 32, 32, 3], images));
  fs.writeFileSync(path.join(dir, 'rgb-labels.idx'), encodeIdx([N], digits.labels.subarray(0, N)));
  return { images: 'rgb-images.idx', labels: 'rgb-labels.idx' };
}

const logitsSources = (r: RunResult | EngineMessage[]) => ('messages' in r ? r.messages : r).flatMap((m) => (m.type === 'teacher_logits' ? [m.source] : []));

describe('engine: resnet and mobilenet presets end to end on RGB 32×32 data', function () {
  this.timeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-graph-presets-'));
  const cfg = {
    backend: 'wasm',
    seed: 3,
    data: { source: { train: writeRgbDigits(dir) }, validationSplit: 0.1, testSplit: 0.2 },
    teachers: [
      {
        id: 'mobile',
        architecture: { preset: 'mobilenet', filters: [16, 32], blocks: 1, stem: 8 },
        training: { epochs: 3, batchSize: 32, optimizer: { learningRate: 0.003 } },
      },
    ],
    student: { architecture: { preset: 'resnet', depth: 8, width: 4 } },
    distillation: { temperature: 4, alpha: 0.7 },
    training: { epochs: 2, batchSize: 32, optimizer: { learningRate: 0.003 } },
    baseline: false,
    evaluation: { latencySamples: 2, logitsSamples: 5 },
  };
  let first: RunResult;

  before(async () => {
    first = await runConfig(cfg, dir);
  });

  it('trains the mobilenet teacher, distils the resnet8 student from its logits, both well above chance on 10 classes', () => {
    assert.equal(first.code, EXIT.done, JSON.stringify(first.messages.filter((m) => m.type === 'engine_failed' || m.type === 'config_error')));
    const s = first.summary!;
    // The teacher trained first, saved where the next run finds it: the mobilenet graph, depthwise layers and all.
    const teachers = path.join(dir, '.distillery', 'teachers');
    const saved = fs.readdirSync(teachers).filter((d) => d.startsWith('mobile-'));
    assert.equal(saved.length, 1);
    assert.match(
      fs.readFileSync(path.join(teachers, saved[0], 'model.json'), 'utf8'),
      /"teacher_0_s2b1_dw".*"DepthwiseConv2D"|"DepthwiseConv2D".*"teacher_0_s2b1_dw"/s,
    );
    assert.ok(s.teacher!.testAccuracy > 0.3, `teacher ${s.teacher!.testAccuracy}`);
    assert.ok(s.student!.testAccuracy > 0.2, `student ${s.student!.testAccuracy}`);
    assert.deepEqual(logitsSources(first), ['computed']);
    process.stderr.write(`      teacher ${s.teacher!.testAccuracy}, student ${s.student!.testAccuracy}\n`);
    // The saved student is the resnet8 graph: its model.json names the preset's layers.
    const modelJson = JSON.parse(fs.readFileSync(path.join(first.runDir!, s.studentModel ?? 'student', 'model.json'), 'utf8'));
    const topology = modelJson.modelTopology.model_config ?? modelJson.modelTopology;
    const names = (topology.config.layers as { name: string }[]).map((l) => l.name);
    for (const n of ['student_stem_conv', 'student_s2b1_proj', 'student_s3b1_add', 'student_gap', 'student_logits']) assert.ok(names.includes(n), n);
  });

  it('the same kd.json again: the saved teacher is reused and its logits come from the cache, to the same accuracy', async () => {
    const again = await runConfig(cfg, dir);
    assert.equal(again.code, EXIT.done);
    assert.deepEqual(logitsSources(again), ['cache-hit']);
    assert.ok(!again.messages.some((m) => m.type === 'stage_started' && m.stage === 'teacher'), 'the teacher was trained again');
    assert.equal(again.summary!.student!.testAccuracy, first.summary!.student!.testAccuracy);
  });

  it('stopped in its second epoch, the distillation resumes from the checkpoint and ends where the uninterrupted run did', async () => {
    const messages: EngineMessage[] = [];
    let stop = false;
    const send = (m: EngineMessage) => {
      messages.push(m);
      if (m.type === 'step' && m.stage === 'distill' && m.epoch === 2) stop = true;
    };
    assert.equal(await runEngine({ request: newRunJob(path.join(dir, 'kd.json')), send, shouldStop: () => stop }), EXIT.stopped);
    const started = messages.find((m) => m.type === 'run_started');
    assert.ok(started && started.type === 'run_started');
    const resumed: EngineMessage[] = [];
    assert.equal(await runEngine({ request: { kind: 'resume', runDir: started.runDir }, send: (m) => resumed.push(m), shouldStop: () => false }), EXIT.done);
    assert.ok(resumed.some((m) => m.type === 'log' && /resuming from checkpoint distill-epoch-0001/.test(m.message)));
    const finished = resumed.find((m) => m.type === 'run_finished');
    assert.ok(finished && finished.type === 'run_finished');
    assert.ok(Math.abs(finished.summary.student!.testAccuracy - first.summary!.student!.testAccuracy) < 1e-9);
  });
});
