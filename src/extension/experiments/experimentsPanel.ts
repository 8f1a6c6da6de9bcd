/**
 * "Distill: Show Experiments": one table of every run and sweep trial of the workspace (CLI
 * runs included), read through the Runs tree's records (the one reader and status rule) and
 * sweeps (readSweep), their settings, names, tags and git state included. It re-reads when the tree learns of a change (file watchers, this
 * window's engines; debounced), and every few seconds while a row is live, so durations tick
 * and a dead engine turns crashed. Paths the webview posts back are only ever rows it was sent.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentRow } from '../../protocol/experiments';
import type { WebviewMessage, WebviewUiState } from '../../protocol/webviewMessages';
import { COMMANDS } from '../commands/ids';
import type { RunsTreeProvider } from '../tree/runsTree';
import { PanelHost } from '../webviews/panelHost';
import { experimentRows } from './experimentRows';

export const EXPERIMENTS_VIEW_TYPE = 'distillery.experiments';
const TITLE = 'Experiments';
/** How often live rows are re-read when nothing else says they changed. */
const LIVE_POLL_MS = 3000;

export class ExperimentsPanel extends PanelHost {
  private rows: ExperimentRow[] = [];
  private poll: ReturnType<typeof setTimeout> | undefined;
  /** Loads since the panel opened, for tests and diagnostics. */
  loads = 0;

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly tree: RunsTreeProvider,
    private readonly onGone: (p: ExperimentsPanel) => void,
  ) {
    super(panel, extensionUri, 'experiments');
    this.track(tree.onDidChangeTreeData(() => this.refreshSoon(400, () => void this.send('experiments'))));
    this.onDispose(() => this.poll && clearTimeout(this.poll));
  }

  static create(
    extensionUri: vscode.Uri,
    tree: RunsTreeProvider,
    onGone: (p: ExperimentsPanel) => void,
    column: vscode.ViewColumn = vscode.ViewColumn.Beside,
  ): ExperimentsPanel {
    const panel = vscode.window.createWebviewPanel(EXPERIMENTS_VIEW_TYPE, TITLE, column, {});
    return new ExperimentsPanel(panel, extensionUri, tree, onGone);
  }

  /** The rows last sent, for tests. */
  get shownRows(): readonly ExperimentRow[] {
    return this.rows;
  }

  async load(): Promise<ExperimentRow[]> {
    const [records, sweeps] = await Promise.all([this.tree.loadRecords(), this.tree.loadSweeps()]);
    this.loads++;
    return experimentRows({
      records,
      sweeps: sweeps.map((s) => ({
        sweep: s.sweep,
        sweepDir: s.sweepDir,
        trials: s.trials.flatMap((t) => (t.kind === 'run' ? [t.record] : [])),
      })),
      relative: (p) => vscode.workspace.asRelativePath(p, true),
      nowMs: Date.now(),
    });
  }

  private async send(type: 'init' | 'experiments'): Promise<void> {
    if (this.isDisposed) return;
    this.rows = await this.load();
    this.post(type === 'init' ? { type: 'init', view: 'experiments', rows: this.rows } : { type: 'experiments', rows: this.rows });
    if (this.poll) clearTimeout(this.poll);
    if (this.rows.some((r) => r.status === 'running' || r.status === 'queued' || r.status === 'not-responding'))
      this.poll = setTimeout(() => void this.send('experiments'), LIVE_POLL_MS);
  }

  protected onReady(_state: WebviewUiState | undefined): Promise<void> {
    return this.send('init');
  }

  /** The rows' folders named by the webview, each one a row it was sent; else an error naming the first that is not. */
  private known(dirs: string[]): string[] {
    const shown = new Set(this.rows.map((r) => path.resolve(r.runDir)));
    const foreign = dirs.find((d) => !shown.has(path.resolve(d)));
    if (foreign) throw new Error(`Not opened: ${foreign} is not a run in the experiments table.`);
    return dirs;
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    if (message.type === 'openRun') {
      const [dir] = this.known([message.runDir]);
      await vscode.commands.executeCommand(COMMANDS.openDashboard, vscode.Uri.file(dir));
    } else if (message.type === 'compareRuns') {
      const dirs = this.known(message.runDirs);
      await vscode.commands.executeCommand(
        COMMANDS.compareRuns,
        dirs.map((d) => vscode.Uri.file(d)),
      );
    } else if (message.type === 'openSweep') {
      if (!this.rows.some((r) => r.sweep && path.resolve(r.sweep.sweepDir) === path.resolve(message.sweepDir)))
        throw new Error(`Not opened: ${message.sweepDir} is not a sweep in the experiments table.`);
      await vscode.commands.executeCommand(COMMANDS.openSweep, { sweepDir: message.sweepDir });
    } else if (message.type === 'exportCsv') await this.exportCsv(message.fileName, message.csv);
  }

  private async exportCsv(fileName: string, csv: string): Promise<void> {
    const safe = path.basename(fileName).replace(/[^\w.-]+/g, '_') || 'experiments.csv';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, safe) : undefined,
      filters: { CSV: ['csv'] },
      title: 'Export the experiments table',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(csv));
    const text = `Exported the experiments table to ${target.fsPath}.`;
    this.post({ type: 'notice', level: 'info', text });
    void vscode.window.showInformationMessage(text);
  }

  protected onDisposed(): void {
    this.onGone(this);
  }
}
