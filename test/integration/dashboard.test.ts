/**
 * The run dashboard inside a real VS Code: it opens by itself when a run starts, receives the
 * run's live messages through the ready handshake, and shows the same run after being hidden
 * (its webview torn down) and shown again.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DashboardsApi } from '../../src/extension/webviews/panels';
import { readSummary } from '../../src/protocol/runFolder';
import { EXTENSION_ID, fixture, startRun, waitFor } from './helpers';

async function api(): Promise<DashboardsApi> {
  const ext = vscode.extensions.getExtension<{ dashboards: DashboardsApi }>(EXTENSION_ID)!;
  const exports = await ext.activate();
  assert.ok(exports.dashboards, 'activate() returns { dashboards }');
  return exports.dashboards;
}

describe('Run dashboard (webview)', () => {
  it('opens beside the code when a run starts, receives live messages, and draws the finished run', async function () {
    this.timeout(6 * 60_000);
    const dashboards = await api();
    const { runId, runDir } = await startRun(fixture('kd.json'));
    const opened = await waitFor('the dashboard of the new run', () => dashboards.dashboard(runId), 20_000);
    assert.equal(opened.viewType, 'distillery.dashboard');
    await waitFor('the webview to say ready', () => dashboards.dashboard(runId)?.readyCount, 60_000);

    const summary = await waitFor('summary.json', () => readSummary(runDir), 5 * 60_000, 250);
    assert.equal(summary.status, 'done');
    const stats = await waitFor(
      'live events posted to the webview',
      () => {
        const s = dashboards.dashboard(runId);
        return s && s.postedByType.init >= 1 && (s.eventsPosted > 0 || s.readyCount > 1) ? s : undefined;
      },
      30_000,
    );
    assert.ok(stats.postedByType.init >= 1, 'an init after ready');
    // The webview reports what it drew: every step of the run, and its status.
    const rendered = await waitFor(
      'the webview to draw the finished run',
      () => {
        const r = dashboards.dashboard(runId)?.lastRendered;
        return r && r.status === 'done' ? r : undefined;
      },
      30_000,
    );
    assert.ok(rendered.steps > 0, 'steps drawn');
    assert.ok(rendered.charts >= 2, `charts with data: ${rendered.charts}`);
    // Coalesced: never more event messages than 10 a second of the run, plus one.
    const runSeconds = summary.durationSec + 2;
    assert.ok((stats.postedByType.events ?? 0) <= Math.ceil(runSeconds * 10) + 1, `${stats.postedByType.events} event messages in ${runSeconds}s`);
  });

  it('shows the same run after it was hidden and shown again', async function () {
    this.timeout(2 * 60_000);
    const dashboards = await api();
    const panel = dashboards.panels().find((p) => p.viewType === 'distillery.dashboard' && p.runId);
    assert.ok(panel?.runId, 'a dashboard from the previous test is open');
    const runId = panel.runId!;
    await vscode.commands.executeCommand('distillery.openDashboard', runId);
    const before = await waitFor('a drawn dashboard', () => dashboards.dashboard(runId)?.lastRendered, 30_000);
    const readyBefore = dashboards.dashboard(runId)!.readyCount;

    // Another editor in the same group hides the webview (and tears its document down).
    const doc = await vscode.workspace.openTextDocument({ content: 'hide the dashboard', language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Active, preview: false });
    await waitFor('the dashboard to be hidden', () => dashboards.dashboard(runId)?.visible === false, 20_000);

    await vscode.commands.executeCommand('distillery.openDashboard', runId);
    await waitFor('the dashboard to be ready again', () => (dashboards.dashboard(runId)?.readyCount ?? 0) > readyBefore, 30_000);
    const after = await waitFor(
      'the dashboard to draw again',
      () => {
        const r = dashboards.dashboard(runId)?.lastRendered;
        return r && r.steps === before.steps ? r : undefined;
      },
      30_000,
    );
    assert.equal(after.status, before.status);
    assert.equal(after.epochs, before.epochs);
  });

  it('opens a finished run from its folder, with the confusion tab via distillery.openConfusion', async function () {
    this.timeout(60_000);
    const dashboards = await api();
    const panel = dashboards.panels().find((p) => p.viewType === 'distillery.dashboard' && p.runDir)!;
    const ref = await vscode.commands.executeCommand<{ runId: string }>('distillery.openConfusion', vscode.Uri.file(panel.runDir!));
    assert.equal(ref?.runId, panel.runId);
    await waitFor(
      'a showTab or init for the confusion tab',
      () => {
        const s = dashboards.dashboard(panel.runId!);
        return s && ((s.postedByType.showTab ?? 0) > 0 || (s.postedByType.init ?? 0) > 1);
      },
      20_000,
    );
  });
});
