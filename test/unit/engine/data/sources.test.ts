/**
 * Every data.source format reads the same 2 000 bundled digits (scripts/fixtures/digitFormats.ts)
 * to the same samples and labels as IDX, keeps floats float32 and bytes uint8, and gives the
 * same accuracies from the same seed; an image folder decodes once into the cache.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDigitFormats, DIGIT_CLASSES, DIGIT_NAMES, type DigitFiles } from '../../../../scripts/fixtures/digitFormats';
import { buildDataset, makeBatch } from '../../../../src/engine/data/dataset';
import { loadSource, type LoadedSource } from '../../../../src/engine/data/sources';
import { DataSpec } from '../../../../src/protocol/config';

export async function load(source: unknown, extra: object = {}, cacheDir?: string, progress?: (d: number, n: number) => void): Promise<LoadedSource> {
  return loadSource(DataSpec.parse({ source, ...extra }), '/', { cacheDir, progress });
}

describe('data sources: the same digits in every format', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-formats-'));
  let f: DigitFiles;
  let idx: LoadedSource;
  before(async () => {
    f = await writeDigitFormats(dir);
    idx = await load({ train: f.idx });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const same = (got: LoadedSource, what: string) => {
    assert.equal(got.train.count, 2000, what);
    assert.deepEqual([got.train.height, got.train.width, got.train.channels], [28, 28, 1], what);
    assert.ok(got.train.images instanceof Uint8Array, `${what}: bytes stay bytes`);
    assert.ok(Buffer.from(got.train.images).equals(Buffer.from(idx.train.images)), `${what}: the same pixels`);
    assert.ok(Buffer.from(got.train.labels).equals(Buffer.from(idx.train.labels)), `${what}: the same labels`);
  };

  it('an image folder of grey PNGs: the same pixels and labels, grey kept (1 channel), class names the folder names', async () => {
    const got = await load({ format: 'imageFolder', train: f.folder });
    same(got, 'imageFolder');
    assert.deepEqual(got.classNames, DIGIT_CLASSES);
  });

  it('NumPy: .npy (uint8 x, int64 y), .npz stored and deflated: the same samples', async () => {
    same(await load({ format: 'npy', train: f.npy }), 'npy');
    same(await load({ format: 'npy', train: { x: `${f.npz}#x_train`, y: `${f.npz}#y_train` } }), 'npz');
    same(await load({ format: 'npy', train: { x: `${f.npzCompressed}#x_train`, y: `${f.npzCompressed}#y_train` } }), 'npz compressed');
  });

  it('float IDX (0x0D) stays float32, and "unit" takes floats as they are: the batches equal the bytes / 255', async () => {
    const got = await load({ train: f.idxFloat });
    assert.ok(got.train.images instanceof Float32Array);
    const spec = DataSpec.parse({ source: 'mnist' });
    const a = buildDataset(got, spec, 3);
    const b = buildDataset(idx, spec, 3);
    assert.deepEqual(Array.from(a.train.indices), Array.from(b.train.indices), 'the same splits');
    const xa = makeBatch(a, a.train, a.train.indices.subarray(0, 64)).x;
    const xb = makeBatch(b, b.train, b.train.indices.subarray(0, 64)).x;
    let worst = 0;
    for (let i = 0; i < xa.length; i++) worst = Math.max(worst, Math.abs(xa[i] - xb[i]));
    assert.ok(worst < 1e-6, `float and byte pixels agree to ${worst}`);
  });

  it('CIFAR binary: the digits padded to 32×32 in all three channels, names from batches.meta.txt', async () => {
    const got = await load({ format: 'cifar', train: [f.cifar] });
    assert.deepEqual([got.train.count, got.train.height, got.train.width, got.train.channels], [2000, 32, 32, 3]);
    assert.ok(Buffer.from(got.train.labels).equals(Buffer.from(idx.train.labels)));
    assert.deepEqual(got.classNames, DIGIT_NAMES);
    for (const k of [0, 777, 1999])
      for (let r = 0; r < 28; r++)
        for (let c = 0; c < 28; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(got.train.images[k * 3072 + ((r + 2) * 32 + c + 2) * 3 + ch], idx.train.images[k * 784 + r * 28 + c]);
    assert.equal(got.train.images[5 * 3072], 0, 'the padding is zero');
  });

  it('CSV: the same rows as the float [N, D] NumPy array, string labels as class ids in sorted order with their names', async () => {
    const csv = await load({ format: 'csv', train: f.csv, label: 'digit' });
    const npy = await load({ format: 'npy', train: f.npyFloatFlat });
    assert.deepEqual([csv.train.count, csv.train.height, csv.train.width, csv.train.channels], [2000, 1, 1, 784]);
    assert.ok(csv.train.images instanceof Float32Array && npy.train.images instanceof Float32Array);
    assert.deepEqual(Array.from(csv.train.images), Array.from(npy.train.images));
    assert.ok(Buffer.from(csv.train.labels).equals(Buffer.from(idx.train.labels)));
    assert.deepEqual(csv.classNames, DIGIT_CLASSES);
    // A table is standardised per feature by the training split, whatever the source.
    const spec = DataSpec.parse({ source: { format: 'csv', train: f.csv, label: 'digit' } });
    const ds = buildDataset(csv, spec, 1);
    const x = makeBatch(ds, ds.train, ds.train.indices).x;
    const col = 300;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < ds.train.indices.length; i++) {
      sum += x[i * 784 + col];
      sq += x[i * 784 + col] ** 2;
    }
    const n = ds.train.indices.length;
    assert.ok(Math.abs(sum / n) < 1e-4 && Math.abs(sq / n - 1) < 1e-3, `feature ${col}: mean ${sum / n}, variance ${sq / n}`);
  });

  it('the decode cache: the second load reads it (no decoding), a changed image misses and decodes again', async () => {
    const cache = path.join(dir, 'cache');
    const calls: number[] = [];
    const first = await load({ format: 'imageFolder', train: f.folder }, {}, cache, (d) => calls.push(d));
    assert.ok(calls.length > 0 && calls[calls.length - 1] === 2000, 'progress up to every file');
    assert.ok(first.notes!.some((n) => n.includes('written to the cache')));
    assert.equal(fs.readdirSync(cache).filter((n) => n.startsWith('decoded-')).length, 1);
    calls.length = 0;
    const t0 = performance.now();
    const second = await load({ format: 'imageFolder', train: f.folder }, {}, cache, (d) => calls.push(d));
    const ms = performance.now() - t0;
    assert.equal(calls.length, 0, 'a cache hit decodes nothing');
    assert.ok(second.notes!.some((n) => n.includes('read from the cache')));
    same(second, 'cached imageFolder');
    assert.ok(ms < 2000, `cached reload took ${ms.toFixed(0)} ms`);
    // Another image in place of the first: the key (path, size, mtime) misses and the new pixels are read.
    const victim = path.join(f.folder, DIGIT_CLASSES[0], '00000.png');
    const sharp = (await import('sharp')).default;
    await sharp(Buffer.alloc(784, 255), { raw: { width: 28, height: 28, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(victim + '.tmp');
    fs.renameSync(victim + '.tmp', victim);
    const third = await load({ format: 'imageFolder', train: f.folder }, {}, cache, (d) => calls.push(d));
    assert.ok(calls.length > 0, 'a changed file decodes again');
    assert.ok(
      third.train.images.subarray(0, 784).every((v) => v === 255),
      'the new pixels',
    );
    assert.equal(fs.readdirSync(cache).filter((n) => n.startsWith('decoded-')).length, 2);
    // Other decode options are another entry too.
    await load({ format: 'imageFolder', train: f.folder }, { imageSize: [14, 14] }, cache);
    assert.equal(fs.readdirSync(cache).filter((n) => n.startsWith('decoded-')).length, 3);
  });
});
