/**
 * Every bad-input case of issue 15: each refused with the file named (and for tables the line
 * and column), found by the engine's validation (`distill validate`, the editor's checks on
 * save) before any training, without a run folder.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeCifar, encodeNpy, float32Bytes, int64Bytes, pickDigits } from '../../../../scripts/fixtures/digitFormats';
import { runEngine, EXIT } from '../../../../src/engine/run/engineRun';
import { loadSource } from '../../../../src/engine/data/sources';
import { DataSpec } from '../../../../src/protocol/config';
import type { ConfigErrorMessage, ConfigValidMessage, EngineMessage } from '../../../../src/protocol/events';

const load = (source: unknown, extra: object = {}) => loadSource(DataSpec.parse({ source, ...extra }), '/');

async function png(file: string, channels: 1 | 3, value = 128, side = 8): Promise<void> {
  const sharp = (await import('sharp')).default;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(Buffer.alloc(side * side * channels, value), { raw: { width: side, height: side, channels } });
  await (channels === 1 ? img.toColourspace('b-w') : img).png().toFile(file);
}

describe('bad data input: clear messages naming the place', function () {
  this.timeout(60_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-baddata-'));
  let n = 0;
  const fresh = () => {
    const d = path.join(root, `case${n++}`);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('image folders', () => {
    it('a folder without class subfolders (images directly in it), and one with nothing at all', async () => {
      const d = fresh();
      await png(path.join(d, 'a.png'), 1);
      await assert.rejects(load({ format: 'imageFolder', train: d }), new RegExp(`${d}: no class subfolders \\(1 images lie directly in it\\)`));
      const empty = fresh();
      await assert.rejects(load({ format: 'imageFolder', train: empty }), new RegExp(`${empty}: no class subfolders;`));
    });

    it('an empty class is named', async () => {
      const d = fresh();
      await png(path.join(d, 'cat', '1.png'), 1);
      fs.mkdirSync(path.join(d, 'dog'));
      fs.writeFileSync(path.join(d, 'dog', 'notes.txt'), 'not an image');
      await assert.rejects(load({ format: 'imageFolder', train: d }), new RegExp(`${path.join(d, 'dog')}: class "dog" has no images`));
    });

    it('a corrupt and a truncated image are named; data.skipUnreadable skips and counts them', async () => {
      const d = fresh();
      for (let i = 0; i < 3; i++) await png(path.join(d, 'a', `${i}.png`), 1, 10 * i);
      await png(path.join(d, 'b', '0.png'), 1, 200);
      fs.writeFileSync(path.join(d, 'b', '1.png'), 'this is not a PNG');
      const good = fs.readFileSync(path.join(d, 'a', '2.png'));
      fs.writeFileSync(path.join(d, 'b', '2.png'), good.subarray(0, good.length - 20));
      await assert.rejects(load({ format: 'imageFolder', train: d }), (e: Error) => {
        assert.match(e.message, /\/b\/(1|2)\.png: unreadable image \(.+\); set data\.skipUnreadable to skip such files/);
        return true;
      });
      const got = await load({ format: 'imageFolder', train: d }, { skipUnreadable: true });
      assert.equal(got.train.count, 4);
      assert.deepEqual(Array.from(got.train.labels), [0, 0, 0, 1]);
      assert.equal(got.train.images[3 * 64], 200, 'the readable image of b follows those of a');
      assert.ok(
        got.notes!.some((m) => /^skipped 2 unreadable images \(data\.skipUnreadable\), e\.g\. .*\/b\/[12]\.png$/.test(m)),
        got.notes!.join('; '),
      );
    });

    it('mixed channel counts are converted and said: to RGB by default, to grey with data.channels 1', async () => {
      const d = fresh();
      await png(path.join(d, 'a', '0.png'), 1, 100);
      await png(path.join(d, 'b', '0.png'), 3, 60);
      const rgb = await load({ format: 'imageFolder', train: d });
      assert.equal(rgb.train.channels, 3);
      assert.deepEqual(Array.from(rgb.train.images.subarray(0, 3)), [100, 100, 100], 'grey copied to R, G and B');
      assert.ok(rgb.notes!.includes('converted 1 grey images to RGB (mixed channel counts; data.channels 3)'), rgb.notes!.join('; '));
      const grey = await load({ format: 'imageFolder', train: d }, { channels: 1 });
      assert.equal(grey.train.channels, 1);
      assert.equal(grey.train.images[64], 60, 'colour (60, 60, 60) to grey 60');
      assert.ok(grey.notes!.includes('converted 1 colour images to grey (mixed channel counts; data.channels 1)'));
    });

    it('data.imageSize resizes; a test folder with a class the training folder lacks is refused', async () => {
      const d = fresh();
      await png(path.join(d, 'train', 'a', '0.png'), 1, 100, 16);
      await png(path.join(d, 'test', 'zebra', '0.png'), 1, 100, 16);
      const got = await load({ format: 'imageFolder', train: path.join(d, 'train') }, { imageSize: [4, 6] });
      assert.deepEqual([got.train.height, got.train.width], [4, 6]);
      await assert.rejects(
        load({ format: 'imageFolder', train: path.join(d, 'train'), test: path.join(d, 'test') }),
        /test: class folder zebra not in the training folder/,
      );
    });
  });

  describe('CSV tables', () => {
    const table = (text: string) => {
      const file = path.join(fresh(), 't.csv');
      fs.writeFileSync(file, text);
      return file;
    };
    const csv = (file: string, extra = {}) => load({ format: 'csv', train: file, label: 'y', ...extra });

    it('a ragged row: the file, the line, and both column counts', async () => {
      const file = table('a,b,y\n1,2,0\n3,1\n');
      await assert.rejects(csv(file), new RegExp(`${file}: line 3: 2 columns, the header has 3 \\(ragged row\\)`));
    });
    it('a non-numeric feature: the line and the column by name and number', async () => {
      const file = table('a,b,y\n1,2,0\n3,x,1\n');
      await assert.rejects(csv(file), new RegExp(`${file}: line 3, column "b" \\(2\\): "x" is not a number`));
    });
    it('a missing label and a missing value', async () => {
      await assert.rejects(csv(table('a,b,y\n1,2,\n')), /line 2, column "y" \(3\): missing label/);
      await assert.rejects(csv(table('a,b,y\n1,,0\n')), /line 2, column "b" \(2\): missing value/);
    });
    it('an unknown label column or feature, and a test label the training table lacks', async () => {
      await assert.rejects(csv(table('a,b\n1,2\n')), /no column "y" in the header \(columns: a, b\)/);
      await assert.rejects(csv(table('a,y\n1,0\n'), { features: ['a', 'q'] }), /no column "q"/);
      const d = fresh();
      fs.writeFileSync(path.join(d, 'train.csv'), 'a;y\n1;cat\n2;dog\n');
      fs.writeFileSync(path.join(d, 'test.csv'), 'a;y\n1;cat\n2;emu\n');
      await assert.rejects(
        load({ format: 'csv', train: path.join(d, 'train.csv'), test: path.join(d, 'test.csv'), label: 'y', delimiter: ';' }),
        /test\.csv: line 3, column "y" \(2\): label "emu" is not a class of the training table \(cat, dog\)/,
      );
    });
  });

  describe('NumPy arrays', () => {
    it('an unsupported dtype (samples int32, labels float) is named with the dtype', async () => {
      const d = fresh();
      const x = path.join(d, 'x.npy');
      const y = path.join(d, 'y.npy');
      fs.writeFileSync(x, encodeNpy('<i4', [2, 2], new Uint8Array(16)));
      fs.writeFileSync(y, encodeNpy('<i8', [2], int64Bytes([0, 1])));
      await assert.rejects(
        load({ format: 'npy', train: { x, y } }),
        new RegExp(`${x}: samples of dtype <i4 are not supported \\(uint8, float32 or float64\\)`),
      );
      fs.writeFileSync(x, encodeNpy('<f4', [2, 2], float32Bytes(new Float32Array(4))));
      fs.writeFileSync(y, encodeNpy('<f4', [2], float32Bytes(new Float32Array(2))));
      await assert.rejects(load({ format: 'npy', train: { x, y } }), new RegExp(`${y}: labels of dtype <f4: expected an integer type`));
      fs.writeFileSync(y, encodeNpy('<c8', [2], new Uint8Array(16)));
      await assert.rejects(load({ format: 'npy', train: { x, y } }), /dtype <c8 is not supported/);
    });

    it('samples that do not match their labels, a truncated file, a missing .npz key', async () => {
      const d = fresh();
      const x = path.join(d, 'x.npy');
      const y = path.join(d, 'y.npy');
      fs.writeFileSync(x, encodeNpy('|u1', [3, 2, 2], new Uint8Array(12)));
      fs.writeFileSync(y, encodeNpy('<i8', [2], int64Bytes([0, 1])));
      await assert.rejects(load({ format: 'npy', train: { x, y } }), new RegExp(`${x} has 3 samples but ${y} has 2 labels`));
      fs.writeFileSync(x, encodeNpy('|u1', [3, 2, 2], new Uint8Array(12)).subarray(0, 130));
      await assert.rejects(load({ format: 'npy', train: { x, y } }), /wrong length: shape \(3, 2, 2\) of \|u1 needs 12 bytes of data, the file has 2/);
      const { encodeNpz } = await import('../../../../scripts/fixtures/digitFormats');
      const z = path.join(d, 'a.npz');
      fs.writeFileSync(z, encodeNpz({ x_train: encodeNpy('|u1', [2, 2], new Uint8Array(4)) }));
      await assert.rejects(load({ format: 'npy', train: { x: `${z}#x_test`, y } }), /a\.npz: the archive has no array "x_test" \(arrays: x_train\)/);
    });
  });

  it('CIFAR files of the wrong length, and a CIFAR-100 file read as CIFAR-10 (said)', async () => {
    const d = fresh();
    const digits = pickDigits(2);
    const bad = path.join(d, 'bad.bin');
    fs.writeFileSync(bad, encodeCifar(digits).subarray(0, 5000));
    await assert.rejects(
      load({ format: 'cifar', train: bad }),
      new RegExp(`${bad}: wrong length for a CIFAR-10 batch: 5000 bytes is not a whole number of 3073-byte records`),
    );
    const fine = path.join(d, 'fine.bin');
    fs.writeFileSync(fine, encodeCifar(digits, true));
    await assert.rejects(load({ format: 'cifar', train: fine }), /it reads as CIFAR-100: set "labels": "fine" or "coarse"/);
    const got = await load({ format: 'cifar', train: fine, labels: 'fine' });
    assert.deepEqual(Array.from(got.train.labels), Array.from(digits.labels));
  });

  it('the engine finds them before training: config_error at data.source naming the file, no run folder; good data validates', async () => {
    const d = fresh();
    const file = path.join(d, 't.csv');
    fs.writeFileSync(file, 'a,y\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 2}`).join('\n') + '\n3,x,9\n');
    const kd = path.join(d, 'kd.json');
    const cfg = {
      backend: 'cpu',
      data: { source: { format: 'csv', train: 't.csv', label: 'y' } },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [4] } }],
      student: { architecture: { preset: 'mlp', hidden: [2] } },
      training: { batchSize: 8 },
    };
    fs.writeFileSync(kd, JSON.stringify(cfg, null, 2));
    const messages: EngineMessage[] = [];
    const code = await runEngine({ request: { kind: 'validate', configPath: kd }, send: (m) => messages.push(m), shouldStop: () => false });
    assert.equal(code, EXIT.badConfig);
    const err = messages.find((m): m is ConfigErrorMessage => m.type === 'config_error')!;
    assert.deepEqual(err.issues[0].path, ['data', 'source']);
    assert.match(err.issues[0].message, new RegExp(`${file}: line 42: 3 columns, the header has 2 \\(ragged row\\)`));
    assert.ok(err.issues[0].line! > 1, 'placed at the kd.json line of data.source');
    assert.ok(!fs.existsSync(path.join(d, '.distillery', 'runs')), 'no run folder');
    fs.writeFileSync(file, 'a,y\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n');
    messages.length = 0;
    assert.equal(await runEngine({ request: { kind: 'validate', configPath: kd }, send: (m) => messages.push(m), shouldStop: () => false }), EXIT.done);
    const ok = messages.find((m): m is ConfigValidMessage => m.type === 'config_valid')!;
    assert.match(ok.data, /CSV t\.csv \(40 rows, 1 features, label "y": 2 classes\), .* 2 classes \(even, odd\)$/);
  });

  it('data.normalize with the wrong number of channel statistics is refused at data.normalize', async () => {
    const d = fresh();
    for (let i = 0; i < 4; i++) await png(path.join(d, 'img', i % 2 ? 'b' : 'a', `${i}.png`), 1, 50 * i);
    const kd = path.join(d, 'kd.json');
    fs.writeFileSync(
      kd,
      JSON.stringify({
        backend: 'cpu',
        data: { source: { format: 'imageFolder', train: 'img' }, normalize: { mean: [0.4, 0.4, 0.4], std: [0.2, 0.2, 0.2] }, testSplit: 0, validationSplit: 0 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [4] } }],
        student: { architecture: { preset: 'mlp', hidden: [2] } },
        training: { batchSize: 2 },
      }),
    );
    const messages: EngineMessage[] = [];
    assert.equal(await runEngine({ request: { kind: 'validate', configPath: kd }, send: (m) => messages.push(m), shouldStop: () => false }), EXIT.badConfig);
    const err = messages.find((m): m is ConfigErrorMessage => m.type === 'config_error')!;
    assert.deepEqual(err.issues[0].path, ['data', 'normalize']);
    assert.match(err.issues[0].message, /3 values in mean for data of 1 channel \(give 1\)/);
  });

  it('more than 256 class folders are refused (labels are one byte: class 256 would read as class 0)', async () => {
    const d = fresh();
    for (let c = 0; c < 257; c++) fs.mkdirSync(path.join(d, `c${String(c).padStart(3, '0')}`));
    await assert.rejects(load({ format: 'imageFolder', train: d }), new RegExp(`${d}: 257 class subfolders; at most 256 classes`));
  });

  it('shift, crop or flip on a table (1×1×D vectors) is refused at data.augment before training', async () => {
    const d = fresh();
    fs.writeFileSync(path.join(d, 't.csv'), 'a,b,y\n' + Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 3},${i % 2}`).join('\n') + '\n');
    const kd = path.join(d, 'kd.json');
    const cfg = {
      backend: 'cpu',
      data: { source: { format: 'csv', train: 't.csv', label: 'y' }, augment: { shift: 2, flip: true } },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [4] } }],
      student: { architecture: { preset: 'mlp', hidden: [2] } },
      training: { batchSize: 8 },
    };
    fs.writeFileSync(kd, JSON.stringify(cfg));
    const messages: EngineMessage[] = [];
    assert.equal(await runEngine({ request: { kind: 'validate', configPath: kd }, send: (m) => messages.push(m), shouldStop: () => false }), EXIT.badConfig);
    const err = messages.find((m): m is ConfigErrorMessage => m.type === 'config_error')!;
    assert.deepEqual(
      err.issues.map((i) => i.path.join('.')),
      ['data.augment.shift', 'data.augment.flip'],
    );
    assert.match(err.issues[0].message, /vectors of 2 values, not images: shift applies to images only/);
  });
});
