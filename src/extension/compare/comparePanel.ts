/**
 * "Distill: Compare Runs": one panel overlaying several runs' curves, with the differences
 * between their config.json files and their results. It re-reads the folders on every
 * `ready`, and again (at most once a second) while any of them is live in this window.
 */
import * as vscode from 'vscode';
import type { WebviewMessage, WebviewUiState } from '../../protocol/webviewMessages';
import { PanelHost } from '../webviews/panelHost';
import { loadCompareRun } from '../dashboard/runData';
import { COMMANDS } from '../commands/ids';
import type { RunManager } from '../runs/runManager';

export const COMPARE_VIEW_TYPE = 'distillery.compare';

export class ComparePanel extends PanelHost {
  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    public runDirs: string[],
    runs: RunManager,
    private readonly onGone: (p: ComparePanel) => void,
  ) {
    super(panel, extensionUri, 'compare');
    this.track(
      runs.onMessage(({ run, message }) => {
        if (!this.runDirs.includes(run.runDir)) return;
        if (message.type === 'epoch' || message.type === 'stage_done' || message.type === 'run_finished') this.scheduleRefresh();
      }),
    );
  }

  static create(
    extensionUri: vscode.Uri,
    runDirs: string[],
    runs: RunManager,
    onGone: (p: ComparePanel) => void,
    column: vscode.ViewColumn = vscode.ViewColumn.Beside,
  ): ComparePanel {
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare ${runDirs.length} runs`, column, {});
    return new ComparePanel(panel, extensionUri, runDirs, runs, onGone);
  }

  setRuns(runDirs: string[]): void {
    this.runDirs = runDirs;
    this.panel.title = `Compare ${runDirs.length} runs`;
    this.refresh();
  }

  private scheduleRefresh(): void {
    this.refreshSoon(1000, () => this.refresh());
  }

  private refresh(): void {
    this.post({ type: 'init', view: 'compare', runs: this.runDirs.map(loadCompareRun) });
  }

  protected onReady(_state: WebviewUiState | undefined): void {
    this.refresh();
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    if (message.type === 'openRun' && this.runDirs.includes(message.runDir)) {
      await vscode.commands.executeCommand(COMMANDS.openDashboard, vscode.Uri.file(message.runDir));
    }
  }

  protected onDisposed(): void {
    this.onGone(this);
  }
}
