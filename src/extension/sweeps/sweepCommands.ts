/**
 * The Runs tree's sweep menu: Stop, Reveal, Delete (Open is distillery.openSweep). What each may
 * do is decided in sweepActions.ts; here it is said and done. The tree also hears of this
 * window's sweeps as they start and change, so a sweep's node appears at once, whether or not
 * file events arrive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSweep } from '../../protocol/sweep';
import { cancelSweep } from '../../sweep/slurm/follow';
import { COMMANDS } from '../commands/ids';
import { registerCommand, type CommandLog } from '../commands/registry';
import type { RunsTreeProvider } from '../tree/runsTree';
import type { EditorSweeps } from './editorSweeps';
import { deleteRefusal, planStop, sweepDirOf } from './sweepActions';

export function registerSweepCommands(owner: EditorSweeps, tree: Pick<RunsTreeProvider, 'refresh' | 'refreshSoon'>, log: CommandLog): vscode.Disposable {
  const dirOrSay = (arg: unknown): string | undefined => {
    const dir = sweepDirOf(arg);
    if (!dir) void vscode.window.showInformationMessage('Choose a sweep in the Runs view.');
    return dir && path.resolve(dir);
  };
  return vscode.Disposable.from(
    owner.onDidChange(() => tree.refreshSoon(100)),
    registerCommand(
      COMMANDS.stopSweep,
      async (arg?: unknown) => {
        const dir = dirOrSay(arg);
        if (!dir) return false;
        const plan = planStop(dir, owner);
        if (plan.kind === 'refused') {
          void vscode.window.showInformationMessage(plan.message);
          return false;
        }
        if (plan.kind === 'local') {
          // As the notification's Cancel: the running trials stop after their step, sweep.json ends "stopped".
          plan.sweep.stop();
          log.appendLine(`sweep ${path.basename(dir)}: stopping (Stop in the Runs view)`);
          return true;
        }
        const r = await cancelSweep(dir);
        log.appendLine(`sweep ${path.basename(dir)}: ${r.message}`);
        if (!r.ok) void vscode.window.showErrorMessage(`Sweep not cancelled: ${r.message}`);
        tree.refresh();
        return r.ok;
      },
      log,
    ),
    registerCommand(
      COMMANDS.revealSweepFolder,
      async (arg?: unknown) => {
        const dir = dirOrSay(arg);
        if (!dir) return undefined;
        const uri = vscode.Uri.file(dir);
        // The OS file manager on the desktop; the Explorer where there is none (web, remote), as Reveal Run Folder.
        if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) await vscode.commands.executeCommand('revealFileInOS', uri);
        else await vscode.commands.executeCommand('revealInExplorer', uri);
        return uri;
      },
      log,
    ),
    registerCommand(
      COMMANDS.deleteSweep,
      async (arg?: unknown) => {
        const dir = dirOrSay(arg);
        if (!dir) return false;
        const roots = vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath);
        const sweep = readSweep(dir);
        const refusal = deleteRefusal(dir, roots, owner, sweep);
        if (refusal) {
          void vscode.window.showWarningMessage(refusal);
          return false;
        }
        const answer = await vscode.window.showWarningMessage(
          `Delete sweep "${sweep?.name ?? path.basename(dir)}" (${path.basename(dir)}) and its ${sweep?.trials.length ?? 0} trials?`,
          { modal: true, detail: `${dir}\n\nIts sweep.json, trial configs and every trial's run folder are deleted for good.` },
          'Delete',
        );
        if (answer !== 'Delete') return false;
        await fs.promises.rm(dir, { recursive: true, force: true });
        tree.refresh();
        return true;
      },
      log,
    ),
  );
}
