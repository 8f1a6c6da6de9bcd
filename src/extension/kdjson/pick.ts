/**
 * Which kd.json a command on an experiment means (Start Run, Start Sweep): its argument, the
 * active editor's, the only one in the workspace, or a quick pick; saved first when it has
 * unsaved edits, because the engine reads the file on disk.
 */
import * as vscode from 'vscode';
import { isKdJsonPath, KD_EXCLUDE, KD_GLOB } from './kdFiles';

export async function pickKdJson(arg?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isKdJsonPath(active.fsPath)) return active;
  const found = await vscode.workspace.findFiles(KD_GLOB, KD_EXCLUDE, 200);
  if (found.length === 1) return found[0];
  if (!found.length) {
    void vscode.window.showWarningMessage('No kd.json in this workspace. Create one with "Distill: New kd.json".');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: 'Which experiment?' },
  );
  return pick?.uri;
}

/** The kd.json to act on (argument, active editor or quick pick), saved first if it has unsaved edits. */
export async function pickSavedKdJson(arg?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const uri = await pickKdJson(arg);
  const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
  return uri;
}
