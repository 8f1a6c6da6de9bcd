/**
 * The incremental events.jsonl reader (protocol/eventsTail.ts, behind the Runs tree): it reads
 * only the bytes appended since the last read, counted here through an injected reader, and
 * what it folds always equals a fold over a full re-read, through torn appends, a file cut
 * back (a resume), a file replaced, and multi-byte text split across reads.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../../src/protocol/events';
import { EventsTail, fsTailIo, type TailIo } from '../../../src/protocol/eventsTail';
import { parseEvents } from '../../../src/protocol/runFolder';
import { foldRunEvent, foldRunEvents, RunFolderReader } from '../../../src/protocol/runReader';

const time = '2026-01-02T10:00:00.000Z';
const line = (e: object) => JSON.stringify(e) + '\n';
const started = { type: 'run_started', time, runId: 'r', runDir: '/r', name: 'tail ✓ ünïcode', pid: 1, backend: 'cpu', configPath: '/k' };
const stage = { type: 'stage_started', time, stage: 'distill', model: 'm', epochs: 3, stepsPerEpoch: 10, params: 1 };
const step = (n: number) => ({
  type: 'step',
  time,
  stage: 'distill',
  epoch: 1 + Math.floor((n - 1) / 10),
  step: n,
  totalSteps: 30,
  loss: 1 / n,
  terms: {},
  lr: 0.001,
  samplesPerSec: 1,
});

/** Counts the bytes read through it. */
function countingIo(): TailIo & { bytes: number } {
  const io = {
    bytes: 0,
    stat: fsTailIo.stat,
    read(file: string, position: number, length: number) {
      const b = fsTailIo.read(file, position, length);
      io.bytes += b.length;
      return b;
    },
  };
  return io;
}

/** What a full re-read gives: every event of the whole file folded, and parseEvents' skipped count. */
function fullRead(file: string) {
  const { events, skipped } = parseEvents(fs.readFileSync(file, 'utf8'));
  return { state: foldRunEvents(events), skipped };
}

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distill-tail-')), 'events.jsonl');
}

describe('protocol/eventsTail: events.jsonl read incrementally', () => {
  it('reads only the appended bytes, and folds what a full re-read folds', () => {
    const file = tempFile();
    fs.writeFileSync(file, line(started) + line(stage));
    const io = countingIo();
    const tail = new EventsTail(file, {}, foldRunEvent, io);
    const check = () => {
      const got = tail.read();
      const want = fullRead(file);
      assert.deepEqual({ state: got.state, skipped: got.skipped }, want);
      return got;
    };
    check();
    assert.equal(io.bytes, fs.statSync(file).size);
    for (let n = 1; n <= 30; n++) {
      const before = fs.statSync(file).size;
      io.bytes = 0;
      fs.appendFileSync(file, line(step(n)));
      const got = check();
      // The new line, plus the one byte that checks the line end before the offset.
      assert.equal(io.bytes, fs.statSync(file).size - before + 1, `step ${n}`);
      assert.equal(got.state.lastStep?.step, n);
    }
    // Nothing appended: one byte (the line end check), not the file.
    io.bytes = 0;
    const last = check();
    assert.equal(io.bytes, 1);
    assert.deepEqual(last.state.progress, { stage: 'distill', epoch: 3, epochs: 3, percent: 100 });
    assert.equal(last.state.started?.name, started.name);
  });

  it('a torn append (an engine mid-write, split inside a multi-byte character) is completed by the next read', () => {
    const file = tempFile();
    fs.writeFileSync(file, line(started));
    const io = countingIo();
    const tail = new EventsTail(file, {}, foldRunEvent, io);
    tail.read();
    const whole = Buffer.from(line({ type: 'log', time, level: 'info', message: 'größe ✓ 日本' }) + line(step(1)));
    // Cut inside the 3-byte '✓': the first part is a torn line, not an event.
    const cut = whole.indexOf(Buffer.from('✓')) + 1;
    fs.appendFileSync(file, whole.subarray(0, cut));
    const torn = tail.read();
    assert.deepEqual({ state: torn.state, skipped: torn.skipped }, fullRead(file));
    assert.equal(torn.skipped, 1);
    // While the file stays as it is, the torn tail is not read again (a crashed run's folder, polled).
    io.bytes = 0;
    assert.deepEqual(tail.read(), torn);
    assert.equal(io.bytes, 1);
    fs.appendFileSync(file, whole.subarray(cut));
    const done = tail.read();
    assert.deepEqual({ state: done.state, skipped: done.skipped }, fullRead(file));
    assert.equal(done.skipped, 0);
    assert.equal(done.state.lastStep?.step, 1);
    // A whole event without its line end yet counts as an event, as a full read counts it.
    fs.appendFileSync(file, JSON.stringify(step(2)));
    const open = tail.read();
    assert.deepEqual({ state: open.state, skipped: open.skipped }, fullRead(file));
    assert.equal(open.state.lastStep?.step, 2);
  });

  it('starts over when the file is cut back (a resume), cut back and regrown, replaced, or deleted', () => {
    const file = tempFile();
    const head = line(started) + line(stage) + line(step(1));
    fs.writeFileSync(file, head + line(step(2)) + line(step(3)) + line({ type: 'run_finished', time, status: 'stopped', summary: {} }));
    const io = countingIo();
    const tail = new EventsTail(file, {}, foldRunEvent, io);
    assert.equal(tail.read().state.finished?.status, 'stopped');
    const same = (label: string) => {
      const got = tail.read();
      assert.deepEqual({ state: got.state, skipped: got.skipped }, fullRead(file), label);
      return got;
    };
    // A resume cuts events.jsonl back to its checkpoint: shorter than the offset.
    fs.truncateSync(file, Buffer.byteLength(head));
    assert.equal(same('cut back').state.finished, undefined);
    // Cut back and regrown past the old offset before the next read: the byte before it is no line end.
    const offset = fs.statSync(file).size;
    fs.truncateSync(file, Buffer.byteLength(line(started)) + 5);
    fs.appendFileSync(file, '\n' + line(step(7)).repeat(3));
    assert.ok(fs.statSync(file).size > offset);
    assert.equal(same('regrown').state.lastStep?.step, 7);
    // Replaced by another file (rename over it): another inode.
    const other = file + '.new';
    fs.writeFileSync(other, line(started));
    fs.renameSync(other, file);
    assert.equal(same('replaced').state.lastStep, undefined);
    fs.rmSync(file);
    const gone = tail.read();
    assert.deepEqual(gone, { state: {}, skipped: 0 });
  });

  it('the run-folder reader keeps one tail per folder and forgets folders no longer read', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-reader-'));
    const dirs = ['a', 'b'].map((n) => path.join(root, n));
    for (const d of dirs) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'events.jsonl'), line(started) + line(stage));
    }
    const io = countingIo();
    const reader = new RunFolderReader(io);
    for (const d of dirs) reader.read(d);
    reader.prune();
    const first = io.bytes;
    assert.equal(first, 2 * Buffer.byteLength(line(started) + line(stage)));
    fs.appendFileSync(path.join(dirs[0], 'events.jsonl'), line(step(4)));
    io.bytes = 0;
    const a = reader.read(dirs[0]);
    assert.equal(a.events.lastStep?.step, 4);
    assert.equal(io.bytes, Buffer.byteLength(line(step(4))) + 1);
    reader.prune();
    // b was not read in that pass: its tail is gone, so its next read starts from the beginning.
    io.bytes = 0;
    reader.read(dirs[1]);
    assert.equal(io.bytes, Buffer.byteLength(line(started) + line(stage)));
    const events: RunEvent[] = parseEvents(fs.readFileSync(path.join(dirs[0], 'events.jsonl'), 'utf8')).events;
    assert.deepEqual(a.events, foldRunEvents(events));
  });
});
