/**
 * The commands that open panels: a run's dashboard (or straight to its teacher-vs-student
 * tab), Compare Runs, a sweep's view, and the experiments table. Which run they mean is whichRun.ts's decision; which
 * panel opens or is revealed is the registry's (webviews/panels.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SWEEP_FILES } from '../../protocol/sweep';
import type { DashboardTab } from '../../protocol/webviewMessages';
import type { Panels } from '../webviews/panels';
import { COMMANDS } from './ids';
import { registerCommand, type CommandLog } from './registry';
import { pickRuns, resolveRun, whichRun, type RunRef, type RunSources } from './whichRun';

const SWEEPS_GLOB = `**/.distillery/sweeps/*/${SWEEP_FILES.sweep}`;

export function registerPanelCommands(panels: Panels, src: RunSources, log: CommandLog): vscode.Disposable {
  async function dashboardCommand(arg: unknown, tab?: DashboardTab): Promise<RunRef | undefined> {
    const ref = await whichRun(arg, src, tab === 'confusion' ? 'Teacher vs student: which run?' : 'Open the dashboard of which run?');
    if (ref) panels.openDashboard(ref, tab);
    return ref && { runId: ref.runId, runDir: ref.runDir };
  }

  async function compareCommand(...args: unknown[]): Promise<string[] | undefined> {
    // From the explorer a multi-select arrives as (clicked, all); from code, (ref, ref, …) or ([refs]).
    const flat = (args.length === 2 && Array.isArray(args[1]) ? args[1] : args.flat()).filter((a) => a !== undefined);
    const refs = flat.length
      ? (await Promise.all(flat.map((a) => resolveRun(a, src)))).filter((r): r is RunRef => !!r)
      : await pickRuns(src.tree, 'Compare which runs?');
    if (!refs?.length) return undefined;
    const dirs = [...new Set(refs.map((r) => r.runDir))];
    panels.openCompare(dirs);
    return dirs;
  }

  async function sweepCommand(arg?: unknown): Promise<string | undefined> {
    const dir = sweepDirOf(arg) ?? (await pickSweep());
    // `{ sweepDir, preserveFocus }`: a sweep that just started opens its view without taking the editor's focus.
    const preserveFocus = !!arg && typeof arg === 'object' && (arg as { preserveFocus?: unknown }).preserveFocus === true;
    if (dir) panels.openSweep(dir, preserveFocus);
    return dir;
  }

  return vscode.Disposable.from(
    registerCommand(COMMANDS.openDashboard, (arg?: unknown) => dashboardCommand(arg), log),
    registerCommand(COMMANDS.openConfusion, (arg?: unknown) => dashboardCommand(arg, 'confusion'), log),
    registerCommand(COMMANDS.compareRuns, compareCommand, log),
    registerCommand(COMMANDS.openSweep, sweepCommand, log),
    registerCommand(COMMANDS.showExperiments, () => void panels.openExperiments(), log),
  );
}

/** A sweep folder from a Uri, a path, or `{ sweepDir }` (a Runs-tree node); sweep.json itself names its folder. */
function sweepDirOf(arg: unknown): string | undefined {
  let dir: string | undefined;
  if (arg instanceof vscode.Uri) dir = arg.fsPath;
  else if (typeof arg === 'string') dir = arg;
  else if (arg && typeof arg === 'object' && typeof (arg as { sweepDir?: unknown }).sweepDir === 'string') dir = (arg as { sweepDir: string }).sweepDir;
  if (dir && fs.existsSync(dir) && fs.statSync(dir).isFile()) dir = path.dirname(dir);
  return dir;
}

async function pickSweep(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles(SWEEPS_GLOB, '**/node_modules/**', 200);
  if (!found.length) {
    void vscode.window.showInformationMessage('No temperature sweeps in this workspace yet.');
    return undefined;
  }
  const items = found
    .map((f) => ({ label: path.basename(path.dirname(f.fsPath)), description: vscode.workspace.asRelativePath(f), dir: path.dirname(f.fsPath) }))
    .sort((a, b) => b.label.localeCompare(a.label));
  return (await vscode.window.showQuickPick(items, { title: 'Open which sweep?' }))?.dir;
}
