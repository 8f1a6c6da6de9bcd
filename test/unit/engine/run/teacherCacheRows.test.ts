/**
 * The teacher-logits cache computes the rows a run uses, not the whole set: under data.limit a
 * run paid for every sample of the source (21 s of a 60 s bench run, 40 000 rows nobody read).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArchitectureSpec } from '../../../../src/protocol/config';
import { buildPreset } from '../../../../src/engine/models/presets';
import { logitsFn } from '../../../../src/engine/models/forward';
import { rowsNeeded, teacherLogitsForSet } from '../../../../src/engine/run/teacherCache';
import { predictLogits } from '../../../../src/engine/train/evaluate';
import { smallDigits, wasmTf } from '../helpers';

describe('teacher-logits cache: the rows a run uses', function () {
  this.timeout(120_000);

  it('computes only the rows of its splits, then only what a later run adds; every row it holds is the teacher’s', async () => {
    const tf = await wasmTf();
    const small = smallDigits(500, 1);
    const teacher = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden: [32] }), small.shape, small.numClasses, 3, 't');
    const forward = logitsFn(tf, teacher, false);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-rows-'));
    const count = small.train.set.count;
    assert.ok(count >= 10_000, 'the limit keeps the set, and draws its splits from it');

    const first = await teacherLogitsForSet(tf, forward, small, 'k', dir);
    const need = rowsNeeded(small);
    const used = need.reduce((a, b) => a + b, 0);
    assert.equal(used, small.train.indices.length + small.val.indices.length + small.test.indices.length);
    assert.deepEqual([first.hit, first.computed, first.needed], [false, used, used]);
    const file = path.join(dir, 'teacher-logits-k.bin');
    assert.equal(fs.statSync(file).size, count * 10 * 4 + count, 'values, then a byte per row');

    const again = await teacherLogitsForSet(tf, forward, small, 'k', dir);
    assert.deepEqual([again.hit, again.computed], [true, 0]);

    // Another seed draws other splits from the same set: only the rows new to it are computed.
    const other = smallDigits(500, 2);
    const otherNeed = rowsNeeded(other);
    let added = 0;
    otherNeed.forEach((n, i) => (added += n && !need[i] ? 1 : 0));
    assert.ok(added > 0 && added < used);
    const third = await teacherLogitsForSet(tf, forward, other, 'k', dir);
    assert.deepEqual([third.hit, third.computed], [false, added]);

    const all = await predictLogits(tf, forward, small, { set: small.train.set, indices: Uint32Array.from({ length: count }, (_, i) => i) });
    let worst = 0;
    for (let i = 0; i < count; i++)
      for (let c = 0; c < 10; c++) {
        const held = third.logits[i * 10 + c];
        worst = Math.max(worst, need[i] || otherNeed[i] ? Math.abs(held - all[i * 10 + c]) : Math.abs(held));
      }
    assert.ok(worst < 1e-5, `a held row differs from the teacher's (or an unasked row is not 0) by ${worst}`);
    teacher.dispose();
  });

  it('reads a file of values only (written before rows were computed on demand) as holding every row, and recomputes a torn one', async () => {
    const tf = await wasmTf();
    const ds = smallDigits(300, 1);
    const count = ds.train.set.count;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-rows-'));
    const file = path.join(dir, 'teacher-logits-old.bin');
    const values = Float32Array.from({ length: count * 10 }, (_, i) => i % 7);
    fs.writeFileSync(file, Buffer.from(values.buffer));
    const forward = () => {
      throw new Error('the teacher must not run on a full old-format file');
    };
    const old = await teacherLogitsForSet(tf, forward, ds, 'old', dir);
    assert.equal(old.hit, true);
    assert.deepEqual(Array.from(old.logits.subarray(0, 8)), [0, 1, 2, 3, 4, 5, 6, 0]);

    fs.writeFileSync(file, Buffer.from(values.buffer, 0, 1000));
    const teacher = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden: [8] }), ds.shape, ds.numClasses, 3, 't');
    const torn = await teacherLogitsForSet(tf, logitsFn(tf, teacher, false), ds, 'old', dir);
    assert.equal(torn.hit, false);
    assert.equal(torn.computed, torn.needed);
    assert.equal(fs.statSync(file).size, count * 10 * 4 + count);
    teacher.dispose();
  });
});
