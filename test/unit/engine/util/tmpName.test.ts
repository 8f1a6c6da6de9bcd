/**
 * Temporary files beside a shared file: tasks on two nodes of a cluster may have the same pid
 * and write the same teacher-cache file in a shared folder at once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDurably } from '../../../../src/engine/models/modelFiles';
import { tmpNameBeside } from '../../../../src/engine/util/tmpName';

describe('engine/util/tmpName: temporary files no other writer shares', () => {
  it("writeDurably leaves alone the temporary file another node's process with the same pid is writing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tmpname-'));
    const file = path.join(dir, 'logits.bin');
    // What the pid-only name (the rule before) would have been: another node's writer of this pid.
    const theirs = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(theirs, 'half of their rows');
    writeDurably(file, 'our rows');
    assert.equal(fs.readFileSync(file, 'utf8'), 'our rows');
    assert.equal(fs.readFileSync(theirs, 'utf8'), 'half of their rows');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['logits.bin', path.basename(theirs)]);
  });

  it('names the host, the pid and a random part', () => {
    const a = tmpNameBeside('/x/f.bin');
    assert.ok(a.startsWith(`/x/f.bin.tmp-${os.hostname()}-${process.pid}-`), a);
    assert.notEqual(a, tmpNameBeside('/x/f.bin'));
  });
});
