/**
 * The engine's issues on a saved kd.json become diagnostics placed by JSON path in the text
 * as it is now (it may have been edited since the save), and issues the text-level checks
 * already report at the same place are not repeated.
 */
import { strict as assert } from 'node:assert';
import { engineIssuesToDiagnostics } from '../../../src/extension/kdjson/engineDiagnostics';
import { CODES } from '../../../src/extension/kdjson/diagnostics';

const slice = (text: string, d: { offset: number; length: number }) => text.slice(d.offset, d.offset + d.length);

describe('extension/kdjson: engine issues → diagnostics', () => {
  const saved = `{
  "teachers": [ { "id": "t", "model": "m/model.json" } ],
  "training": { "batchSize": 500 },
  "distillation": { "features": [ { "teacherLayer": "nope", "studentLayer": "student_dense1" } ] }
}`;
  const issues = [
    { path: ['training', 'batchSize'], message: '500 is larger than the 48 training samples', line: 3, column: 30, offset: 70, length: 3 },
    { path: ['distillation', 'features', 0, 'teacherLayer'], message: 'no layer "nope" in model "m"' },
    { path: ['teachers', 0, 'model'], message: 'm/model.json: a tfjs GraphModel' },
    { path: [], message: 'the engine could not check this file' },
  ];

  it("puts each on the value at its JSON path, with the engine's message, as an error", () => {
    const d = engineIssuesToDiagnostics(saved, issues);
    assert.deepEqual(
      d.map((x) => slice(saved, x)),
      ['500', '"nope"', '"m/model.json"', '{'],
    );
    assert.ok(d.every((x) => x.severity === 'error' && x.code === CODES.engineCheck));
    assert.equal(d[2].message, 'm/model.json: a tfjs GraphModel');
  });

  it('follows edits made after the save: a line added above moves every range with its value', () => {
    const edited = saved.replace('{\n', '{\n  // a comment added after saving\n  "name": "x",\n');
    const d = engineIssuesToDiagnostics(edited, issues);
    assert.deepEqual(
      d.map((x) => slice(edited, x)),
      ['500', '"nope"', '"m/model.json"', '{'],
    );
  });

  it('an issue whose value was deleted since lands on the nearest enclosing node, not off the text', () => {
    const edited = saved.replace('"batchSize": 500 ', '');
    const [d] = engineIssuesToDiagnostics(edited, issues.slice(0, 1));
    assert.equal(slice(edited, d), '"training": { }');
  });

  it('leaves out issues the text-level checks already report at the same path', () => {
    const d = engineIssuesToDiagnostics(saved, issues, [
      { path: ['distillation', 'features', 0, 'teacherLayer'], severity: 'error' },
      { path: ['training', 'batchSize'], severity: 'hint' },
    ]);
    assert.deepEqual(
      d.map((x) => x.path.join('.')),
      ['training.batchSize', 'teachers.0.model', ''],
    );
  });
});
