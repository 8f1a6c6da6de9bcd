import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunManager } from '../../src/extension/runs/runManager';
import type { DashboardsApi } from '../../src/extension/webviews/panels';
import { FILES, listRunDirs, readEvents, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { EXTENSION_ID, fixture, readJson, startRun, waitFor, type StartRunResult } from './helpers';

describe('Distill: Start Run', () => {
  it('runs a tiny kd.json to completion through the engine and leaves a complete run folder', async function () {
    this.timeout(6 * 60_000);
    const kdJson = fixture('kd.json');
    const { runId, runDir } = await startRun(kdJson);

    assert.equal(path.dirname(runDir), runsRootFor(kdJson), 'the run folder sits in .distillery/runs beside kd.json');
    assert.equal(path.basename(runDir), runId);

    const summary = await waitFor(`${FILES.summary} in ${runDir}`, () => readSummary(runDir), 5 * 60_000, 250);
    assert.equal(summary.status, 'done', `run ended ${summary.status}: ${summary.error ?? ''}`);
    assert.equal(summary.runId, runId);

    const config = readJson<{ teachers: unknown[] }>(path.join(runDir, FILES.config));
    assert.equal(config.teachers.length, 1, 'config.json holds the resolved config');

    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 0, 'every line of events.jsonl parses');
    assert.equal(events[0]?.type, 'run_started');
    const last = events[events.length - 1];
    assert.ok(last?.type === 'run_finished' && last.status === 'done', `last event: ${JSON.stringify(last)}`);
    const steps = events.filter((e) => e.type === 'step');
    assert.ok(steps.length > 0, 'training steps were reported');
    assert.ok(
      steps.every((s) => s.type === 'step' && Number.isFinite(s.loss)),
      'every step loss is finite',
    );

    const model = readJson<{ modelTopology?: unknown; weightsManifest?: unknown[] }>(path.join(runDir, FILES.student, 'model.json'));
    assert.ok(model.modelTopology, 'student/model.json has a topology');
    assert.ok(model.weightsManifest?.length, 'student/model.json lists its weights');

    const acc = summary.student?.testAccuracy;
    assert.ok(typeof acc === 'number' && acc >= 0 && acc <= 1, `student test accuracy ${acc}`);
    assert.ok(fs.existsSync(path.join(runDir, FILES.student)));
  });
});

/**
 * A second Start Run while a run is live asks (runs/runQueue.ts): the quick pick is answered as
 * a person would, by moving down its list and accepting. Its answers, in order: open each live
 * run (newest first), queue this one, run both now. One run at a time (distillery.runsAtOnce = 1),
 * so that "queue" has to wait on any machine.
 */
describe('Distill: Start Run while a run is live', function () {
  this.timeout(8 * 60_000);
  let runs: RunManager;
  let dashboards: DashboardsApi;
  let long: StartRunResult;
  const settings = () => vscode.workspace.getConfiguration('distillery');

  before(async () => {
    ({ runs, dashboards } = await vscode.extensions.getExtension<{ runs: RunManager; dashboards: DashboardsApi }>(EXTENSION_ID)!.activate());
    await settings().update('runsAtOnce', 1, vscode.ConfigurationTarget.Global);
    long = await startRun(fixture('long.kd.json'));
    await waitFor('the long run to train', () => readEvents(long.runDir).events.some((e) => e.type === 'step'), 3 * 60_000, 100);
  });

  after(async () => {
    // Never leave a run burning the CPU for the next suite, whatever happened above.
    for (const r of runs.active) await vscode.commands.executeCommand('distillery.stopRun', r.runId);
    await settings().update('runsAtOnce', undefined, vscode.ConfigurationTarget.Global);
  });

  /** Start Run on `kdJson`, answering the question with the item at `index`. */
  async function startRunAnswering(kdJson: string, index: number): Promise<StartRunResult | undefined> {
    const result = vscode.commands.executeCommand<StartRunResult | undefined>('distillery.startRun', vscode.Uri.file(kdJson));
    // The quick pick opens in the workbench (a round trip from this extension host); then a person moves down and accepts.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('Start Run did not return after its question was answered')), 15_000)),
    );
    return Promise.race([result, late]).finally(() => clearTimeout(timer));
  }

  it('"Open" shows the running run\'s dashboard and starts nothing', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the dashboard to close', () => !dashboards.dashboard(long.runId), 10_000);
    const before = listRunDirs(runsRootFor(fixture('kd.json')));
    const answer = await startRunAnswering(fixture('kd.json'), 0);
    assert.deepEqual(answer, long, 'Start Run answered with the live run');
    await waitFor("the live run's dashboard", () => dashboards.dashboard(long.runId), 10_000);
    assert.deepEqual(listRunDirs(runsRootFor(fixture('kd.json'))), before, 'no run folder was made');
    assert.deepEqual(
      runs.active.map((r) => r.runId),
      [long.runId],
    );
  });

  let both: StartRunResult;
  let queued: StartRunResult;

  it('"Run both now" starts it at once, beside the live run, beyond the one-at-a-time limit', async () => {
    both = (await startRunAnswering(fixture('kd.json'), 2))!;
    assert.notEqual(both.runId, long.runId);
    assert.equal(runs.get(both.runId)?.state, 'running');
    await waitFor(`run_started in ${both.runDir}`, () => readEvents(both.runDir).events[0]?.type === 'run_started', 60_000);
    assert.equal(readSummary(long.runDir), undefined, 'the long run is still live');
  });

  it('"Queue" defers the start until a slot frees: it has no folder while it waits, and starts after the runs before it ended', async () => {
    // Live: the long run and "both" → open both, open long, queue, run both.
    queued = (await startRunAnswering(fixture('kd.json'), 2))!;
    assert.equal(runs.get(queued.runId)?.state, 'queued');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(runs.get(queued.runId)?.state, 'queued', 'still waiting: two runs train and one may');
    assert.ok(!fs.existsSync(queued.runDir), 'a queued run has no folder yet');

    await vscode.commands.executeCommand('distillery.stopRun', long.runId);
    const stopped = await waitFor('the long run to stop', () => readSummary(long.runDir), 30_000);
    const first = await waitFor(`the "both" run to end`, () => readSummary(both.runDir), 5 * 60_000, 250);
    const last = await waitFor('the queued run to end', () => readSummary(queued.runDir), 5 * 60_000, 250);
    assert.equal(last.status, 'done', `the queued run ended ${last.status}: ${last.error ?? ''}`);
    // The run folders tell the order: the queued run started after both runs before it had ended.
    const startedAt = Date.parse(readEvents(queued.runDir).events[0]!.time);
    assert.ok(startedAt >= Date.parse(stopped.endedAt), `queued run started ${new Date(startedAt).toISOString()}, the long run ended ${stopped.endedAt}`);
    assert.ok(startedAt >= Date.parse(first.endedAt), `queued run started ${new Date(startedAt).toISOString()}, the "both" run ended ${first.endedAt}`);
  });
});
