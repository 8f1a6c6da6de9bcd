/**
 * The sweep view's poll (its safety net where file events never come): the signature of a sweep
 * folder changes when sweep.json is rewritten and when an unfinished trial writes events or its
 * summary, and not for a finished trial's files, which the view no longer reads.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sweepMayChange, sweepSignature } from '../../../src/extension/sweeps/sweepChanges';
import type { SweepTrial } from '../../../src/protocol/sweep';

describe('extension/sweeps/sweepChanges: what the sweep view polls', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-changes-'));
    for (const id of ['t00', 't01']) fs.mkdirSync(path.join(dir, 'trials', id), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const trial = (id: string, status: SweepTrial['status']) => ({ id, status, runDir: path.join('trials', id) }) as SweepTrial;
  const sweep = (...trials: SweepTrial[]) => ({ trials });

  it('changes when sweep.json is written, first or again', () => {
    const none = sweepSignature(dir, undefined);
    fs.writeFileSync(path.join(dir, 'sweep.json'), '{"a":1}');
    const first = sweepSignature(dir, undefined);
    assert.notEqual(first, none);
    fs.writeFileSync(path.join(dir, 'sweep.json'), '{"a":12}');
    assert.notEqual(sweepSignature(dir, undefined), first);
  });

  it('changes when a running trial appends events or writes its summary', () => {
    fs.writeFileSync(path.join(dir, 'sweep.json'), '{}');
    const s = sweep(trial('t00', 'running'), trial('t01', 'queued'));
    const before = sweepSignature(dir, s);
    assert.equal(sweepSignature(dir, s), before, 'nothing written, nothing changed');
    fs.writeFileSync(path.join(dir, 'trials', 't00', 'events.jsonl'), '{"type":"epoch"}\n');
    const withEvents = sweepSignature(dir, s);
    assert.notEqual(withEvents, before);
    fs.writeFileSync(path.join(dir, 'trials', 't01', 'summary.json'), '{}');
    assert.notEqual(sweepSignature(dir, s), withEvents);
  });

  it("ignores a finished trial's files", () => {
    fs.writeFileSync(path.join(dir, 'sweep.json'), '{}');
    const s = sweep(trial('t00', 'done'), trial('t01', 'failed'));
    const before = sweepSignature(dir, s);
    fs.writeFileSync(path.join(dir, 'trials', 't00', 'events.jsonl'), 'x\n');
    fs.writeFileSync(path.join(dir, 'trials', 't01', 'summary.json'), '{}');
    assert.equal(sweepSignature(dir, s), before);
  });

  it('polls while the sweep runs or cannot be read yet, not after it ended', () => {
    assert.equal(sweepMayChange(undefined), true);
    assert.equal(sweepMayChange({ status: 'running' }), true);
    for (const status of ['done', 'failed', 'stopped'] as const) assert.equal(sweepMayChange({ status }), false, status);
  });
});
