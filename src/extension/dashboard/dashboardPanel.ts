/**
 * The run dashboard: one panel per run, beside the kd.json. On every `ready` it reads the
 * run folder afresh (events.jsonl tolerating torn lines, summary.json, predictions and logits)
 * and then forwards the run's live engine events, coalesced to at most ten messages a second.
 * The engine writes each event to events.jsonl before it sends it, so anything missed while
 * the webview was hidden is on disk when it comes back.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMessage, RunEvent } from '../../protocol/events';
import { readSummary } from '../../protocol/runFolder';
import type { DashboardTab, WebviewMessage, WebviewUiState } from '../../protocol/webviewMessages';
import { COMMANDS } from '../commands/ids';
import type { RunManager } from '../runs/runManager';
import { Coalescer } from './coalescer';
import { PanelHost } from '../webviews/panelHost';
import { codeColumn } from '../webviews/columns';
import { loadDashboardInit, loadRunSeries, readConfig, readLogits, readPredictions } from './runData';
import { runPlanOf } from '../../protocol/runProgress';

export const DASHBOARD_VIEW_TYPE = 'distillery.dashboard';
/** Live messages per second at most. */
export const DASHBOARD_UPDATE_MS = 100;

export class DashboardPanel extends PanelHost {
  private readonly live: Coalescer<RunEvent>;
  private tab: DashboardTab | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly runId: string,
    readonly runDir: string,
    private readonly runs: RunManager,
    tab: DashboardTab | undefined,
    private readonly onGone: (p: DashboardPanel) => void,
  ) {
    super(panel, extensionUri, 'dashboard');
    this.tab = tab;
    this.live = new Coalescer<RunEvent>((events) => this.post({ type: 'events', runId: this.runId, events }), DASHBOARD_UPDATE_MS);
    this.track(this.live);
    this.track(runs.onMessage(({ run, message }) => run.runId === this.runId && this.onEngineMessage(message)));
    this.track(
      runs.onDidChange((run) => {
        if (run.runId !== this.runId) return;
        if (run.state === 'finished') {
          this.live.flush();
          this.post({ type: 'live', runId: this.runId, live: false });
          this.sendArtifacts();
        }
      }),
    );
  }

  static create(
    extensionUri: vscode.Uri,
    runs: RunManager,
    runId: string,
    runDir: string,
    tab: DashboardTab | undefined,
    onGone: (p: DashboardPanel) => void,
    preserveFocus: boolean,
    column: vscode.ViewColumn = vscode.ViewColumn.Beside,
  ): DashboardPanel {
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, titleFor(runId, runDir), { viewColumn: column, preserveFocus }, {});
    return new DashboardPanel(panel, extensionUri, runId, runDir, runs, tab, onGone);
  }

  private isLive(): boolean {
    const run = this.runs.get(this.runId);
    return !!run && run.state !== 'finished';
  }

  protected onReady(state: WebviewUiState | undefined): void {
    // Everything the engine sent so far is on disk: start over from there.
    this.live.clear();
    const remembered = state?.view === 'dashboard' ? state.tab : undefined;
    this.post(loadDashboardInit(this.runDir, this.runId, this.isLive(), remembered ?? this.tab));
    this.tab = undefined;
  }

  /** Reads the run folder again and starts the view over from it, as when it is shown again (meta.json changed). */
  reload(): void {
    if (this.ready) this.onReady(undefined);
  }

  protected onNotReady(): void {
    this.live.clear();
  }

  private onEngineMessage(message: EngineMessage): void {
    if (
      message.type === 'config_error' ||
      message.type === 'config_valid' ||
      message.type === 'engine_failed' ||
      message.type === 'data_progress' ||
      !this.ready
    )
      return;
    this.live.push(message);
    // A dashboard opened before the engine wrote config.json learns the run's plan (the whole run's ETA) now.
    if (message.type === 'run_started') this.post({ type: 'artifacts', runId: this.runId, plan: runPlanOf(readConfig(this.runDir)) });
    if (message.type === 'run_finished') {
      this.live.flush();
      this.sendArtifacts();
    }
  }

  private sendArtifacts(): void {
    this.post({
      type: 'artifacts',
      runId: this.runId,
      summary: readSummary(this.runDir),
      predictions: readPredictions(this.runDir),
      logits: readLogits(this.runDir),
    });
  }

  showTab(tab: DashboardTab): void {
    if (!this.post({ type: 'showTab', tab })) this.tab = tab;
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'stop':
        await vscode.commands.executeCommand(COMMANDS.stopRun, this.runId);
        break;
      case 'rerun': {
        const configPath = this.configPath();
        if (!configPath) throw new Error('This run does not record which kd.json started it.');
        await vscode.commands.executeCommand(COMMANDS.startRun, vscode.Uri.file(configPath));
        break;
      }
      case 'openConfig': {
        const configPath = this.configPath();
        if (configPath) await vscode.window.showTextDocument(vscode.Uri.file(configPath), { viewColumn: codeColumn() });
        break;
      }
      default:
        break;
    }
  }

  private configPath(): string | undefined {
    return this.runs.get(this.runId)?.configPath || loadRunSeries(this.runDir, this.runId).series.configPath || undefined;
  }

  protected onDisposed(): void {
    this.onGone(this);
  }
}

export function titleFor(runId: string, runDir: string): string {
  return `Run ${runId || path.basename(runDir)}`;
}
