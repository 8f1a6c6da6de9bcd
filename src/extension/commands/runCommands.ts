/**
 * The commands on runs and kd.json files that the sidebar, the palette and the editor share:
 * Re-run, Reveal Run Folder, Open kd.json, Delete Run, Export Student, New kd.json, and
 * the click on a run. Each takes a tree node, `{ runId, runDir }`, or a run id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FILES } from '../../protocol/runFolder';
import type { RunManager } from '../runs/runManager';
import { deleteRefusal, exportRefusal, type RunRecord } from '../tree/runInfo';
import { runArg, type RunsTreeProvider } from '../tree/runsTree';
import { launchFor, refuseUntrusted } from './startRun';
import { freeKdJsonName, STARTER_KD_JSON } from './starterKdJson';

export async function commandExists(id: string): Promise<boolean> {
  return (await vscode.commands.getCommands(true)).includes(id);
}

export function registerRunCommands(context: vscode.ExtensionContext, runs: RunManager, log: vscode.OutputChannel, tree: RunsTreeProvider): void {
  /** The run a command is about: its argument, or a quick pick of the runs on disk. */
  const pickRun = async (arg: unknown, title: string, filter: (r: RunRecord) => boolean = () => true): Promise<RunRecord | undefined> => {
    if (arg !== undefined) {
      if (!tree.records.length) tree.records = await tree.loadRecords();
      let r = runArg(tree, arg);
      if (!r) {
        tree.records = await tree.loadRecords();
        r = runArg(tree, arg);
      }
      if (!r) void vscode.window.showErrorMessage(`No Distillery run ${JSON.stringify(arg && typeof arg === 'object' && 'runId' in arg ? (arg as { runId: string }).runId : arg)}.`);
      return r;
    }
    const records = (await tree.loadRecords()).filter(filter);
    if (!records.length) {
      void vscode.window.showInformationMessage('No Distillery runs here yet.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      records.map((r) => ({ label: r.name, description: `${r.status} · ${r.runId}`, record: r })),
      { title },
    );
    return pick?.record;
  };

  const configUriOf = (r: RunRecord): vscode.Uri | undefined => {
    if (r.configPath && fs.existsSync(r.configPath)) return vscode.Uri.file(r.configPath);
    void vscode.window.showErrorMessage(`The kd.json of run ${r.runId} is gone${r.configPath ? ` (${r.configPath})` : ''}.`);
    return undefined;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('distillery.rerun', async (arg?: unknown) => {
      const r = await pickRun(arg, 'Re-run which run?');
      const uri = r && configUriOf(r);
      // Start Run on its kd.json, as the palette does (a kd.json with several seeds is a seeded run, owned by the window's sweeps).
      return uri ? vscode.commands.executeCommand('distillery.startRun', uri) : undefined;
    }),

    vscode.commands.registerCommand('distillery.resumeRun', async (arg?: unknown) => {
      if (refuseUntrusted('resumes runs')) return undefined;
      const r = await pickRun(arg, 'Resume which crashed or stopped run?', (rec) => rec.status === 'crashed' || rec.status === 'stopped');
      if (!r) return undefined;
      const launch = launchFor(vscode.Uri.file(r.configPath ?? r.runDir), log);
      if (!launch) return undefined;
      const run = runs.enqueueResume(r.runDir, r.name, r.configPath, launch);
      log.appendLine(`[${run.runId}] resuming from its last checkpoint`);
      // A run that cannot be resumed (no checkpoint yet, finished) says why.
      void run.finished.then(() => {
        if (run.last?.type === 'engine_failed') void vscode.window.showErrorMessage(`Cannot resume ${r.name}: ${run.last.message}`);
      });
      return { runId: run.runId, runDir: run.runDir };
    }),

    vscode.commands.registerCommand('distillery.revealRunFolder', async (arg?: unknown) => {
      const r = await pickRun(arg, 'Reveal which run folder?');
      if (!r) return undefined;
      const uri = vscode.Uri.file(r.runDir);
      // The OS file manager on the desktop; the Explorer where there is none (web, remote).
      if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) await vscode.commands.executeCommand('revealFileInOS', uri);
      else await vscode.commands.executeCommand('revealInExplorer', uri);
      return uri;
    }),

    vscode.commands.registerCommand('distillery.openRunKdJson', async (arg?: unknown) => {
      const r = await pickRun(arg, 'Open the kd.json of which run?');
      const uri = r && configUriOf(r);
      if (uri) await vscode.window.showTextDocument(uri);
      return uri;
    }),

    vscode.commands.registerCommand('distillery.deleteRun', async (arg?: unknown) => {
      const roots = vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath);
      const r = await pickRun(arg, 'Delete which run?', (x) => !deleteRefusal(x, roots));
      if (!r) return false;
      const refusal = deleteRefusal(r, roots);
      if (refusal) {
        void vscode.window.showWarningMessage(refusal);
        return false;
      }
      const answer = await vscode.window.showWarningMessage(`Delete the run folder of "${r.name}" (${r.runId})?`, { modal: true, detail: `${r.runDir}\n\nIts events, summary and saved student are deleted for good.` }, 'Delete');
      if (answer !== 'Delete') return false;
      await fs.promises.rm(r.runDir, { recursive: true, force: true });
      tree.refresh();
      return true;
    }),

    vscode.commands.registerCommand('distillery.exportStudent', async (arg?: unknown, target?: vscode.Uri) => {
      const r = await pickRun(arg, 'Export the student of which run?', (x) => x.status === 'done');
      if (!r) return undefined;
      const from = path.join(r.runDir, r.summary?.studentModel ?? FILES.student);
      if (!fs.existsSync(path.join(from, 'model.json'))) {
        void vscode.window.showErrorMessage(`Run ${r.runId} has no saved student (${from}).`);
        return undefined;
      }
      let dest = target;
      if (!dest) {
        dest = await vscode.window.showSaveDialog({
          title: 'Export the distilled student (a folder with model.json and weights)',
          saveLabel: 'Export',
          defaultUri: vscode.Uri.file(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(r.runDir), `${r.name}-student`)),
        });
      }
      if (!dest) return undefined;
      const refusal = exportRefusal(from, dest.fsPath);
      if (refusal) {
        void vscode.window.showErrorMessage(refusal);
        return undefined;
      }
      await fs.promises.cp(from, dest.fsPath, { recursive: true, force: false, errorOnExist: true });
      void vscode.window.showInformationMessage(`Exported the student of "${r.name}" to ${dest.fsPath}.`);
      return dest;
    }),

    vscode.commands.registerCommand('distillery.openRun', async (arg?: unknown) => {
      const r = await pickRun(arg, 'Open which run?');
      if (!r) return undefined;
      if (await commandExists('distillery.openDashboard')) return vscode.commands.executeCommand('distillery.openDashboard', { runId: r.runId, runDir: r.runDir });
      const file = path.join(r.runDir, fs.existsSync(path.join(r.runDir, FILES.summary)) ? FILES.summary : FILES.events);
      return vscode.window.showTextDocument(vscode.Uri.file(file));
    }),

    vscode.commands.registerCommand('distillery.newKdJson', async (folderArg?: vscode.Uri) => {
      let folder = folderArg;
      if (!folder) {
        const folders = vscode.workspace.workspaceFolders ?? [];
        if (folders.length === 1) folder = folders[0].uri;
        else if (folders.length > 1) folder = (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Create the kd.json in which folder?' }))?.uri;
        else folder = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create kd.json here' }))?.[0];
      }
      if (!folder) return undefined;
      const name = freeKdJsonName((n) => fs.existsSync(path.join(folder!.fsPath, n)));
      const uri = vscode.Uri.joinPath(folder, name);
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(STARTER_KD_JSON));
      await vscode.window.showTextDocument(uri);
      return uri;
    }),
  );
}
