/**
 * The webview panels' commands, their restoration after a window reload (a serializer per view
 * type; each re-reads its folders from the state the webview kept), and the dashboard that
 * opens by itself when a run starts. Returns a small API the integration tests read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FILES, readSummaryFile } from '../../protocol/runFolder';
import { uiStateFolderProblem } from '../../protocol/knownFolders';
import { parseWebviewUiState } from '../../protocol/webviewMessageSchema';
import type { DashboardTab, WebviewUiState } from '../../protocol/webviewMessages';
import { COMPARE_VIEW_TYPE, ComparePanel } from '../compare/comparePanel';
import type { RunManager } from '../runs/runManager';
import { SWEEP_VIEW_TYPE, SweepPanel } from '../sweeps/sweepPanel';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboardPanel';
import type { PanelStats } from './panelHost';

export interface RunRef {
  runId: string;
  runDir: string;
}

const RUNS_GLOB = '**/.distillery/runs/*/events.jsonl';
const SWEEPS_GLOB = '**/.distillery/sweeps/*/sweep.json';

/** A run folder from whatever a command got: a run id, {runId, runDir}, a folder or file Uri, a tree item. */
export async function resolveRun(arg: unknown, runs: RunManager): Promise<RunRef | undefined> {
  if (arg instanceof vscode.Uri) return fromDir(arg.fsPath);
  if (typeof arg === 'string') {
    if (path.isAbsolute(arg)) return fromDir(arg);
    const live = runs.get(arg);
    if (live) return { runId: live.runId, runDir: live.runDir };
    const found = await vscode.workspace.findFiles(`**/.distillery/runs/${arg}/${FILES.events}`, '**/node_modules/**', 1);
    return found[0] ? fromDir(path.dirname(found[0].fsPath)) : undefined;
  }
  if (arg && typeof arg === 'object') {
    const o = arg as { runId?: unknown; runDir?: unknown; resourceUri?: unknown; run?: unknown };
    if (typeof o.runDir === 'string') return { runId: typeof o.runId === 'string' ? o.runId : path.basename(o.runDir), runDir: o.runDir };
    if (o.resourceUri instanceof vscode.Uri) return fromDir(o.resourceUri.fsPath);
    if (o.run) return resolveRun(o.run, runs);
    if (typeof o.runId === 'string') return resolveRun(o.runId, runs);
  }
  return undefined;
}

function fromDir(p: string): RunRef | undefined {
  let dir = p;
  if (fs.existsSync(dir) && fs.statSync(dir).isFile()) dir = path.dirname(dir);
  // A file deeper inside the run folder (student/model.json): walk up to the folder with events.jsonl.
  for (let d = dir, i = 0; i < 3; i++, d = path.dirname(d)) if (fs.existsSync(path.join(d, FILES.events)) || fs.existsSync(path.join(d, FILES.config))) return { runId: path.basename(d), runDir: d };
  return fs.existsSync(dir) ? { runId: path.basename(dir), runDir: dir } : undefined;
}

async function pickRuns(canPickMany: true, title: string): Promise<RunRef[] | undefined>;
async function pickRuns(canPickMany: false, title: string): Promise<RunRef | undefined>;
async function pickRuns(canPickMany: boolean, title: string): Promise<RunRef[] | RunRef | undefined> {
  const found = await vscode.workspace.findFiles(RUNS_GLOB, '**/node_modules/**', 500);
  if (!found.length) {
    void vscode.window.showInformationMessage('No Distillery runs in this workspace yet. Start one with "Distill: Start Run".');
    return undefined;
  }
  const items = found
    .map((f) => path.dirname(f.fsPath))
    .sort()
    .reverse()
    .map((runDir) => {
      const { summary: s, problem } = readSummaryFile(runDir);
      const detail = s ? `${s.status} · student ${((s.student?.testAccuracy ?? NaN) * 100).toFixed(2)}%` : problem ?? 'no summary yet';
      return { label: path.basename(runDir), description: vscode.workspace.asRelativePath(path.dirname(path.dirname(path.dirname(runDir)))), detail, ref: { runId: path.basename(runDir), runDir } };
    });
  if (canPickMany) {
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title, placeHolder: 'Pick two or more runs' });
    return picked?.map((p) => p.ref);
  }
  return (await vscode.window.showQuickPick(items, { title }))?.ref;
}

export interface DashboardsApi {
  /** Every open Distillery panel's counters, for tests and diagnostics. */
  panels(): (PanelStats & { runId?: string; runDir?: string; sweepDir?: string; runDirs?: string[] })[];
  dashboard(runId: string): PanelStats | undefined;
}

export function registerDashboards(context: vscode.ExtensionContext, runs: RunManager): DashboardsApi {
  const extensionUri = context.extensionUri;
  const dashboards = new Map<string, DashboardPanel>();
  const sweeps = new Map<string, SweepPanel>();
  let compare: ComparePanel | undefined;

  const forget = (p: DashboardPanel) => dashboards.get(p.runId) === p && dashboards.delete(p.runId);
  const track = (p: DashboardPanel) => {
    dashboards.get(p.runId)?.dispose();
    dashboards.set(p.runId, p);
    return p;
  };

  function openDashboard(ref: RunRef, tab?: DashboardTab, preserveFocus = false): DashboardPanel {
    const existing = dashboards.get(ref.runId);
    if (existing && !existing.isDisposed) {
      existing.panel.reveal(undefined, preserveFocus);
      if (tab) existing.showTab(tab);
      return existing;
    }
    return track(DashboardPanel.create(extensionUri, runs, ref.runId, ref.runDir, tab, forget, preserveFocus));
  }

  async function dashboardCommand(arg: unknown, tab?: DashboardTab) {
    const ref = arg === undefined ? await pickRuns(false, tab === 'confusion' ? 'Teacher vs student: which run?' : 'Open the dashboard of which run?') : await resolveRun(arg, runs);
    if (!ref) {
      if (arg !== undefined) void vscode.window.showErrorMessage(`No Distillery run folder for ${JSON.stringify(arg instanceof vscode.Uri ? arg.fsPath : arg)}.`);
      return undefined;
    }
    openDashboard(ref, tab);
    return ref;
  }

  async function compareCommand(...args: unknown[]) {
    // From the explorer a multi-select arrives as (clicked, all); from code, (ref, ref, …) or ([refs]).
    const flat = (args.length === 2 && Array.isArray(args[1]) ? args[1] : args.flat()).filter((a) => a !== undefined);
    let refs: RunRef[] | undefined;
    if (flat.length) refs = (await Promise.all(flat.map((a) => resolveRun(a, runs)))).filter((r): r is RunRef => !!r);
    else refs = await pickRuns(true, 'Compare which runs?');
    if (!refs?.length) return undefined;
    const dirs = [...new Set(refs.map((r) => r.runDir))];
    if (compare && !compare.isDisposed) {
      compare.setRuns(dirs);
      compare.panel.reveal(undefined, false);
    } else {
      compare = ComparePanel.create(extensionUri, dirs, runs, (p) => compare === p && (compare = undefined));
    }
    return dirs;
  }

  async function sweepCommand(arg?: unknown) {
    let dir: string | undefined;
    if (arg instanceof vscode.Uri) dir = arg.fsPath;
    else if (typeof arg === 'string') dir = arg;
    else if (arg && typeof arg === 'object' && typeof (arg as { sweepDir?: unknown }).sweepDir === 'string') dir = (arg as { sweepDir: string }).sweepDir;
    if (dir && fs.existsSync(dir) && fs.statSync(dir).isFile()) dir = path.dirname(dir);
    if (!dir) {
      const found = await vscode.workspace.findFiles(SWEEPS_GLOB, '**/node_modules/**', 200);
      if (!found.length) {
        void vscode.window.showInformationMessage('No temperature sweeps in this workspace yet.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        found.map((f) => ({ label: path.basename(path.dirname(f.fsPath)), description: vscode.workspace.asRelativePath(f), dir: path.dirname(f.fsPath) })).sort((a, b) => b.label.localeCompare(a.label)),
        { title: 'Open which sweep?' },
      );
      dir = pick?.dir;
    }
    if (!dir) return undefined;
    const existing = sweeps.get(dir);
    if (existing && !existing.isDisposed) existing.panel.reveal(undefined, false);
    else sweeps.set(dir, SweepPanel.create(extensionUri, dir, (p) => sweeps.get(p.sweepDir) === p && sweeps.delete(p.sweepDir)));
    return dir;
  }

  /** A webview's kept state, restored only when it parses and names known run or sweep folders of this workspace. */
  const restorableState = (raw: unknown): WebviewUiState | undefined => {
    const state = parseWebviewUiState(raw);
    return state && !uiStateFolderProblem(state, vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath)) ? state : undefined;
  };

  const seen = new Set<string>();
  context.subscriptions.push(
    vscode.commands.registerCommand('distillery.openDashboard', (arg?: unknown) => dashboardCommand(arg)),
    vscode.commands.registerCommand('distillery.openConfusion', (arg?: unknown) => dashboardCommand(arg, 'confusion')),
    vscode.commands.registerCommand('distillery.compareRuns', compareCommand),
    vscode.commands.registerCommand('distillery.openSweep', sweepCommand),
    vscode.commands.registerCommand('distillery.applyBestSetting', async (sweepDir: string) => {
      const p = sweeps.get(sweepDir) ?? SweepPanel.create(extensionUri, sweepDir, (x) => sweeps.get(x.sweepDir) === x && sweeps.delete(x.sweepDir));
      sweeps.set(sweepDir, p);
      return p.applyBest();
    }),
    // A run this window starts gets its dashboard at once, beside the kd.json, without taking focus.
    runs.onDidChange((run) => {
      if (seen.has(run.runId) || run.state === 'finished') return;
      seen.add(run.runId);
      openDashboard({ runId: run.runId, runDir: run.runDir }, undefined, true);
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, raw: unknown) {
        const state = restorableState(raw);
        if (state?.view !== 'dashboard' || !state.runDir) {
          panel.dispose();
          return;
        }
        track(new DashboardPanel(panel, extensionUri, state.runId, state.runDir, runs, state.tab, forget));
      },
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, raw: unknown) {
        const state = restorableState(raw);
        if (state?.view !== 'compare' || !state.runDirs?.length) {
          panel.dispose();
          return;
        }
        compare?.dispose();
        compare = new ComparePanel(panel, extensionUri, state.runDirs, runs, (p) => compare === p && (compare = undefined));
      },
    }),
    vscode.window.registerWebviewPanelSerializer(SWEEP_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, raw: unknown) {
        const state = restorableState(raw);
        if (state?.view !== 'sweep' || !state.sweepDir) {
          panel.dispose();
          return;
        }
        sweeps.set(state.sweepDir, new SweepPanel(panel, extensionUri, state.sweepDir, (p) => sweeps.get(p.sweepDir) === p && sweeps.delete(p.sweepDir)));
      },
    }),
    { dispose: () => [...dashboards.values(), ...sweeps.values(), ...(compare ? [compare] : [])].forEach((p) => p.dispose()) },
  );

  return {
    panels: () => [
      ...[...dashboards.values()].map((p) => ({ ...p.stats, runId: p.runId, runDir: p.runDir })),
      ...(compare ? [{ ...compare.stats, runDirs: compare.runDirs }] : []),
      ...[...sweeps.values()].map((p) => ({ ...p.stats, sweepDir: p.sweepDir })),
    ],
    dashboard: (runId) => {
      const p = dashboards.get(runId);
      return p && { ...p.stats };
    },
  };
}
