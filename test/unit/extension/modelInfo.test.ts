import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastAccuracy, modelDescription, modelMarkdown, modelsOfKdJson } from '../../../src/extension/tree/modelInfo';
import type { RunSummary } from '../../../src/protocol/events';

describe('extension/tree/modelInfo: teachers and students of a kd.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelinfo-'));
  const modelJson = {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 28, 28, 1] } },
          { class_name: 'Dense', config: { name: 'd', units: 10 } },
        ],
      },
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'd/kernel', shape: [784, 10], dtype: 'float32' },
          { name: 'd/bias', shape: [10], dtype: 'float32' },
        ],
      },
    ],
  };
  fs.mkdirSync(path.join(dir, 'm'));
  fs.writeFileSync(path.join(dir, 'm', 'model.json'), JSON.stringify(modelJson));
  const text = `{
    // comments are fine
    "teachers": [
      { "id": "big", "architecture": { "preset": "mlp", "hidden": [64] } },
      { "id": "file", "model": "m/model.json" },
      { "id": "gone", "model": "nope/model.json" },
    ],
    "student": { "architecture": { "preset": "cnn", "filters": [4] } }
  }`;
  const models = modelsOfKdJson(text, path.join(dir, 'kd.json'));
  after(() => fs.rmSync(dir, { recursive: true }));

  it("counts preset parameters and names layers with the engine's prefixes", () => {
    const [big] = models.teachers;
    assert.equal(big.source, 'preset mlp 64');
    assert.equal(big.info!.params, 784 * 64 + 64 + 64 * 10 + 10);
    assert.deepEqual(
      big.info!.layers.map((l) => l.name),
      ['teacher_0_flatten', 'teacher_0_dense1', 'teacher_0_logits'],
    );
    assert.deepEqual(
      models.student!.info!.layers.map((l) => l.name),
      ['student_conv1', 'student_relu1', 'student_pool1', 'student_flatten', 'student_logits'],
    );
    assert.equal(text.slice(big.offset, big.offset + big.length).startsWith('{ "id": "big"'), true);
  });

  it('resnet and mobilenet presets in the tree: their layers and parameter counts (defaults applied while typing)', () => {
    const graph = modelsOfKdJson(
      `{ "teachers": [{ "id": "r", "architecture": { "preset": "resnet" } }], "student": { "architecture": { "preset": "mobilenet", "filters": [8], "stem": 4, "widthMultiplier": 0.5 } } }`,
      path.join(dir, 'kd.json'),
    );
    const resnet = graph.teachers[0];
    assert.equal(resnet.source, 'preset resnet20 width 16');
    // resnet20 at width 16 on 28×28×1: 272 474 trainable on 3 channels, less the stem's 2×9×16 weights, plus moving statistics (2 × 784 BN channels).
    assert.equal(resnet.info!.params, 272_474 - 2 * 9 * 16 + 2 * 784);
    assert.deepEqual(resnet.info!.layers.at(-2), { name: 'teacher_0_gap', className: 'GlobalAveragePooling2D', outputShape: [64], params: 0 });
    const mobile = graph.student!;
    assert.equal(mobile.source, 'preset mobilenet 8 α 0.5');
    assert.deepEqual(
      mobile.info!.layers.map((l) => `${l.name} [${l.outputShape}] ${l.params}`),
      [
        'student_stem_conv [28,28,2] 18',
        'student_stem_bn [28,28,2] 8',
        'student_stem_relu [28,28,2] 0',
        'student_s1b1_dw [28,28,2] 18',
        'student_s1b1_dw_bn [28,28,2] 8',
        'student_s1b1_dw_relu [28,28,2] 0',
        'student_s1b1_pw [28,28,4] 8',
        'student_s1b1_pw_bn [28,28,4] 16',
        'student_s1b1_pw_relu [28,28,4] 0',
        'student_s1b2_dw [28,28,4] 36',
        'student_s1b2_dw_bn [28,28,4] 16',
        'student_s1b2_dw_relu [28,28,4] 0',
        'student_s1b2_pw [28,28,4] 16',
        'student_s1b2_pw_bn [28,28,4] 16',
        'student_s1b2_pw_relu [28,28,4] 0',
        'student_gap [4] 0',
        'student_logits [10] 50',
      ],
    );
  });

  it("kd.json outputs: presets show their heads (a file target's size read from its IDX header)", () => {
    const idx = Buffer.alloc(4 + 8 + 4 * 3 * 5);
    idx.set([0, 0, 0x0d, 2, 0, 0, 0, 3, 0, 0, 0, 5]);
    fs.writeFileSync(path.join(dir, 'v.idx'), idx);
    const withHeads = modelsOfKdJson(
      text.replace('"student":', '"outputs": { "box": { "target": "inkBox" }, "v": { "target": "v.idx" } },\n    "student":'),
      path.join(dir, 'kd.json'),
    );
    const big = withHeads.teachers[0].info!;
    assert.deepEqual(big.layers.map((l) => `${l.name} [${l.outputShape}] ${l.params}`).slice(-3), [
      'teacher_0_logits [10] 650',
      'teacher_0_box [4] 260',
      'teacher_0_v [5] 325',
    ]);
    assert.equal(big.params, 784 * 64 + 64 + 650 + 260 + 325);
    assert.deepEqual(
      withHeads.student!.info!.layers.slice(-2).map((l) => l.name),
      ['student_box', 'student_v'],
    );
  });

  it('reads model files and says when one is missing', () => {
    const [, file, gone] = models.teachers;
    assert.equal(file.info!.params, 7850);
    assert.equal(file.modelFile, path.join(dir, 'm', 'model.json'));
    assert.match(gone.problem!, /not found/);
    assert.equal(modelDescription(gone), 'nope/model.json · ⚠');
  });

  it('takes the last measured accuracy from the newest run that measured it', () => {
    const s = (teacherId: string, ids: string[], acc: number): RunSummary =>
      ({
        teacher: { id: teacherId, ids, testAccuracy: acc, confusion: [], params: 1, bytes: 4, latencyMs: 1 },
        student: { testAccuracy: acc / 2, confusion: [], params: 1, bytes: 4, latencyMs: 1 },
      }) as unknown as RunSummary;
    const runs = [s('big+file', ['big', 'file'], 0.99), s('big', ['big'], 0.97), s('big', ['big'], 0.5)];
    assert.equal(lastAccuracy(models.teachers[0], runs), 0.97);
    assert.equal(lastAccuracy(models.teachers[1], runs), undefined);
    assert.equal(lastAccuracy(models.student!, runs), 0.495);
    assert.equal(modelDescription(models.teachers[0], 0.97), 'preset mlp 64 · 50.9k params · 97.00%');
    assert.match(modelMarkdown(models.teachers[0]), /\| `teacher_0_dense1` \| Dense \| \[64\] \| 50,240 \|/);
  });
});
