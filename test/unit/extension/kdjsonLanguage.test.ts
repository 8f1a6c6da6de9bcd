import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { candidates, completionSite } from '../../../src/extension/kdjson/completions';
import { CODES, computeDiagnostics } from '../../../src/extension/kdjson/diagnostics';
import { quickFixesFor } from '../../../src/extension/kdjson/quickFixes';

/** Text with a `|` cursor marker → [text, offset]. */
const at = (marked: string): [string, number] => [marked.replace('|', ''), marked.indexOf('|')];

describe('extension/kdjson: completions', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kdcomp-'));
  fs.mkdirSync(path.join(dir, 'models', 't'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'models', 't', 'model.json'),
    JSON.stringify({
      modelTopology: {
        config: {
          layers: [
            { class_name: 'Flatten', config: { name: 'tf', batch_input_shape: [null, 28, 28, 1] } },
            { class_name: 'Dense', config: { name: 'td', units: 10 } },
          ],
        },
      },
      weightsManifest: [],
    }),
  );
  fs.writeFileSync(path.join(dir, 'models', 'other.json'), '{"not":"a model"}');
  fs.mkdirSync(path.join(dir, 'data'));
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte.gz', 'notes.txt']) fs.writeFileSync(path.join(dir, 'data', f), '');
  const file = path.join(dir, 'kd.json');
  after(() => fs.rmSync(dir, { recursive: true }));

  it('offers model.json files with a topology for "model", replacing the whole string', () => {
    const [text, off] = at('{ "teachers": [ { "id": "a", "model": "mo|" } ] }');
    const site = completionSite(text, off)!;
    assert.equal(site.kind, 'modelFile');
    assert.equal(text.slice(site.offset, site.offset + site.length), '"mo"');
    assert.deepEqual(
      candidates(site, text, file).map((c) => c.value),
      ['models/t/model.json'],
    );
  });

  it('offers IDX files for images/labels and nothing at a property key', () => {
    const [text, off] = at('{ "data": { "source": { "train": { "images": |');
    const site = completionSite(text, off)!;
    assert.deepEqual({ kind: site.kind, length: site.length }, { kind: 'idxFile', length: 0 });
    assert.deepEqual(
      candidates(site, text, file).map((c) => c.value),
      ['data/train-images-idx3-ubyte', 'data/train-labels-idx1-ubyte.gz'],
    );
    const [t2, o2] = at('{ "data": { "source": { "train": { "ima|ges": "" } } } }');
    assert.equal(completionSite(t2, o2), undefined);
  });

  it("offers IDX files for an output's target and testTarget", () => {
    for (const key of ['target', 'testTarget']) {
      const [text, off] = at(`{ "outputs": { "v": { "${key}": "|" } } }`);
      const site = completionSite(text, off)!;
      assert.equal(site.kind, 'idxFile');
      assert.deepEqual(
        candidates(site, text, file).map((c) => c.value),
        ['data/train-images-idx3-ubyte', 'data/train-labels-idx1-ubyte.gz'],
      );
    }
  });

  const pairs = (pair: string) => `{
    "teachers": [ { "id": "big", "architecture": { "preset": "cnn", "filters": [8] } }, { "id": "file", "model": "models/t/model.json" } ],
    "student": { "architecture": { "preset": "mlp", "hidden": [16] } },
    "distillation": { "features": [ ${pair} ] }
  }`;

  it("offers the layers of the pair's teacher (the first by default) and of the student", () => {
    let [text, off] = at(pairs('{ "teacherLayer": "|" }'));
    let site = completionSite(text, off)!;
    assert.equal(site.kind, 'teacherLayer');
    assert.deepEqual(
      candidates(site, text, file).map((c) => c.value),
      ['teacher_0_conv1', 'teacher_0_relu1', 'teacher_0_pool1', 'teacher_0_flatten', 'teacher_0_logits'],
    );
    [text, off] = at(pairs('{ "teacher": "file", "teacherLayer": "|" }'));
    site = completionSite(text, off)!;
    assert.deepEqual(
      candidates(site, text, file).map((c) => c.value),
      ['tf', 'td'],
    );
    [text, off] = at(pairs('{ "studentLayer": | }'));
    assert.deepEqual(
      candidates(completionSite(text, off)!, text, file).map((c) => c.value),
      ['student_flatten', 'student_dense1', 'student_logits'],
    );
  });

  it('offers the teacher ids of this file where a teacher id goes', () => {
    const [text, off] = at(pairs('{ "teacher": "|" }'));
    assert.deepEqual(
      candidates(completionSite(text, off)!, text, file).map((c) => c.value),
      ['big', 'file'],
    );
  });
});

type JsonPathLike = (string | number)[];

describe('extension/kdjson: diagnostics from text', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kddiag-'));
  const file = path.join(dir, 'kd.json');
  after(() => fs.rmSync(dir, { recursive: true }));
  const base = (extra: string, student = '{ "architecture": { "preset": "cnn", "filters": [16, 32], "dense": [64] } }') => `{
  // a comment
  "teachers": [ { "id": "big", "architecture": { "preset": "cnn", "filters": [32, 64], "dense": [128] } } ],
  "student": ${student},
  ${extra}
}`;
  const slice = (text: string, d: { offset: number; length: number }) => text.slice(d.offset, d.offset + d.length);

  it('is quiet on a good kd.json', () => {
    assert.deepEqual(computeDiagnostics(base('"baseline": true'), file), []);
  });

  it('puts schema errors on the offending value', () => {
    const text = base('"training": { "epochs": -3 }');
    const [d] = computeDiagnostics(text, file);
    assert.equal(d.code, CODES.schema);
    assert.equal(slice(text, d), '-3');
  });

  it("names a schema error's key path in the CLI's words, not zod's (\"Too big: expected number to be <=1\")", () => {
    const text = base('"distillation": { "alpha": 1.5, "temperature": -2 }, "training": { "epochs": 0 }');
    const messages = computeDiagnostics(text, file)
      .filter((d) => d.code === CODES.schema)
      .map((d) => d.message)
      .sort();
    assert.deepEqual(messages, ['distillation.alpha: must be ≤ 1', 'distillation.temperature: must be > 0', 'training.epochs: must be > 0']);
  });

  it("fixes an out-of-range number into its range: α clamped into [0, 1], past an exclusive bound (T > 0, epochs > 0, a learning rate > 0) the schema's default", () => {
    const cases: [string, JsonPathLike, string][] = [
      ['"distillation": { "alpha": 1.5 }', ['distillation', 'alpha'], '1'],
      ['"distillation": { "alpha": -0.25 }', ['distillation', 'alpha'], '0'],
      ['"distillation": { "temperature": -2 }', ['distillation', 'temperature'], '4'],
      ['"distillation": { "temperature": 0 }', ['distillation', 'temperature'], '4'],
      ['"distillation": { "temperature": 250 }', ['distillation', 'temperature'], '100'],
      ['"training": { "epochs": 0 }', ['training', 'epochs'], '5'],
      ['"training": { "optimizer": { "learningRate": 0 } }', ['training', 'optimizer', 'learningRate'], '0.001'],
      ['"training": { "optimizer": { "momentum": 1.5 } }', ['training', 'optimizer', 'momentum'], '0.999'],
    ];
    for (const [extra, at, expected] of cases) {
      const text = base(extra);
      const d = computeDiagnostics(text, file).find((x) => x.code === CODES.schema && JSON.stringify(x.path) === JSON.stringify(at));
      assert.ok(d, `a schema error at ${at.join('.')} in ${extra}: ${JSON.stringify(computeDiagnostics(text, file))}`);
      const fixes = quickFixesFor(d, slice(text, d));
      assert.equal(fixes.length, 1, `${extra}: ${JSON.stringify(fixes)}`);
      assert.equal(fixes[0].newText, expected, extra);
      // Applied, the value is valid: no schema error left at that path.
      const fixed = text.slice(0, d.offset) + fixes[0].newText + text.slice(d.offset + d.length);
      const left = computeDiagnostics(fixed, file).filter((x) => x.severity === 'error');
      assert.deepEqual(left, [], `after "${fixes[0].title}": ${JSON.stringify(left)}`);
    }
  });

  it('marks only the clamp to an inclusive bound as the preferred fix; past an exclusive bound without a default it offers none', () => {
    const fixOf = (extra: string, at: string) => {
      const text = base(extra);
      const d = computeDiagnostics(text, file).find((x) => x.code === CODES.schema && x.path.join('.') === at)!;
      assert.ok(d, `${at} in ${extra}`);
      return quickFixesFor(d, slice(text, d));
    };
    assert.equal(fixOf('"distillation": { "alpha": 1.5 }', 'distillation.alpha')[0].preferred, true);
    const t = fixOf('"distillation": { "temperature": 0 }', 'distillation.temperature');
    assert.equal(t[0].preferred, false);
    assert.match(t[0].title, /to 4 \(the default; it must be > 0\)/);
    // data.limit has no default (absent means all): no value is "the" fix for a limit of 0.
    assert.deepEqual(fixOf('"data": { "source": "mnist", "limit": 0 }', 'data.limit'), []);
  });

  it('offers no range fix for a schema error that is not a number out of range', () => {
    const text = base('"training": { "epochs": "many" }');
    const d = computeDiagnostics(text, file).find((x) => x.code === CODES.schema)!;
    assert.deepEqual(quickFixesFor(d, slice(text, d)), []);
  });

  it('flags a CNN too deep for the bundled 28×28 digits on its filters, naming the layer', () => {
    const text = base('"baseline": true', '{ "architecture": { "preset": "cnn", "filters": [8, 8, 8, 8, 8] } }');
    const ds = computeDiagnostics(text, file).filter((d) => d.severity === 'error');
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.equal(ds[0].severity, 'error');
    assert.equal(slice(text, ds[0]), '[8, 8, 8, 8, 8]');
    assert.match(ds[0].message, /shrinks to 0×0 at student_pool5/);
  });

  it('flags missing model and IDX files on their strings', () => {
    const text = base('"data": { "source": { "train": { "images": "nope-images", "labels": "nope-labels" } } }', '{ "model": "gone/model.json" }');
    const ds = computeDiagnostics(text, file).filter((d) => d.code === CODES.missingFile);
    assert.deepEqual(
      ds.map((d) => slice(text, d)),
      ['"gone/model.json"', '"nope-images"', '"nope-labels"'],
    );
  });

  it('flags a missing target file of an output, not a built-in target', () => {
    const text = base('"outputs": { "box": { "target": "inkBox" }, "v": { "target": "nope.idx" } }');
    const ds = computeDiagnostics(text, file);
    assert.deepEqual(
      ds.map((d) => [d.code, slice(text, d)]),
      [[CODES.missingFile, '"nope.idx"']],
    );
    assert.match(ds[0].message, /IDX target file not found: .*nope\.idx \(the built-in targets are "inkBox" and "inkCentre"\)/);
  });

  it('flags unknown layers and shapes no adapter can bridge', () => {
    const text = base(
      '"distillation": { "features": [ { "teacherLayer": "teacher_0_dense9", "studentLayer": "student_relu1" }, { "teacherLayer": "teacher_0_dense1", "studentLayer": "student_pool1" } ] }',
    );
    const ds = computeDiagnostics(text, file);
    const unknown = ds.find((d) => d.code === CODES.unknownLayer)!;
    assert.equal(slice(text, unknown), '"teacher_0_dense9"');
    assert.match(unknown.message, /its layers: teacher_0_conv1, /);
    const shape = ds.find((d) => d.code === CODES.shape)!;
    assert.match(slice(text, shape), /^\{ "teacherLayer": "teacher_0_dense1"/);
    assert.match(shape.message, /\[14, 14, 16\].*\[128\].*cannot be bridged/);
  });

  it("gives the guide's advice with quick fixes: α = 1, T outside 1–10, a tiny student", () => {
    const text = base('"distillation": { "alpha": 1, "temperature": 20 }', '{ "architecture": { "preset": "mlp", "hidden": [2] } }');
    const ds = computeDiagnostics(text, file, { studentSizeHintRatio: 0.05 });
    const alpha = ds.find((d) => d.code === CODES.alphaOne)!;
    assert.equal(alpha.severity, 'information');
    assert.equal(slice(text, alpha), '1');
    assert.equal(quickFixesFor(alpha, slice(text, alpha))[0].newText, '0.7');
    const t = ds.find((d) => d.code === CODES.temperature)!;
    assert.equal(t.severity, 'hint');
    assert.equal(slice(text, t), '20');
    const size = ds.find((d) => d.code === CODES.studentSize)!;
    assert.equal(size.severity, 'hint');
    assert.match(size.message, /0\.\d% of the teacher's parameters/);
    // The threshold is a setting.
    assert.equal(
      computeDiagnostics(text, file, { studentSizeHintRatio: 0.001 }).some((d) => d.code === CODES.studentSize),
      false,
    );
  });
});
