/**
 * Two runs at once, or a run plus a sweep: no file is shared by two writers, run ids stay
 * unique when runs start in the same millisecond, and a model folder written by two processes
 * at once is never read as a new model.json beside an old weights.bin.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelArtifacts } from '../../src/engine/models/modelFiles';

const WORKERS = path.join(__dirname, 'workers');

function tsxProcess(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(WORKERS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('faults: runs at once', function () {
  this.timeout(90_000);

  it('run folders are unique when 6 processes create 30 each in the same millisecond, one of them a folder all were told to create', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ids-'));
    // Far enough ahead for every process to have loaded (tsx start-up on a busy machine).
    const startAt = Date.now() + 4000;
    const results = await Promise.all(Array.from({ length: 6 }, () => tsxProcess('createRunDirs.ts', [root, '10', String(startAt)])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const outs = results.map((r) => JSON.parse(r.stdout) as { made: string[]; refused: number });
    const ids = outs.flatMap((o) => o.made);
    assert.equal(new Set(ids).size, ids.length, 'two processes got the same folder');
    assert.equal(ids.filter((id) => id === 'same-chosen-folder').length, 1, 'the one chosen folder went to exactly one');
    // Every attempt either got its folder or was refused it (a taken folder is never shared).
    assert.equal(ids.length + outs.reduce((n, o) => n + o.refused, 0), 180);
    assert.ok(ids.length >= 121, `${ids.length} folders`);
    assert.equal(fs.readdirSync(root).length, ids.length);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("two processes saving the same teacher folder at once: a reader never sees a model.json with another save's weights.bin", async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-teacher-'));
    const dir = path.join(parent, 'teacher');
    const startAt = Date.now() + 5000;
    // Different shapes, so a mixed pair shows as a size mismatch; different fills, so values tell which save a file came from.
    const writers = [
      tsxProcess('saveModelLoop.ts', [dir, '4', '1', '60', String(startAt)]),
      tsxProcess('saveModelLoop.ts', [dir, '8', '2', '60', String(startAt)]),
    ];
    let done = false;
    void Promise.all(writers).then(() => (done = true));
    let consistent = 0;
    let absent = 0;
    const mixed: string[] = [];
    while (!done) {
      try {
        const a = readModelArtifacts(path.join(dir, 'model.json'));
        const inputUnits = (a.weightSpecs![0].shape as number[])[0];
        const values = new Float32Array(a.weightData as ArrayBuffer);
        const expected = inputUnits === 4 ? 1 : 2;
        if (values.some((v) => v !== expected)) mixed.push(`a ${inputUnits}-input model.json with weights of the other save`);
        else consistent++;
      } catch (e) {
        const msg = (e as Error).message;
        // Between a folder being moved aside and the new one renamed in, there is nothing to read: fine.
        if (/ENOENT|weights file missing|not a readable model\.json/.test(msg) && !/Unexpected|JSON at position/.test(msg)) absent++;
        else mixed.push(msg);
      }
      await new Promise((r) => setImmediate(r));
    }
    for (const w of await Promise.all(writers)) assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(mixed.slice(0, 3), [], `${mixed.length} inconsistent reads`);
    assert.ok(consistent > 20, `only ${consistent} reads saw a model (${absent} saw none)`);
    // Nothing is left behind but the final folder.
    assert.deepEqual(fs.readdirSync(parent), ['teacher']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['.distillery-model', 'model.json', 'weights.bin']);
    fs.rmSync(parent, { recursive: true, force: true });
  });
});
