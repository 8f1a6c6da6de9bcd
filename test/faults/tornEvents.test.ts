/**
 * A torn or garbage line in events.jsonl (a crash mid-write, a hand edit) is skipped by every
 * reader, and counted: the protocol reader, the crash recorder the CLI and the host use, the
 * Runs tree, the dashboard's and the compare view's loaders. The events are written by the
 * engine's own RunWriter, then damaged the way a crash or an editor would.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordAbnormalExit } from '../../src/client/abnormalExit';
import { RunWriter } from '../../src/engine/run/runWriter';
import { loadCompareRun, loadDashboardInit } from '../../src/extension/dashboard/runData';
import { deriveRunRecord } from '../../src/extension/tree/runInfo';
import { FILES, parseEvents, readEvents } from '../../src/protocol/runFolder';
import { RunFolderReader, readRunFolder } from '../../src/protocol/runReader';

const GARBAGE = ['this is not json', '42', '{"no": "type"}', '<<<<<<< HEAD', '{"type": "step", "stage": "dis'];

function damagedRun(): string {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-torn-'));
  const w = new RunWriter(runDir);
  w.emit({ type: 'run_started', runId: path.basename(runDir), runDir, name: 'torn', pid: 999_999_999, backend: 'cpu', configPath: '/nowhere/kd.json' });
  w.emit({ type: 'stage_started', stage: 'distill', model: 'student', epochs: 2, stepsPerEpoch: 4, params: 10 });
  for (let step = 1; step <= 5; step++) {
    w.emit({
      type: 'step',
      stage: 'distill',
      epoch: step <= 4 ? 1 : 2,
      step,
      totalSteps: 8,
      loss: 1 / step,
      terms: { kd: 0.5 / step, ce: 0.5 / step },
      lr: 0.001,
      samplesPerSec: 100,
    });
    // A hand edit left junk between the engine's lines.
    if (step === 2) fs.appendFileSync(path.join(runDir, FILES.events), GARBAGE.slice(0, 4).join('\n') + '\n');
  }
  w.emit({ type: 'epoch', stage: 'distill', epoch: 1, epochs: 2, loss: 0.4, trainAccuracy: 0.5, valAccuracy: 0.6, seconds: 1 });
  w.close();
  // The engine died mid-write: the last line has no end.
  fs.appendFileSync(path.join(runDir, FILES.events), GARBAGE[4]);
  // Long ago, so no reader takes it for live.
  const old = new Date(Date.now() - 3_600_000);
  fs.utimesSync(path.join(runDir, FILES.events), old, old);
  return runDir;
}

describe('faults: torn and garbage lines in events.jsonl', () => {
  it('the protocol reader skips each one and counts it', () => {
    const runDir = damagedRun();
    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 5);
    assert.equal(events.filter((e) => e.type === 'step').length, 5);
    assert.deepEqual(parseEvents(fs.readFileSync(path.join(runDir, FILES.events), 'utf8')), { events, skipped });
  });

  it('the crash summary (CLI and host) still finds the last whole step', () => {
    const runDir = damagedRun();
    assert.equal(readRunFolder(runDir).events.lastStep?.step, 5);
    const summary = recordAbnormalExit(runDir, { code: null, signal: 'SIGKILL', stderrTail: '' })!;
    assert.equal(summary.status, 'crashed');
    assert.match(summary.error!, /at distill epoch 2, step 5\/8/);
  });

  it('the Runs tree reads the run, its name and its status', () => {
    const runDir = damagedRun();
    const reader = new RunFolderReader();
    const snap = reader.read(runDir);
    assert.equal(snap.skipped, 5);
    assert.equal(snap.events.lastStep?.step, 5);
    const record = deriveRunRecord(snap, undefined, Date.now());
    assert.equal(record.name, 'torn');
    assert.equal(record.status, 'crashed');
    // Read again, incrementally, it says the same.
    assert.deepEqual(reader.read(runDir), snap);
  });

  it('the dashboard gets every whole event and the count of skipped lines, which it shows', () => {
    const runDir = damagedRun();
    const init = loadDashboardInit(runDir, path.basename(runDir), false);
    assert.equal(init.skippedLines, 5);
    assert.equal(init.series.stepCount, 5);
    assert.deepEqual(init.series.loss['distill/total'].y, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]);
    // The dashboard's header says so (webview/views/dashboard.ts); the words are checked in the
    // browser by test/faults/webviewXss.test.ts.
    const compare = loadCompareRun(runDir);
    assert.equal(compare.name, 'torn');
    assert.equal(compare.series.stepCount, 5);
  });
});

describe('faults: a writer that opens a torn events.jsonl (resume, append)', () => {
  it('starts a new line first: the next event is not swallowed by the garbage before it', () => {
    const runDir = damagedRun();
    const w = new RunWriter(runDir);
    w.emit({ type: 'log', level: 'info', message: 'resumed after the tear' });
    w.close();
    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 5);
    assert.equal((events.at(-1) as { message?: string }).message, 'resumed after the tear');
    // A whole file gets no blank line; an empty one stays empty until the first event.
    const whole = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-whole-'));
    new RunWriter(whole).close();
    assert.equal(fs.readFileSync(path.join(whole, FILES.events), 'utf8'), '');
    const again = new RunWriter(whole);
    again.emit({ type: 'log', level: 'info', message: 'one' });
    again.close();
    new RunWriter(whole).close();
    assert.equal(fs.readFileSync(path.join(whole, FILES.events), 'utf8').split('\n').length, 2);
  });
});
