/**
 * The temperature-sweep view: one panel per sweep folder, titled by the sweep's name. It
 * re-reads the folder on `ready`, whenever a file under it changes (debounced), and, while the
 * sweep runs, whenever a poll of its files sees a change (file events do not arrive everywhere:
 * sweepChanges.ts), so trials fill in while the sweep runs; it displays sweep.json's model and
 * computes no statistic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WebviewMessage, WebviewUiState } from '../../protocol/webviewMessages';
import { sweepConfigProblem, sweepTrialProblem } from '../../protocol/knownFolders';
import { COMMANDS } from '../commands/ids';
import { PanelHost } from '../webviews/panelHost';
import { bestParamEdits, minimalReplace } from '../../protocol/kdJsonEdits';
import { readSweep, SWEEP_FILES, type SweepFile } from '../../protocol/sweep';
import { planApplyBest } from '../../protocol/sweepBest';
import { sweepMayChange, SWEEP_POLL_MS, sweepSignature } from './sweepChanges';
import { loadSweep, sweepTitle } from './sweepData';

export const SWEEP_VIEW_TYPE = 'distillery.sweep';

export class SweepPanel extends PanelHost {
  /** The sweep as last posted, and its files' signature then: what the poll compares with. */
  private shown: SweepFile | undefined;
  private shownSignature = '';

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly sweepDir: string,
    private readonly onGone: (p: SweepPanel) => void,
  ) {
    super(panel, extensionUri, 'sweep');
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(sweepDir), '**/*.{json,jsonl}'));
    const changed = () => this.scheduleRefresh();
    for (const d of [watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed)]) this.track(d);
    const poll = setInterval(() => this.pollChanges(), SWEEP_POLL_MS);
    this.onDispose(() => clearInterval(poll));
  }

  /** The safety net under the watcher: while the sweep may change, a changed signature refreshes the view. */
  private pollChanges(): void {
    if (!this.ready || !sweepMayChange(this.shown)) return;
    if (sweepSignature(this.sweepDir, this.shown) !== this.shownSignature) this.scheduleRefresh();
  }

  static create(
    extensionUri: vscode.Uri,
    sweepDir: string,
    onGone: (p: SweepPanel) => void,
    preserveFocus = false,
    column: vscode.ViewColumn = vscode.ViewColumn.Beside,
  ): SweepPanel {
    const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, sweepTitle(sweepDir, readSweep(sweepDir)), { viewColumn: column, preserveFocus }, {});
    return new SweepPanel(panel, extensionUri, sweepDir, onGone);
  }

  private scheduleRefresh(): void {
    this.refreshSoon(250, () => this.post({ type: 'sweep', sweep: this.load() }));
  }

  protected onReady(_state: WebviewUiState | undefined): void {
    this.post({ type: 'init', view: 'sweep', sweepDir: this.sweepDir, sweep: this.load() });
  }

  /** The sweep as it stands, the tab titled by its name; a notice when sweep.json cannot be read. */
  private load(): SweepFile | undefined {
    // Stamped before the read: a change made while the folder is read, or a trial that starts, is seen by the next poll.
    const signature = sweepSignature(this.sweepDir, this.shown);
    const sweep = loadSweep(this.sweepDir);
    this.shown = sweep;
    this.shownSignature = sweepSignature(this.sweepDir, sweep) === signature ? signature : '';
    this.panel.title = sweepTitle(this.sweepDir, sweep);
    if (!sweep)
      this.post({ type: 'notice', level: 'error', text: `${path.join(this.sweepDir, SWEEP_FILES.sweep)} is missing or is not a Distillery sweep.json.` });
    return sweep;
  }

  protected async onMessage(message: WebviewMessage): Promise<void> {
    if (message.type === 'applyBest') await this.applyBest();
    else if (message.type === 'exportCsv') await this.exportCsv(message.fileName, message.csv);
    else if (message.type === 'openRun') {
      // The webview names the folder (a trial's runDir, relative to the sweep folder): only a trial of this sweep is opened.
      const runDir = path.resolve(this.sweepDir, message.runDir);
      const problem = sweepTrialProblem(this.sweepDir, runDir);
      if (problem) throw new Error(`Not opened: ${problem}.`);
      await vscode.commands.executeCommand(COMMANDS.openDashboard, vscode.Uri.file(runDir));
    }
  }

  /**
   * Sets the best setting's swept values (best mean over seeds, sweep.json's bestSetting) in the
   * kd.json the sweep came from, as one undoable edit, and says why it may not be better.
   */
  async applyBest(): Promise<boolean> {
    const sweep = loadSweep(this.sweepDir);
    if (!sweep) throw new Error(`Nothing applied: ${path.join(this.sweepDir, SWEEP_FILES.sweep)} cannot be read.`);
    const plan = planApplyBest(sweep);
    if (!plan.ok) {
      this.post({ type: 'notice', level: 'error', text: `Nothing applied: ${plan.reason}.` });
      return false;
    }
    const configPath = sweep.configPath && path.resolve(this.sweepDir, sweep.configPath);
    if (!configPath || !fs.existsSync(configPath))
      throw new Error(`The sweep does not name an existing kd.json (configPath: ${sweep.configPath ?? 'missing'}).`);
    // sweep.json names the file to edit: only the kd.json this sweep folder belongs to.
    const foreign = sweepConfigProblem(this.sweepDir, configPath);
    if (foreign) throw new Error(`Not applied: ${foreign}.`);
    const uri = vscode.Uri.file(configPath);
    const doc = await vscode.workspace.openTextDocument(uri);
    const wasDirty = doc.isDirty;
    const before = doc.getText();
    const { text: after } = bestParamEdits(before, plan.params, { insertSpaces: true, tabSize: 2, eol: doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n' });
    const what = Object.entries(plan.params)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    const doubts = plan.warnings.length ? ` Warning: ${plan.warnings.join('; ')}.` : '';
    if (plan.warnings.length) void vscode.window.showWarningMessage(`Best setting ${what}: ${plan.warnings.join('; ')}.`);
    if (after === before) {
      this.post({ type: 'notice', level: 'info', text: `${path.basename(configPath)} already has the best setting (${what}).${doubts}` });
      return true;
    }
    const r = minimalReplace(before, after);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(r.offset), doc.positionAt(r.offset + r.length)), r.content);
    const ok = await vscode.workspace.applyEdit(edit);
    // Saved when it was clean before, so the file on disk and a later Start Run agree; Undo still reverts it.
    if (ok && !wasDirty) await doc.save();
    this.post({
      type: 'notice',
      level: ok ? 'info' : 'error',
      text: ok ? `Applied the best setting ${what} to ${path.basename(configPath)}.${doubts}` : `Could not edit ${configPath}.`,
    });
    return ok;
  }

  private async exportCsv(fileName: string, csv: string): Promise<void> {
    const safe = path.basename(fileName).replace(/[^\w.-]+/g, '_') || 'sweep.csv';
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(this.sweepDir, safe)), filters: { CSV: ['csv'] } });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(csv));
    this.post({ type: 'notice', level: 'info', text: `Wrote ${target.fsPath}.` });
  }

  protected onDisposed(): void {
    this.onGone(this);
  }
}
