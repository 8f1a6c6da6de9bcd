/**
 * Issue 4's pieces, wired: the Distillery sidebar (Teachers and Students, Runs), the commands
 * on runs and kd.json files, the status-bar item, and the kd.json editor features. Returns
 * the providers so the integration tests (through activate's API) can read the trees.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './commands/ids';
import { registerCommand } from './commands/registry';
import { registerRunCommands } from './commands/runCommands';
import type { Disposable } from './disposable';
import { registerKdJsonFeatures } from './kdjson/kdjsonFeatures';
import type { RunManager } from './runs/runManager';
import { registerStatusBar } from './runs/statusBar';
import { ModelsTreeProvider, openModelDefinition, type ModelNode } from './tree/modelsTree';
import { RunsTreeProvider } from './tree/runsTree';

export interface SidebarApi {
  runsTree: RunsTreeProvider;
  modelsTree: ModelsTreeProvider;
  diagnostics: vscode.DiagnosticCollection;
  statusBar: vscode.StatusBarItem;
}

export function registerSidebar(owner: Disposable, enginePath: string, runs: RunManager, log: vscode.OutputChannel): SidebarApi {
  const runsTree = owner.track(new RunsTreeProvider(runs));
  const modelsTree = owner.track(new ModelsTreeProvider());
  // The models view shows last accuracies, which change when a run finishes.
  owner.track(runs.onDidChange((r) => r.state === 'finished' && modelsTree.refreshSoon()));
  owner.track(vscode.window.createTreeView('distillery.runs', { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: false }));
  owner.track(vscode.window.createTreeView('distillery.models', { treeDataProvider: modelsTree, showCollapseAll: true }));
  owner.track(
    registerCommand(
      COMMANDS.refreshRuns,
      () => {
        runsTree.refresh();
        modelsTree.refreshSoon(0);
      },
      log,
    ),
  );
  owner.track(registerCommand(COMMANDS.openModelDefinition, (node: ModelNode) => openModelDefinition(node), log));
  registerRunCommands(owner, runs, log, runsTree);
  const statusBar = registerStatusBar(owner, runs);
  const diagnostics = registerKdJsonFeatures(owner, enginePath);
  return { runsTree, modelsTree, diagnostics, statusBar };
}
