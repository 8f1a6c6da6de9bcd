/**
 * `distill validate` finds what `distill run` would refuse, without training and without a
 * run folder: the engine's own pre-training checks (data, model files, shapes, layer names,
 * batch size), each reported at kd.json's line:column, and the reader's (float IDX, long
 * ids, deep nesting, a BOM). Before, validate checked the schema and file existence only and
 * said "ok" to all of the engine cases. Engine cases are few and tiny (2 shared cores).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeIdx, encodeIdxFloat32 } from '../../src/engine/data/idx';
import { saveLayersModel } from '../../src/engine/models/modelFiles';
import { loadTf } from '../../src/engine/tf';
import { DISTILLERY_DIR } from '../../src/protocol/runFolder';
import { CLI } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-validate-'));
const fx = (name: string) => path.join(root, 'fixtures', name);

async function writeFixtures(): Promise<void> {
  fs.mkdirSync(fx('keras'), { recursive: true });
  fs.writeFileSync(
    fx('imgs'),
    encodeIdx(
      [60, 28, 28],
      Uint8Array.from({ length: 60 * 784 }, (_, i) => (i * 37) % 256),
    ),
  );
  fs.writeFileSync(
    fx('labs'),
    encodeIdx(
      [60],
      Uint8Array.from({ length: 60 }, (_, i) => i % 10),
    ),
  );
  fs.writeFileSync(fx('imgs-float'), encodeIdxFloat32([60, 28, 28], new Float32Array(60 * 784)));
  fs.writeFileSync(fx('imgs-double'), Buffer.concat([Buffer.from([0, 0, 0x0e, 3, 0, 0, 0, 60, 0, 0, 0, 28, 0, 0, 0, 28]), Buffer.alloc(60 * 784 * 8)]));
  const tf = loadTf();
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1], name: 'f' }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'h' }),
      tf.layers.dense({ units: 10, name: 'd' }),
    ],
  });
  await saveLayersModel(model, fx('m10'));
  model.dispose();
  fs.mkdirSync(fx('graph'));
  fs.writeFileSync(fx('graph/model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
  fs.writeFileSync(fx('keras/model.h5'), Buffer.from('\x89HDF\r\n\x1a\n' + 'x'.repeat(64), 'latin1'));
  fs.writeFileSync(fx('model.onnx'), Buffer.from([0x08, 0x07, 0x12, 0x04]));
}

type Json = Record<string, unknown>;
function kd(extra: Json = {}): Json {
  return {
    name: 'v',
    backend: 'cpu',
    data: { source: { train: { images: '../fixtures/imgs', labels: '../fixtures/labs' } }, normalize: 'unit' },
    teachers: [{ id: 't', model: '../fixtures/m10/model.json' }],
    student: { architecture: { preset: 'mlp', hidden: [8] } },
    training: { epochs: 1, batchSize: 10 },
    evaluation: { latencySamples: 1, logitsSamples: 0 },
    ...extra,
  };
}

let caseNo = 0;
function writeCase(config: unknown): { file: string; text: string } {
  const dir = path.join(root, `case-${++caseNo}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'kd.json');
  const text = typeof config === 'string' ? config : JSON.stringify(config, null, 2);
  fs.writeFileSync(file, text);
  return { file, text };
}

function distill(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** `kd.json:L:C` of the first occurrence of `needle` in the case's text. */
function at(text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return `kd.json:${before.length}:${before[before.length - 1].length + 1}`;
}

function noRunFolder(file: string): void {
  const runs = path.join(path.dirname(file), DISTILLERY_DIR, 'runs');
  assert.deepEqual(fs.existsSync(runs) ? fs.readdirSync(runs) : [], [], 'validate created a run folder');
}

describe('faults: distill validate finds what run refuses', function () {
  this.timeout(120_000);
  before(writeFixtures);
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a good kd.json (with a UTF-8 BOM): ok, with the backend and the split sizes, and no run folder', async () => {
    const { file, text } = writeCase(kd());
    fs.writeFileSync(file, '\uFEFF' + text);
    const r = await distill(['validate', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kd\.json: ok \(backend cpu; data: .*\d+ train \/ \d+ validation \/ \d+ test, 10 classes\)/);
    noRunFolder(file);
  });

  it('unknown layer names and a pair on the logits: exit 2, each at its line:column', async () => {
    const { file, text } = writeCase(
      kd({
        distillation: {
          features: [
            { teacherLayer: 'nope', studentLayer: 'student_dense1' },
            { teacherLayer: 'h', studentLayer: 'student_logits' },
          ],
        },
      }),
    );
    const r = await distill(['validate', file]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.ok(r.stderr.includes(`${at(text, '"nope"')}: distillation.features[0].teacherLayer: no layer "nope"`), r.stderr);
    assert.ok(
      r.stderr.includes(`${at(text, '"student_logits"')}: distillation.features[1].studentLayer: layer "student_logits" is the student's output`),
      r.stderr,
    );
    noRunFolder(file);
  });

  it('a GraphModel and a Keras .h5 teacher, an ONNX student: exit 2, each file named with what it is and what is needed', async () => {
    const { file, text } = writeCase(
      kd({
        teachers: [
          { id: 'g', model: '../fixtures/graph/model.json' },
          { id: 'k', model: '../fixtures/keras/model.h5' },
        ],
        student: { model: '../fixtures/model.onnx' },
      }),
    );
    const r = await distill(['validate', file]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.ok(r.stderr.includes(`${at(text, '"../fixtures/graph/model.json"')}: teachers[0].model: `), r.stderr);
    assert.match(r.stderr, /teachers\[0\]\.model: .*graph[/\\]model\.json: a tfjs GraphModel \(format "graph-model"\) with no graph nodes/);
    assert.match(
      r.stderr,
      /teachers\[1\]\.model: .*model\.h5: a Keras model file; a tfjs LayersModel model\.json is needed: convert it with tensorflowjs_converter --input_format keras /,
    );
    assert.match(r.stderr, /student\.model: .*model\.onnx: an ONNX model, which can be a teacher \(teachers\[\]\.model\) but not trained here/);
    noRunFolder(file);
  });

  it("a batch larger than the samples: exit 2 at training.batchSize's line:column, placed by the engine itself (run --json)", async () => {
    const { file, text } = writeCase(kd({ training: { epochs: 1, batchSize: 500 } }));
    const r = await distill(['validate', file]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.ok(r.stderr.includes(`${at(text, '500')}: training.batchSize: 500 is larger than the`), r.stderr);
    const j = await distill(['run', file, '--json']);
    assert.equal(j.code, 2, j.stderr);
    const event = JSON.parse(j.stdout.trim().split('\n').pop()!);
    assert.equal(event.type, 'config_error');
    const [line, column] = at(text, '500').split(':').slice(1).map(Number);
    assert.deepEqual(
      event.issues.map((i: { path: unknown[]; line: number; column: number }) => [i.path.join('.'), i.line, i.column]),
      [['training.batchSize', line, column]],
    );
    noRunFolder(file);
  });

  it('double IDX images: exit 2 from the header alone, before any engine starts, in validate and in run', async () => {
    const { file, text } = writeCase(kd({ data: { source: { train: { images: '../fixtures/imgs-double', labels: '../fixtures/labs' } } } }));
    for (const cmd of ['validate', 'run']) {
      const r = await distill([cmd, file]);
      assert.equal(r.code, 2, r.stderr + r.stdout);
      assert.ok(r.stderr.includes(`${at(text, '"../fixtures/imgs-double"')}: data.source.train.images: `), r.stderr);
      assert.match(r.stderr, /imgs-double: IDX type 0x0e \(double\) is not supported here/);
    }
    noRunFolder(file);
  });

  it('a 250-character teacher id, and a kd.json nested 3000 levels: exit 2 with a position, no stack trace', async () => {
    const long = writeCase(kd({ teachers: [{ id: 'x'.repeat(250), architecture: { preset: 'mlp', hidden: [8] } }] }));
    const deep = writeCase(`{"name": ${'['.repeat(3000)}${']'.repeat(3000)}}`);
    const [r1, r2] = await Promise.all([distill(['validate', long.file]), distill(['validate', deep.file])]);
    assert.equal(r1.code, 2, r1.stderr);
    assert.ok(r1.stderr.includes(`${at(long.text, `"${'x'.repeat(250)}"`)}: teachers[0].id: at most 64 characters`), r1.stderr);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /kd\.json:1:\d+: \(root\): nested more than 64 levels deep/);
    assert.doesNotMatch(r1.stderr + r2.stderr, /Maximum call stack|\n\s+at /);
  });
});
