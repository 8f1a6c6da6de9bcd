/**
 * A student given as a model file: by default its architecture with fresh seeded weights, the
 * same for the distilled student and its baseline (so the baseline is from scratch); with
 * student.init "file", the file's weights for both.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { KdConfig } from '../../../src/protocol/config';
import { prepare, type Prepared } from '../../../src/engine/run/prepare';
import { buildPreset } from '../../../src/engine/models/presets';
import { saveLayersModel } from '../../../src/engine/models/modelFiles';
import { seedInitializers } from '../../../src/engine/models/freshWeights';
import { wasmTf } from './helpers';
import { runConfig, tiny } from './methods/runConfig';
import { EXIT } from '../../../src/engine/run/engineRun';

async function weightsOf(m: tfTypes.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

describe('a student from a model file', function () {
  this.timeout(60_000);
  let tf: typeof tfTypes;
  let dir: string;
  let fileWeights: Float32Array[];
  const all: Prepared[] = [];

  before(async () => {
    tf = await wasmTf();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-student-init-'));
    // A "trained" student: a preset whose weights are then moved away from any initialiser's.
    const m = buildPreset(tf, { preset: 'cnn', filters: [4], kernelSize: 3, dense: [], dropout: 0, batchNorm: true }, [28, 28, 1], 10, 99, 'mine');
    m.setWeights(m.getWeights().map((w, i) => tf.fill(w.shape, 0.01 * (i + 1))));
    await saveLayersModel(m, path.join(dir, 'student'));
    fileWeights = await weightsOf(m);
    m.dispose();
  });

  after(() => {
    for (const p of all) for (const m of [p.student, ...p.teachers.map((t) => t.model)]) m.dispose();
  });

  const prep = async (student: object, seed = 3): Promise<Prepared> => {
    const cfg = KdConfig.parse({
      backend: 'wasm',
      seed,
      data: { limit: 100 },
      training: { batchSize: 10 },
      teachers: [{ id: 't', model: 'student/model.json' }],
      student,
    });
    const p = await prepare(tf, cfg, dir);
    all.push(p);
    return p;
  };

  it('by default starts from fresh seeded weights, identical for the student and its baseline', async () => {
    const p = await prep({ model: 'student/model.json' });
    const student = await weightsOf(p.student);
    assert.deepEqual(
      student.map((w) => w.length),
      fileWeights.map((w) => w.length),
      "the file's architecture",
    );
    const kernel = student[0];
    assert.ok(
      kernel.some((v, i) => v !== fileWeights[0][i]),
      "not the file's weights",
    );
    assert.ok(new Set(kernel).size > kernel.length / 2, 'drawn by an initialiser, not constant');
    const baseline = await p.buildBaseline();
    assert.deepEqual(await weightsOf(baseline), student, 'the baseline starts where the student does');
    baseline.dispose();
    assert.deepEqual(await weightsOf((await prep({ model: 'student/model.json' })).student), student, 'deterministic in the seed');
    assert.notDeepEqual((await weightsOf((await prep({ model: 'student/model.json' }, 4)).student))[0], kernel, 'another seed, other weights');
    assert.match(p.studentDescription, /fresh weights/);
  });

  it('with init "file" starts from the file\'s weights, the baseline too', async () => {
    const p = await prep({ model: 'student/model.json', init: 'file' });
    assert.deepEqual(await weightsOf(p.student), fileWeights);
    const baseline = await p.buildBaseline();
    assert.deepEqual(await weightsOf(baseline), fileWeights);
    baseline.dispose();
  });

  it('summary.json records where the baseline started, and the log names it', async () => {
    for (const [init, start, words] of [
      ['fresh', 'scratch', 'the same student trained from scratch'],
      ['file', 'file', 'the same student from the same start with no teacher'],
    ] as const) {
      const r = await runConfig({
        ...tiny,
        teachers: [{ id: 't', model: path.join(dir, 'student', 'model.json') }],
        student: { model: path.join(dir, 'student', 'model.json'), init },
      });
      assert.equal(r.code, EXIT.done);
      assert.equal(r.summary!.baseline!.start, start);
      assert.equal(JSON.parse(fs.readFileSync(path.join(r.runDir!, 'summary.json'), 'utf8')).baseline.start, start);
      assert.ok(
        r.messages.some((m) => m.type === 'log' && m.message === `training the baseline: ${words}`),
        init,
      );
    }
  });

  it('seeds every initialiser of the topology, nested ones included, by where it sits', () => {
    type Init = { class_name: string; config: Record<string, unknown> };
    const topo = () => ({
      kernel: { class_name: 'GlorotUniform', config: { seed: null } } as Init,
      bias: { class_name: 'Zeros', config: {} } as Init,
      nested: { class_name: 'Orthogonal', config: { gain: 1 } } as Init,
    });
    const layers = (t: ReturnType<typeof topo>) => ({
      config: {
        layers: [
          { config: { kernel_initializer: t.kernel, bias_initializer: t.bias } },
          { config: { layers: [{ config: { depthwise_initializer: t.nested } }] } },
        ],
      },
    });
    const a = topo();
    seedInitializers(layers(a), 1);
    for (const init of [a.kernel, a.bias, a.nested]) assert.equal(typeof init.config.seed, 'number', init.class_name);
    assert.equal(a.nested.config.gain, 1, 'other settings kept');
    assert.notEqual(a.kernel.config.seed, a.bias.config.seed, 'each its own seed');
    const b = topo();
    seedInitializers(layers(b), 1);
    assert.deepEqual(b, a, 'deterministic');
    const c = topo();
    seedInitializers(layers(c), 2);
    assert.notEqual(c.kernel.config.seed, a.kernel.config.seed);
  });
});
