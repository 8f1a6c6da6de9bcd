/** kd.json `outputs` (multi-output distillation): defaults, and every problem at its JSON path. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KdConfig } from '../../../src/protocol/config';
import { loadConfigText, type ConfigIssue } from '../../../src/protocol/loadConfig';

const base = {
  teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [8] } }],
  student: { architecture: { preset: 'mlp', hidden: [8] } },
};

/** The issues of a kd.json text, each with its dotted JSON path and the text it points at. */
function problems(config: object, file = path.join(os.tmpdir(), 'kd.json'), workspaceRoot?: string): (ConfigIssue & { at: string; text: string })[] {
  const text = JSON.stringify(config, null, 2);
  const r = loadConfigText(text, file, { workspaceRoot });
  assert.ok(!r.ok, 'expected problems');
  return r.issues.map((i) => ({ ...i, at: i.path.join('.'), text: text.slice(i.offset, (i.offset ?? 0) + (i.length ?? 0)) }));
}

describe('kd.json outputs', () => {
  it('parses with defaults: smooth L1, β 0.05, both weights 1; a file target is a path', () => {
    const cfg = KdConfig.parse({
      ...base,
      outputs: { box: { target: 'inkBox' }, centre: { target: 'inkCentre', loss: 'mse', weight: 2, labelWeight: 0.5 }, ink: { target: 'data/ink.idx' } },
    });
    assert.deepEqual(cfg.outputs.box, { target: 'inkBox', loss: 'smoothL1', beta: 0.05, weight: 1, labelWeight: 1 });
    assert.deepEqual(cfg.outputs.centre, { target: 'inkCentre', loss: 'mse', beta: 0.05, weight: 2, labelWeight: 0.5 });
    assert.equal(cfg.outputs.ink.target, 'data/ink.idx');
    assert.deepEqual(KdConfig.parse(base).outputs, {}, 'no outputs by default');
  });

  it('names the JSON path, line and column of each bad value', () => {
    const issues = problems({
      ...base,
      outputs: {
        box: { target: 'inkBox', loss: 'l2', weight: -1 },
        Bad: { target: 'inkBox' },
        logits: { target: 'inkCentre' },
        c: { target: 'inkCentre', extra: 1 },
      },
    });
    const at = issues.map((i) => i.at).sort();
    assert.deepEqual(at, ['outputs.Bad', 'outputs.box.loss', 'outputs.box.weight', 'outputs.c.extra', 'outputs.logits']);
    const loss = issues.find((i) => i.at === 'outputs.box.loss')!;
    assert.match(loss.message, /smoothL1.*mse/);
    assert.equal(loss.text, '"l2"');
    assert.equal(
      loss.line,
      JSON.stringify({ ...base, outputs: { box: {} } }, null, 2)
        .split('\n')
        .findIndex((l) => l.includes('"box"')) + 3,
      'the line of "loss" inside "box"',
    );
    assert.match(issues.find((i) => i.at === 'outputs.logits')!.message, /taken by a preset layer/);
    assert.match(issues.find((i) => i.at === 'outputs.Bad')!.message, /starting lower-case/);
    const extra = issues.find((i) => i.at === 'outputs.c.extra')!;
    assert.match(extra.message, /unknown key "extra"/);
    assert.equal(extra.text, '"extra"', 'an unknown key is underlined itself');
  });

  it('a missing target file is named at outputs.<name>.target, with the built-in targets as a hint', () => {
    const issues = problems({ ...base, outputs: { box: { target: 'inkbox' } } });
    assert.deepEqual(
      issues.map((i) => i.at),
      ['outputs.box.target'],
    );
    assert.match(issues[0].message, /IDX target file \(not a built-in target: inkBox, inkCentre\) not found: .*inkbox/);
  });

  it('testTarget: needed for a file target when data.source has test files, refused for a built-in target', () => {
    const idx = { train: { images: 'a', labels: 'b' }, test: { images: 'c', labels: 'd' } };
    const issues = problems({ ...base, data: { source: idx }, outputs: { v: { target: 'v.idx' }, box: { target: 'inkBox', testTarget: 'x.idx' } } });
    const schema = issues.filter((i) => i.at.startsWith('outputs'));
    assert.deepEqual(schema.map((i) => i.at).sort(), ['outputs.box.testTarget', 'outputs.v.testTarget']);
    assert.match(schema.find((i) => i.at === 'outputs.v.testTarget')!.message, /one row of values per test image/);
  });

  it('a target file outside the workspace is refused at its path', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-ws-'));
    fs.mkdirSync(path.join(root, 'ws'));
    fs.writeFileSync(path.join(root, 'outside.idx'), '');
    const issues = problems({ ...base, outputs: { v: { target: '../outside.idx' } } }, path.join(root, 'ws', 'kd.json'), path.join(root, 'ws'));
    assert.deepEqual(
      issues.map((i) => i.at),
      ['outputs.v.target'],
    );
    assert.match(issues[0].message, /IDX target file .*outside\.idx is outside the workspace/);
  });

  it('outputs need one teacher, no assistants and no layer pairs, for now', () => {
    const issues = problems({ ...base, assistants: [{ preset: 'mlp', hidden: [16] }], outputs: { box: { target: 'inkBox' } } });
    assert.deepEqual(
      issues.map((i) => [i.at, i.message]),
      [['outputs', 'extra outputs need no assistants for now']],
    );
  });
});
