/**
 * Models in and out through the real CLI: a finished run's student exported in every format
 * (files on disk, summary.json's records, the ONNX check's logit difference), the exported ONNX
 * loaded back as a teacher that agrees with the student on every test sample, and bad teacher
 * files found by `distill validate` before any run folder exists.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExportRecord, RunSummary } from '../../src/protocol/events';
import { runExportCli } from '../../src/client/exportProcess';
import { exportSummaryLine } from '../../src/extension/commands/exportForms';
import { distillBounded } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-models-in-out-'));
const data = { source: 'mnist', limit: 800, validationSplit: 0.1, testSplit: 0.25 };

function kd(name: string, body: object): string {
  const file = path.join(dir, `${name}.kd.json`);
  fs.writeFileSync(file, JSON.stringify({ name, seed: 4, data, training: { epochs: 1, batchSize: 64 }, baseline: false, ...body }));
  return file;
}

const readSummary = (runDir: string) => JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
const runDirOf = (root: string) => path.join(root, fs.readdirSync(root)[0]);

describe('distill export, and exported students as teachers (CLI)', function () {
  this.timeout(240_000);
  let runDir: string;
  const records: Record<string, ExportRecord> = {};
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    const file = kd('source', {
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] }, training: { epochs: 1, batchSize: 64 } }],
      student: { architecture: { preset: 'cnn', filters: [4], dense: [16], batchNorm: true } },
    });
    const r = await distillBounded(['run', file, '--runs-root', path.join(dir, 'runs')], 120_000);
    assert.equal(r.code, 0, r.stderr);
    runDir = runDirOf(path.join(dir, 'runs'));
  });

  for (const format of ['onnx', 'tfjs', 'float16', 'uint8'] as const) {
    it(`--format ${format}: written, checked and recorded in summary.json`, async () => {
      const r = await distillBounded(['export', runDir, '--format', format, '--json'], 60_000);
      assert.equal(r.code, 0, r.stderr);
      const record = JSON.parse(r.stdout.trim().split('\n').pop()!) as ExportRecord;
      records[format] = record;
      assert.equal(record.format, format);
      assert.ok(fs.existsSync(format === 'onnx' ? record.path : path.join(record.path, 'model.json')));
      assert.equal(record.testSamples, 200);
      if (format === 'onnx') {
        assert.match(r.stderr, /ONNX Runtime over the 200 test samples: max \|logit difference\| /);
        assert.ok(record.maxAbsDiff <= 1e-4 && record.ortLatencyMs! > 0);
        assert.equal(record.bytes, fs.statSync(record.path).size);
        assert.equal(record.layout, 'nchw');
      }
      if (format === 'tfjs') assert.equal(record.maxAbsDiff, 0);
      if (format === 'float16') assert.ok(record.maxAbsDiff > 0 && record.maxAbsDiff < 0.05, `${record.maxAbsDiff}`);
      const summary = readSummary(runDir);
      assert.deepEqual(
        summary.exports!.find((e) => e.format === format),
        record,
      );
    });
  }

  it('quantized weights take less space: uint8 < float16 < float32, the accuracies close to the float accuracy', () => {
    assert.ok(records.uint8.bytes < records.float16.bytes && records.float16.bytes < records.tfjs.bytes);
    for (const f of ['onnx', 'float16', 'uint8']) assert.ok(Math.abs(records[f].accuracy - records[f].floatAccuracy) <= 0.02, `${f}`);
    assert.equal(records.onnx.accuracy, records.onnx.floatAccuracy);
  });

  it('the exported ONNX student, as a teacher, agrees with the student on every test sample', async () => {
    const file = kd('back', { teachers: [{ id: 'onnx', model: records.onnx.path }], student: { architecture: { preset: 'mlp', hidden: [8] } } });
    const v = await distillBounded(['validate', file], 60_000);
    assert.equal(v.code, 0, v.stderr);
    const r = await distillBounded(['run', file, '--runs-root', path.join(dir, 'runs-back')], 120_000);
    assert.equal(r.code, 0, r.stderr);
    const back = readSummary(runDirOf(path.join(dir, 'runs-back')));
    const source = readSummary(runDir);
    assert.equal(back.teacher!.testAccuracy, source.student!.testAccuracy);
    assert.deepEqual(back.teacher!.confusion, source.student!.confusion);
  });

  it("the extension's Export Student path (a child process running distill export) gives the record, or the CLI's words", async () => {
    const cliPath = path.resolve(__dirname, '../../dist/cli.js');
    const out = path.join(dir, 'from-extension.onnx');
    const record = await runExportCli({ runDir, form: 'onnx', out, cliPath, launch: {} });
    assert.equal(record.path, out);
    assert.ok(fs.statSync(out).size === record.bytes);
    assert.match(exportSummaryLine(record), /KB, test accuracy \d+\.\d+% \(float \d+\.\d+%\), max \|Δlogit\| .*ms per sample under ONNX Runtime/);
    await assert.rejects(
      runExportCli({ runDir: dir, form: 'uint8', out: path.join(dir, 'x'), cliPath, launch: {} }),
      /has no summary\.json: the run has not finished/,
    );
  });

  it('an existing file that is not an ONNX file Distillery wrote is never replaced', async () => {
    const mine = path.join(dir, 'mine.onnx');
    fs.writeFileSync(mine, 'my notes');
    const r = await distillBounded(['export', runDir, '--format', 'onnx', '--out', mine], 60_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mine\.onnx exists and is not an ONNX file Distillery wrote; it is never replaced/);
    assert.equal(fs.readFileSync(mine, 'utf8'), 'my notes');
  });

  describe('bad teacher files: found by distill validate, no run folder', () => {
    const cases: [string, () => string, RegExp][] = [
      [
        'a truncated ONNX file',
        () => (fs.writeFileSync(path.join(dir, 'cut.onnx'), fs.readFileSync(records.onnx.path).subarray(0, 300)), 'cut.onnx'),
        /teachers\[0\]\.model: .*cut\.onnx: (not a readable ONNX model|ONNX Runtime cannot load it)/,
      ],
      [
        'a Keras .h5 file',
        () => (fs.writeFileSync(path.join(dir, 'k.h5'), Buffer.from('\x89HDF\r\n\x1a\n' + 'x'.repeat(40), 'latin1')), 'k.h5'),
        /teachers\[0\]\.model: .*k\.h5: a Keras model file.*tensorflowjs_converter --input_format keras/,
      ],
    ];
    it("a teacherLayer the ONNX graph lacks: at the pair's teacherLayer, with the graph's node outputs", async () => {
      const file = kd('bad-tap', {
        teachers: [{ id: 'x', model: records.onnx.path }],
        student: { architecture: { preset: 'mlp', hidden: [8] } },
        distillation: { features: [{ teacherLayer: 'nope', studentLayer: 'student_dense1' }] },
      });
      const r = await distillBounded(['validate', file], 60_000);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /distillation\.features\[0\]\.teacherLayer: .*student\.onnx: no node output "nope" to tap \(its node outputs: student_conv1, /);
    });

    for (const [what, make, message] of cases) {
      it(what, async () => {
        const file = kd(`bad-${what.replace(/\W+/g, '-')}`, {
          teachers: [{ id: 'x', model: make() }],
          student: { architecture: { preset: 'mlp', hidden: [8] } },
        });
        const r = await distillBounded(['validate', file], 60_000);
        assert.equal(r.code, 2);
        assert.match(r.stderr, message);
        assert.ok(!fs.existsSync(path.join(dir, '.distillery', 'runs')));
      });
    }
  });
});
