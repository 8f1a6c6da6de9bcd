/**
 * The .npy/.npz reader against files NumPy itself wrote (python3-numpy; .ci/run installs it):
 * uint8, float64 (to float32), big-endian float32, int16 labels, a 2-D [N, D] array, format
 * version 2.0, np.savez and np.savez_compressed, and a Fortran-order array refused.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNpyRef, samplesOf } from '../../../../src/engine/data/formats/npy';

const SCRIPT = `
import numpy as np, sys
d = sys.argv[1]
x = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
np.save(d + '/u8.npy', x)
np.save(d + '/f8.npy', (np.arange(6, dtype=np.float64) / 3).reshape(2, 3))
np.save(d + '/be.npy', np.array([1.5, -2.25], dtype='>f4'))
np.save(d + '/i2.npy', np.array([3, 1], dtype=np.int16))
np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.lib.format.write_array(open(d + '/v2.npy', 'wb'), x, version=(2, 0))
np.savez(d + '/a.npz', x_train=x, y_train=np.array([0, 1]))
np.savez_compressed(d + '/c.npz', x_train=x, y_train=np.array([0, 1]))
`;

describe('NumPy files written by NumPy', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-numpy-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(function () {
    const r = spawnSync('python3', ['-c', SCRIPT, dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.warn(`\n  !!! SKIPPED: python3 with numpy is needed to write the reference files (apt-get install python3-numpy): ${r.stderr || r.error}\n`);
      this.skip();
    }
  });

  it('reads every dtype, shape and version to the values NumPy saved', () => {
    const u8 = readNpyRef(path.join(dir, 'u8.npy'));
    assert.deepEqual(u8.shape, [2, 3, 4]);
    assert.deepEqual(
      Array.from(samplesOf(u8, 'u8')),
      Array.from({ length: 24 }, (_, i) => i),
    );
    assert.ok(samplesOf(u8, 'u8') instanceof Uint8Array);
    const f8 = samplesOf(readNpyRef(path.join(dir, 'f8.npy')), 'f8');
    assert.ok(f8 instanceof Float32Array);
    assert.deepEqual(Array.from(f8), Array.from(Float32Array.from([0, 1, 2, 3, 4, 5], (v) => v / 3)));
    assert.deepEqual(Array.from(readNpyRef(path.join(dir, 'be.npy')).values), [1.5, -2.25]);
    const i2 = readNpyRef(path.join(dir, 'i2.npy'));
    assert.equal(i2.dtype, '<i2');
    assert.deepEqual(Array.from(i2.values), [3, 1]);
    assert.deepEqual(Array.from(readNpyRef(path.join(dir, 'v2.npy')).values), Array.from(u8.values));
    for (const z of ['a.npz', 'c.npz']) {
      assert.deepEqual(Array.from(readNpyRef(`${path.join(dir, z)}#x_train`).values), Array.from(u8.values), z);
      assert.deepEqual(Array.from(readNpyRef(`${path.join(dir, z)}#y_train`).values), [0, 1], z);
    }
    assert.throws(
      () => readNpyRef(path.join(dir, 'fortran.npy')),
      /fortran\.npy: a Fortran-order array is not supported; save it with np\.ascontiguousarray\(x\)/,
    );
  });
});
