/**
 * Reading kd.json text: where each problem is reported (line:column of the offending key or
 * value), and texts that used to be refused or crash the reader (a BOM, deep nesting, an id
 * too long to be a file name). Pure: no engine, no tfjs.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeIdx, encodeIdxFloat32 } from '../../../src/engine/data/idx';
import { loadConfigText, locateIssues, MAX_NESTING } from '../../../src/protocol/loadConfig';

const base = {
  name: 'x',
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [4] } }],
  student: { architecture: { preset: 'mlp', hidden: [2] } },
};

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in text`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

describe('protocol/loadConfig: positions and hard texts', () => {
  it('an unknown key is reported at the key itself, not at its parent object', () => {
    const text = JSON.stringify({ ...base, training: { epochs: 1, lr: 0.1 } }, null, 2);
    const r = loadConfigText(text, '/x/kd.json', { checkFiles: false });
    assert.ok(!r.ok);
    assert.equal(r.issues.length, 1);
    const i = r.issues[0];
    assert.deepEqual(i.path, ['training', 'lr']);
    assert.match(i.message, /unknown key "lr"/);
    assert.deepEqual({ line: i.line, column: i.column }, positionOf(text, '"lr"'));
    assert.equal(text.slice(i.offset!, i.offset! + i.length!), '"lr"');
  });

  it('several unknown keys give one issue each, at each key', () => {
    const text = JSON.stringify({ ...base, method: 'fitnets', extra: 1 }, null, 2);
    const r = loadConfigText(text, '/x/kd.json', { checkFiles: false });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.issues.map((i) => [i.path.join('.'), i.line]),
      [
        ['method', positionOf(text, '"method"').line],
        ['extra', positionOf(text, '"extra"').line],
      ],
    );
  });

  it('accepts a UTF-8 byte-order mark, and positions after it are the ones an editor shows', () => {
    const text = '\uFEFF' + JSON.stringify(base, null, 2);
    assert.ok(loadConfigText(text, '/x/kd.json', { checkFiles: false }).ok);
    const bad = '\uFEFF{\n  "seed": "x"\n}';
    const r = loadConfigText(bad, '/x/kd.json', { checkFiles: false });
    assert.ok(!r.ok);
    const seed = r.issues.find((i) => i.path[0] === 'seed')!;
    assert.deepEqual({ line: seed.line, column: seed.column }, { line: 2, column: 11 });
  });

  it(`refuses nesting deeper than ${MAX_NESTING} levels with a position instead of overflowing the stack`, () => {
    const depth = 3000;
    const text = `{"name": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = loadConfigText(text, '/x/kd.json', { checkFiles: false });
    assert.ok(!r.ok);
    assert.equal(r.issues.length, 1);
    assert.match(r.issues[0].message, new RegExp(`nested more than ${MAX_NESTING} levels deep`));
    assert.equal(r.issues[0].line, 1);
    // The opening bracket that makes it one level too deep: `{"name": ` takes 9 columns.
    assert.equal(r.issues[0].column, 10 + MAX_NESTING - 1);
    // Ordinary nesting is fine.
    assert.ok(loadConfigText(JSON.stringify(base), '/x/kd.json', { checkFiles: false }).ok);
  });

  it('refuses a teacher id too long to be part of a file name, saying why', () => {
    const long = 'a'.repeat(250);
    const r = loadConfigText(JSON.stringify({ ...base, teachers: [{ id: long, architecture: { preset: 'mlp', hidden: [4] } }] }), '/x/kd.json', {
      checkFiles: false,
    });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues[0].path, ['teachers', 0, 'id']);
    assert.match(r.issues[0].message, /at most 64 characters.*file name/);
    assert.ok(
      loadConfigText(JSON.stringify({ ...base, teachers: [{ id: 'a'.repeat(64), architecture: { preset: 'mlp', hidden: [4] } }] }), '/x/kd.json', {
        checkFiles: false,
      }).ok,
    );
  });

  it('locateIssues puts issues found elsewhere (the engine) at their JSON path in the text', () => {
    const text = JSON.stringify({ ...base, training: { epochs: 1, batchSize: 500 } }, null, 2);
    const [located, unplaced] = locateIssues(text, [
      { path: ['training', 'batchSize'], message: 'too large' },
      { path: [], message: 'whole file' },
    ]);
    assert.deepEqual({ line: located.line, column: located.column }, positionOf(text, '500'));
    assert.equal(text.slice(located.offset!, located.offset! + located.length!), '500');
    assert.deepEqual({ line: unplaced.line, column: unplaced.column }, { line: 1, column: 1 });
  });

  describe('IDX headers are checked with the files, before any engine starts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-idxhead-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const kd = (images: string, labels: string) => JSON.stringify({ ...base, data: { source: { train: { images, labels } } } }, null, 2);

    it('refuses double (0x0E) images at data.source.train.images, naming the file and the type; float (0x0D) images pass', () => {
      const doubles = Buffer.concat([Buffer.from([0, 0, 0x0e, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]), Buffer.alloc(64)]);
      fs.writeFileSync(path.join(dir, 'double-images'), doubles);
      fs.writeFileSync(path.join(dir, 'float-images'), encodeIdxFloat32([2, 2, 2], new Float32Array(8)));
      fs.writeFileSync(path.join(dir, 'labels'), encodeIdx([2], Uint8Array.from([0, 1])));
      const text = kd('double-images', 'labels');
      const r = loadConfigText(text, path.join(dir, 'kd.json'));
      assert.ok(!r.ok);
      assert.equal(r.issues.length, 1);
      assert.deepEqual(r.issues[0].path, ['data', 'source', 'train', 'images']);
      assert.match(
        r.issues[0].message,
        /double-images: IDX type 0x0e \(double\) is not supported here: images must be unsigned bytes \(0x08, pixels 0–255\) or floats \(0x0D\)/,
      );
      assert.equal(r.issues[0].line, positionOf(text, '"double-images"').line);
      assert.ok(loadConfigText(kd('float-images', 'labels'), path.join(dir, 'kd.json')).ok, 'float32 images are a source now');
      const labelsAsFloats = loadConfigText(kd('float-images', 'float-images'), path.join(dir, 'kd.json'));
      assert.ok(!labelsAsFloats.ok);
      assert.match(labelsAsFloats.issues[0].message, /IDX type 0x0d \(float\) is not supported here: labels must be unsigned bytes/);
    });

    it('reads the header of a gzipped file without its whole body, and accepts good files', () => {
      const zlib = require('node:zlib') as typeof import('node:zlib');
      fs.writeFileSync(path.join(dir, 'images.gz'), zlib.gzipSync(encodeIdx([2, 2, 2], new Uint8Array(8))));
      fs.writeFileSync(path.join(dir, 'ints.gz'), zlib.gzipSync(Buffer.concat([Buffer.from([0, 0, 0x0c, 1, 0, 0, 0, 2]), Buffer.alloc(8)])));
      assert.ok(loadConfigText(kd('images.gz', 'labels'), path.join(dir, 'kd.json')).ok);
      const r = loadConfigText(kd('images.gz', 'ints.gz'), path.join(dir, 'kd.json'));
      assert.ok(!r.ok);
      assert.deepEqual(r.issues[0].path, ['data', 'source', 'train', 'labels']);
      assert.match(r.issues[0].message, /IDX type 0x0c \(int\) is not supported here/);
    });
  });
});
