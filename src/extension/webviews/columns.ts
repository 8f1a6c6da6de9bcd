/**
 * Which editor group a Distillery view or a file opens in, decided once: every Distillery view
 * shares one group beside the code (the group one of them already occupies; a first one goes
 * beside the active editor), and the files they open (kd.json, a model definition) go to the
 * code's group, never into the views' group.
 */
import * as vscode from 'vscode';

/** The group of the open Distillery panels (the active one's, else a visible one's), or beside the active editor when none is open. */
export function viewsColumn(open: readonly vscode.WebviewPanel[]): vscode.ViewColumn {
  const placed = open.filter((p) => p.viewColumn !== undefined);
  const home = placed.find((p) => p.active) ?? placed.find((p) => p.visible) ?? placed[0];
  return home?.viewColumn ?? vscode.ViewColumn.Beside;
}

const isDistilleryView = (tab: vscode.Tab | undefined) => tab?.input instanceof vscode.TabInputWebview && /distillery\./.test(tab.input.viewType);

/** The code's group: the first whose active tab is a text file, else the first without a Distillery view on top, else the first. */
export function codeColumn(): vscode.ViewColumn {
  const groups = vscode.window.tabGroups?.all ?? [];
  const group = groups.find((g) => g.activeTab?.input instanceof vscode.TabInputText) ?? groups.find((g) => !isDistilleryView(g.activeTab));
  return group?.viewColumn ?? vscode.ViewColumn.One;
}
