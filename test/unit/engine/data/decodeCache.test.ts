/**
 * The decode cache is an optimisation: a folder it cannot write (here a file stands where the
 * cache folder would go) costs the next run a decode, never this run; what it writes reads back.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCacheEntry, writeCacheEntry } from '../../../../src/engine/data/formats/decodeCache';

describe('decode cache: written atomically, best effort', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-decodecache-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const entry = { meta: { note: 'x' }, arrays: { a: Uint8Array.from([1, 2, 3]), b: Float32Array.from([0.5, -2]) } };

  it('an entry written reads back, and no temporary file is left', () => {
    const dir = path.join(root, 'ok');
    const file = writeCacheEntry(dir, 'k1', entry);
    assert.equal(typeof file, 'string');
    const back = readCacheEntry<{ note: string }>(dir, 'k1')!;
    assert.deepEqual(back.meta, { note: 'x' });
    assert.deepEqual(Array.from(back.arrays.a), [1, 2, 3]);
    assert.deepEqual(Array.from(back.arrays.b), [0.5, -2]);
    assert.deepEqual(fs.readdirSync(dir), [path.basename(file as string)]);
  });

  it('a folder that cannot be written gives the reason instead of throwing', () => {
    const blocked = path.join(root, 'blocked');
    fs.writeFileSync(blocked, 'a file where the cache folder would be');
    const r = writeCacheEntry(path.join(blocked, 'cache'), 'k2', entry);
    assert.ok(r instanceof Error, String(r));
    assert.match(r.message, /ENOTDIR|EEXIST/);
  });
});
