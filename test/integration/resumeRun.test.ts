/**
 * Resume, as Start Run: a stopped run's Resume opens its dashboard (even one this window showed
 * before and closed) and trains on from its checkpoint.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunManager } from '../../src/extension/runs/runManager';
import type { DashboardsApi } from '../../src/extension/webviews/panels';
import { readEvents, readSummary } from '../../src/protocol/runFolder';
import { EXTENSION_ID, fixture, startRun, waitFor, type StartRunResult } from './helpers';

describe('Distill: Resume Run', function () {
  this.timeout(5 * 60_000);
  let runs: RunManager;
  let started: StartRunResult | undefined;

  after(async () => {
    // Never leave a run burning the CPU for the next suite.
    for (const r of runs?.active ?? []) await vscode.commands.executeCommand('distillery.stopRun', r.runId);
  });

  it('opens the dashboard of the resumed run and trains on', async () => {
    const api = await vscode.extensions.getExtension<{ runs: RunManager; dashboards: DashboardsApi }>(EXTENSION_ID)!.activate();
    runs = api.runs;
    started = await startRun(fixture('long.kd.json'));
    const { runId, runDir } = started;
    const steps = () => readEvents(runDir).events.filter((e) => e.type === 'step').length;
    // A run checkpoints after each epoch: one epoch done, there is something to resume from.
    await waitFor('a finished epoch (its checkpoint)', () => readEvents(runDir).events.some((e) => e.type === 'epoch'), 3 * 60_000, 100);
    await vscode.commands.executeCommand('distillery.stopRun', runId);
    assert.equal((await waitFor('the stopped summary', () => readSummary(runDir), 30_000)).status, 'stopped');
    await waitFor('the engine to exit', () => runs.get(runId)?.state === 'finished', 30_000);

    // This window showed the run's dashboard when it started; the person closed it since.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the dashboard to close', () => !api.dashboards.dashboard(runId), 10_000);

    const resumed = await vscode.commands.executeCommand<StartRunResult | undefined>('distillery.resumeRun', runId);
    assert.deepEqual(resumed, { runId, runDir });
    await waitFor('the dashboard of the resumed run', () => api.dashboards.dashboard(runId), 10_000);
    const before = steps();
    await waitFor('the resumed run to train on', () => runs.get(runId)?.state === 'running' && steps() > before, 3 * 60_000, 100);
  });
});
