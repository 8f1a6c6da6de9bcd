import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx, encodeIdxFloat32, readIdxFile, readIdxValues } from '../../../src/engine/data/idx';
import { loadBundledMnist, loadIdxPair, parseBundledMnist, writeBundledMnistIdx } from '../../../src/engine/data/sources';

describe('IDX files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-'));
  const pixels = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i);
  const write = (name: string, data: Buffer | Uint8Array) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, data);
    return f;
  };

  it('reads plain and gzipped files to the same values', () => {
    const raw = write('imgs-idx3-ubyte', encodeIdx([3, 4, 5], pixels));
    const gz = write('imgs-idx3-ubyte.gz', zlib.gzipSync(encodeIdx([3, 4, 5], pixels)));
    for (const f of [raw, gz]) {
      const r = readIdxFile(f);
      assert.deepEqual(r.dims, [3, 4, 5]);
      assert.deepEqual(Array.from(r.data), Array.from(pixels));
    }
  });

  it('names the file and the defect: bad magic, wrong length, corrupt gzip', () => {
    const bad = Buffer.from(encodeIdx([3, 4, 5], pixels));
    bad[0] = 0x42;
    assert.throws(() => readIdxFile(write('bad-magic', bad)), /bad-magic: not an IDX file \(bad magic number 42/);
    const short = encodeIdx([3, 4, 5], pixels).subarray(0, 40);
    assert.throws(() => readIdxFile(write('short', short)), /short: wrong length: dimensions 3×4×5 need 60 bytes of data, the file has 24/);
    const gz = zlib.gzipSync(encodeIdx([3, 4, 5], pixels));
    assert.throws(() => readIdxFile(write('corrupt.gz', gz.subarray(0, gz.length - 10))), /corrupt\.gz: corrupt gzip data/);
  });

  it('reads values of any IDX type as floats: float32, gzipped float32, big-endian int16 and double, and bytes', () => {
    const values = Float32Array.of(0.25, -1.5, 3, 1e-3, 7, -0);
    const f32 = write('t-f32.idx', encodeIdxFloat32([3, 2], values));
    const gz = write('t-f32.idx.gz', zlib.gzipSync(encodeIdxFloat32([3, 2], values)));
    for (const f of [f32, gz]) {
      const r = readIdxValues(f);
      assert.deepEqual(r.dims, [3, 2]);
      assert.deepEqual(Array.from(r.values), Array.from(values));
    }
    // Hand-made headers: 00 00 type rank, dims, then big-endian values.
    const i16 = Buffer.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00]);
    assert.deepEqual(Array.from(readIdxValues(write('t-i16.idx', i16)).values), [-2, 256]);
    const f64 = Buffer.alloc(4 + 4 + 8);
    f64.set([0, 0, 0x0e, 1, 0, 0, 0, 1]);
    f64.writeDoubleBE(-0.125, 8);
    assert.deepEqual(Array.from(readIdxValues(write('t-f64.idx', f64)).values), [-0.125]);
    assert.deepEqual(Array.from(readIdxValues(write('t-u8.idx', encodeIdx([2], Uint8Array.of(3, 250)))).values), [3, 250]);
    assert.throws(
      () => readIdxValues(write('t-short.idx', encodeIdxFloat32([3, 2], values).subarray(0, 30))),
      /t-short\.idx: wrong length: dimensions 3×2 of floats need 24 bytes of data, the file has 18/,
    );
    assert.throws(() => readIdxValues(write('t-type.idx', Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 0]))), /unknown IDX value type 0xa/);
  });

  it('checks that images and labels agree', () => {
    const imgs = write('i', encodeIdx([3, 4, 5], pixels));
    const labs = write('l', encodeIdx([2], Uint8Array.from([1, 2])));
    assert.throws(() => loadIdxPair(imgs, labs), /has 3 images but .* has 2 labels/);
    const ok = loadIdxPair(imgs, write('l3', encodeIdx([3], Uint8Array.from([0, 1, 2]))));
    assert.equal(ok.count, 3);
    assert.equal(ok.height, 4);
    assert.equal(ok.width, 5);
    assert.equal(ok.channels, 1);
  });

  it('refuses images with an empty height, width or channel count (N×0×0 failed inside XNNPACK mid-run)', () => {
    const labs = write('l2', encodeIdx([2], Uint8Array.from([0, 1])));
    assert.throws(
      () => loadIdxPair(write('i00', encodeIdx([2, 0, 0], new Uint8Array(0))), labs),
      /i00: images of 2×0×0: height, width and channels must each be at least 1/,
    );
    assert.throws(
      () => loadIdxPair(write('i3x0', encodeIdx([2, 3, 3, 0], new Uint8Array(0))), labs),
      /i3x0: images of 2×3×3×0: height, width and channels must each be at least 1/,
    );
  });

  it("the build's IDX copy of the bundled digits loads to exactly the package's JSON", () => {
    const out = path.join(dir, 'dist');
    writeBundledMnistIdx(out);
    const fromIdx = loadBundledMnist(out);
    const fromJson = parseBundledMnist();
    assert.equal(fromIdx.count, 10000);
    assert.deepEqual({ ...fromIdx, images: undefined, labels: undefined }, { ...fromJson, images: undefined, labels: undefined });
    assert.ok(Buffer.from(fromIdx.images).equals(Buffer.from(fromJson.images)), 'pixels differ');
    assert.ok(Buffer.from(fromIdx.labels).equals(Buffer.from(fromJson.labels)), 'labels differ');
    // Without the copy, the JSON is parsed.
    assert.equal(loadBundledMnist(path.join(dir, 'nowhere')).count, 10000);
  });
});
