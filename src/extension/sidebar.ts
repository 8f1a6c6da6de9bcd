/**
 * Issue 4's pieces, wired: the Distillery sidebar (Teachers and Students, Runs), the commands
 * on runs and kd.json files, the status-bar item, and the kd.json editor features. Returns
 * the providers so the integration tests (through activate's API) can read the trees.
 */
import * as vscode from 'vscode';
import { registerRunCommands } from './commands/runCommands';
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

export function registerSidebar(context: vscode.ExtensionContext, runs: RunManager, log: vscode.OutputChannel): SidebarApi {
  const runsTree = new RunsTreeProvider(runs);
  const modelsTree = new ModelsTreeProvider();
  // The models view shows last accuracies, which change when a run finishes.
  runs.onDidChange((r) => r.state === 'finished' && modelsTree.refreshSoon(), undefined, context.subscriptions);
  context.subscriptions.push(
    runsTree,
    modelsTree,
    vscode.window.createTreeView('distillery.runs', { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: false }),
    vscode.window.createTreeView('distillery.models', { treeDataProvider: modelsTree, showCollapseAll: true }),
    vscode.commands.registerCommand('distillery.refreshRuns', () => {
      runsTree.refresh();
      modelsTree.refreshSoon(0);
    }),
    vscode.commands.registerCommand('distillery.openModelDefinition', (node: ModelNode) => openModelDefinition(node)),
  );
  registerRunCommands(context, runs, log, runsTree);
  const statusBar = registerStatusBar(context, runs);
  const diagnostics = registerKdJsonFeatures(context);
  return { runsTree, modelsTree, diagnostics, statusBar };
}
