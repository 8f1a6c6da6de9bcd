/**
 * The data.source formats in kd.json: the schema takes each form (and refuses a wrong one at
 * its place), and the file checks of `distill validate` and the editor find a missing folder,
 * a file where a folder belongs, and a missing .npz archive (its "#key" is not part of the file).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText, validateConfigValue } from '../../../src/protocol/loadConfig';
import { configPaths, splitNpzRef } from '../../../src/protocol/configPaths';

const base = {
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] } }],
  student: { architecture: { preset: 'mlp', hidden: [4] } },
};

describe('kd.json data.source formats', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-formats-kd-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'imgs', 'cat'), { recursive: true });
  fs.writeFileSync(path.join(dir, 't.csv'), 'a,y\n1,0\n');
  fs.writeFileSync(path.join(dir, 'd.npz'), 'PK');
  fs.writeFileSync(path.join(dir, 'b.bin'), '');
  const check = (data: object) => loadConfigText(JSON.stringify({ ...base, data }, null, 2), path.join(dir, 'kd.json'));

  it('every format validates with its files present; defaults filled (cifar labels, csv delimiter, fit)', () => {
    for (const source of [
      { format: 'imageFolder', train: 'imgs' },
      { format: 'csv', train: 't.csv', label: 'y' },
      { format: 'npy', train: { x: 'd.npz#x_train', y: 'd.npz#y_train' } },
      { format: 'cifar', train: ['b.bin'], test: 'b.bin' },
    ]) {
      const r = check({ source });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    }
    const r = validateConfigValue({ ...base, data: { source: { format: 'cifar', train: 'b.bin' } } });
    assert.ok(r.ok);
    assert.deepEqual(r.config.data.source, { format: 'cifar', train: 'b.bin', labels: 'cifar10' });
    assert.equal(r.config.data.fit, 'cover');
  });

  it('a missing image folder, a file where a folder belongs, a missing archive: each at its key', () => {
    const r1 = check({ source: { format: 'imageFolder', train: 'imgs', test: 'nowhere' } });
    assert.ok(!r1.ok);
    assert.deepEqual(
      r1.issues.map((i) => [i.path.join('.'), i.message]),
      [['data.source.test', `image folder not found: ${path.join(dir, 'nowhere')}`]],
    );
    const r2 = check({ source: { format: 'imageFolder', train: 't.csv' } });
    assert.ok(!r2.ok);
    assert.match(r2.issues[0].message, /^image folder is not a folder: .*t\.csv$/);
    const r3 = check({ source: { format: 'npy', train: { x: 'gone.npz#x', y: 'd.npz#y' } } });
    assert.ok(!r3.ok);
    assert.deepEqual(
      r3.issues.map((i) => i.path.join('.')),
      ['data.source.train.x'],
    );
    assert.match(r3.issues[0].message, /NumPy file not found: .*gone\.npz$/);
  });

  it('schema errors name the place: an unknown format, a CSV without its label column, imageSize of the wrong shape', () => {
    const issues = (data: object) => {
      const r = validateConfigValue({ ...base, data });
      assert.ok(!r.ok);
      return r.issues;
    };
    const bad = (data: object) => issues(data).map((i) => i.path.join('.'));
    assert.deepEqual(
      issues({ source: { format: 'parquet', train: 'x' } }).map((i) => [i.path.join('.'), i.message]),
      [['data.source.format', 'unknown format: expected one of imageFolder, npy, csv, cifar']],
    );
    // The branch the author meant (csv), not "expected mnist".
    assert.deepEqual(bad({ source: { format: 'csv', train: 't.csv' } }), ['data.source.label']);
    assert.deepEqual(bad({ source: { format: 'npy', train: { x: 'a.npy' } } }), ['data.source.train.y']);
    assert.deepEqual(bad({ source: 'mnist', imageSize: [32] }), ['data.imageSize']);
    assert.deepEqual(
      issues({ source: 'mnist', imageSize: [32, 32], channels: 3 }).map((i) => [i.path.join('.'), i.message]),
      [
        ['data.imageSize', 'data.imageSize applies to image folders only (data.source "format": "imageFolder")'],
        ['data.channels', 'data.channels applies to image folders only (data.source "format": "imageFolder")'],
      ],
    );
    assert.deepEqual(bad({ source: 'mnist', normalize: { mean: [0.5, 0.5], std: [0.2] } }), ['data.normalize.std']);
  });

  it('an .npz reference is the file before "#"; an IDX pair and a CIFAR list under data.source.train do not mix up', () => {
    assert.deepEqual(splitNpzRef('a/b.npz#x_train'), { file: 'a/b.npz', key: 'x_train' });
    assert.deepEqual(splitNpzRef('a/b#c.npy'), { file: 'a/b#c.npy' });
    const idx = configPaths({ data: { source: { train: { images: 'i', labels: 'l' } } } }).map((p) => `${p.key.kind}@${p.at.join('.')}`);
    assert.deepEqual(idx, ['IDX image file@data.source.train.images', 'IDX label file@data.source.train.labels']);
    const cifar = configPaths({ data: { source: { format: 'cifar', train: ['a', 'b'] } } }).map((p) => p.at.join('.'));
    assert.deepEqual(cifar, ['data.source.train.0', 'data.source.train.1']);
  });
});
