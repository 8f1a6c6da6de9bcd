/**
 * The open Distillery panels: at most one dashboard per run, one Compare panel, one sweep view
 * per sweep folder, one experiments table. Opening one that is open reveals it; a panel closed by the user leaves
 * the registry; disposing the registry closes them all. A run this window starts gets its
 * dashboard at once. The counters (PanelStats) are what the integration tests read.
 */
import * as vscode from 'vscode';
import type { DashboardTab } from '../../protocol/webviewMessages';
import { ComparePanel } from '../compare/comparePanel';
import { DashboardPanel } from '../dashboard/dashboardPanel';
import { Disposable } from '../disposable';
import type { RunManager } from '../runs/runManager';
import { SweepPanel } from '../sweeps/sweepPanel';
import { ExperimentsPanel } from '../experiments/experimentsPanel';
import type { RunsTreeProvider } from '../tree/runsTree';
import type { RunRef } from '../commands/whichRun';
import type { PanelHost, PanelStats } from './panelHost';
import { viewsColumn } from './columns';

export interface DashboardsApi {
  /** Every open Distillery panel's counters, for tests and diagnostics. */
  panels(): (PanelStats & { runId?: string; runDir?: string; sweepDir?: string; runDirs?: string[]; rows?: number })[];
  dashboard(runId: string): PanelStats | undefined;
}

export class Panels extends Disposable implements DashboardsApi {
  private readonly dashboards = new Map<string, DashboardPanel>();
  private readonly sweeps = new Map<string, SweepPanel>();
  private compare: ComparePanel | undefined;
  private experiments: ExperimentsPanel | undefined;
  private readonly seen = new Set<string>();

  constructor(
    readonly extensionUri: vscode.Uri,
    readonly runs: RunManager,
    /** Where the experiments table reads the workspace's runs and sweeps: the Runs view's provider. */
    readonly tree: RunsTreeProvider,
  ) {
    super();
    this.onDispose(() => this.all().forEach((p) => p.dispose()));
    // A run this window starts gets its dashboard at once, beside the kd.json, without taking focus.
    this.track(
      runs.onDidChange((run) => {
        if (this.seen.has(run.runId) || run.state === 'finished') return;
        this.seen.add(run.runId);
        this.openDashboard({ runId: run.runId, runDir: run.runDir }, undefined, true);
      }),
    );
  }

  /** Every open panel, newest kinds last. */
  private all(): PanelHost[] {
    return [
      ...this.dashboards.values(),
      ...this.sweeps.values(),
      ...(this.compare ? [this.compare] : []),
      ...(this.experiments ? [this.experiments] : []),
    ].filter((p) => !p.isDisposed);
  }

  /** One editor group for every Distillery view, beside the code (webviews/columns.ts). */
  private column(): vscode.ViewColumn {
    return viewsColumn(this.all().map((p) => p.panel));
  }

  private readonly forgetDashboard = (p: DashboardPanel) => this.dashboards.get(p.runId) === p && this.dashboards.delete(p.runId);
  private readonly forgetSweep = (p: SweepPanel) => this.sweeps.get(p.sweepDir) === p && this.sweeps.delete(p.sweepDir);
  private readonly forgetCompare = (p: ComparePanel) => this.compare === p && (this.compare = undefined);
  private readonly forgetExperiments = (p: ExperimentsPanel) => this.experiments === p && (this.experiments = undefined);

  /** An open dashboard of the run reads its folder again (its name, tags or note changed). */
  reloadDashboard(runId: string): void {
    this.dashboards.get(runId)?.reload();
  }

  openDashboard(ref: RunRef, tab?: DashboardTab, preserveFocus = false): DashboardPanel {
    const existing = this.dashboards.get(ref.runId);
    if (existing && !existing.isDisposed) {
      existing.panel.reveal(undefined, preserveFocus);
      if (tab) existing.showTab(tab);
      return existing;
    }
    return this.adoptDashboard(
      DashboardPanel.create(this.extensionUri, this.runs, ref.runId, ref.runDir, tab, this.forgetDashboard, preserveFocus, this.column()),
    );
  }

  openCompare(runDirs: string[]): void {
    if (this.compare && !this.compare.isDisposed) {
      this.compare.setRuns(runDirs);
      this.compare.panel.reveal(undefined, false);
    } else {
      this.compare = ComparePanel.create(this.extensionUri, runDirs, this.runs, this.forgetCompare, this.column());
    }
  }

  openSweep(sweepDir: string, preserveFocus = false): void {
    const existing = this.sweeps.get(sweepDir);
    if (existing && !existing.isDisposed) existing.panel.reveal(undefined, preserveFocus);
    else this.sweeps.set(sweepDir, SweepPanel.create(this.extensionUri, sweepDir, this.forgetSweep, preserveFocus, this.column()));
  }

  openExperiments(): ExperimentsPanel {
    if (this.experiments && !this.experiments.isDisposed) this.experiments.panel.reveal(undefined, false);
    else this.experiments = ExperimentsPanel.create(this.extensionUri, this.tree, this.forgetExperiments, this.column());
    return this.experiments;
  }

  restoreExperiments(panel: vscode.WebviewPanel): void {
    this.experiments?.dispose();
    this.experiments = new ExperimentsPanel(panel, this.extensionUri, this.tree, this.forgetExperiments);
  }

  /** Restored after a reload (serializers.ts): the panel VS Code kept, under the state's folders. */
  restoreDashboard(panel: vscode.WebviewPanel, runId: string, runDir: string, tab: DashboardTab | undefined): void {
    this.adoptDashboard(new DashboardPanel(panel, this.extensionUri, runId, runDir, this.runs, tab, this.forgetDashboard));
  }

  restoreCompare(panel: vscode.WebviewPanel, runDirs: string[]): void {
    this.compare?.dispose();
    this.compare = new ComparePanel(panel, this.extensionUri, runDirs, this.runs, this.forgetCompare);
  }

  restoreSweep(panel: vscode.WebviewPanel, sweepDir: string): void {
    this.sweeps.get(sweepDir)?.dispose();
    this.sweeps.set(sweepDir, new SweepPanel(panel, this.extensionUri, sweepDir, this.forgetSweep));
  }

  private adoptDashboard(p: DashboardPanel): DashboardPanel {
    this.dashboards.get(p.runId)?.dispose();
    this.dashboards.set(p.runId, p);
    return p;
  }

  panels(): ReturnType<DashboardsApi['panels']> {
    return [
      ...[...this.dashboards.values()].map((p) => ({ ...p.stats, runId: p.runId, runDir: p.runDir })),
      ...(this.compare ? [{ ...this.compare.stats, runDirs: this.compare.runDirs }] : []),
      ...[...this.sweeps.values()].map((p) => ({ ...p.stats, sweepDir: p.sweepDir })),
      ...(this.experiments ? [{ ...this.experiments.stats, rows: this.experiments.shownRows.length }] : []),
    ];
  }

  dashboard(runId: string): PanelStats | undefined {
    const p = this.dashboards.get(runId);
    return p && { ...p.stats };
  }
}
