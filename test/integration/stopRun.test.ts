import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FILES, parseEvents, readEvents, readSummary } from '../../src/protocol/runFolder';
import { fixture, startRun, waitFor, type StartRunResult } from './helpers';

/** Stop must end a run within this long: summary.json written with status "stopped". */
const STOP_WITHIN_MS = 2_000;

describe('Distill: Stop Run', function () {
  this.timeout(4 * 60_000);
  let started: StartRunResult | undefined;

  afterEach(async () => {
    // Never leave a long run burning the CPU for the next test, whatever happened above.
    if (started && !readSummary(started.runDir)) await vscode.commands.executeCommand('distillery.stopRun', started.runId);
    started = undefined;
  });

  async function startLongRunAndWaitForTraining(): Promise<StartRunResult> {
    started = await startRun(fixture('long.kd.json'));
    const { runDir } = started;
    await waitFor(`a training step in ${path.join(runDir, FILES.events)}`, () => readEvents(runDir).events.some((e) => e.type === 'step'), 3 * 60_000, 100);
    assert.equal(readSummary(runDir), undefined, 'the long run must still be running before we stop it');
    return started;
  }

  async function expectStoppedWithin(runDir: string, since: number): Promise<void> {
    // Wait longer than the limit so that a slow stop fails with its real duration.
    const summary = await waitFor(`${FILES.summary} after Stop Run`, () => readSummary(runDir), STOP_WITHIN_MS + 10_000, 25);
    const tookMs = Date.now() - since;
    assert.ok(tookMs <= STOP_WITHIN_MS, `stop took ${tookMs} ms (limit ${STOP_WITHIN_MS} ms)`);
    assert.equal(summary.status, 'stopped');
    const { events, skipped } = parseEvents(fs.readFileSync(path.join(runDir, FILES.events), 'utf8'));
    assert.equal(skipped, 0, 'events.jsonl still parses line by line after the stop');
    const last = events[events.length - 1];
    assert.ok(last?.type === 'run_finished' && last.status === 'stopped', `last event: ${JSON.stringify(last)}`);
  }

  it('stops the run named by its id within 2 seconds', async () => {
    const { runId, runDir } = await startLongRunAndWaitForTraining();
    const t0 = Date.now();
    await vscode.commands.executeCommand('distillery.stopRun', runId);
    await expectStoppedWithin(runDir, t0);
  });

  it('with no argument, stops the newest running run within 2 seconds', async () => {
    const { runDir } = await startLongRunAndWaitForTraining();
    const t0 = Date.now();
    await vscode.commands.executeCommand('distillery.stopRun');
    await expectStoppedWithin(runDir, t0);
  });
});
