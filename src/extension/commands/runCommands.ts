/**
 * The commands on runs and kd.json files that the sidebar, the palette and the editor share:
 * Re-run, Reveal Run Folder, Open kd.json, Delete Run, Export Student, New kd.json, and
 * the click on a run. Each takes a tree node, `{ runId, runDir }`, or a run id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeColumn } from '../webviews/columns';
import { FILES } from '../../protocol/runFolder';
import type { Disposable } from '../disposable';
import { launchFor, refuseUntrusted } from '../runs/launch';
import type { RunManager } from '../runs/runManager';
import { showRunProgress } from '../runs/runNotices';
import { deleteRefusal, exportRefusal, type RunRecord } from '../tree/runInfo';
import type { RunsTreeProvider } from '../tree/runsTree';
import { COMMANDS, type CommandId } from './ids';
import { registerCommand } from './registry';
import { runExportCli } from '../../client/exportProcess';
import { defaultExportName, EXPORT_FORM_ITEMS, exportSummaryLine, type ExportForm } from './exportForms';
import { freeKdJsonName, STARTER_KD_JSON } from './starterKdJson';
import { whichRecord } from './whichRun';

export function registerRunCommands(owner: Disposable, runs: RunManager, log: vscode.OutputChannel, tree: RunsTreeProvider): void {
  /** The run a command is about: its argument, or a quick pick of the runs on disk (whichRun.ts). */
  const pickRun = (arg: unknown, title: string, filter?: (r: RunRecord) => boolean) => whichRecord(arg, { runs, tree }, title, filter);

  const configUriOf = (r: RunRecord): vscode.Uri | undefined => {
    if (r.configPath && fs.existsSync(r.configPath)) return vscode.Uri.file(r.configPath);
    void vscode.window.showErrorMessage(`The kd.json of run ${r.runId} is gone${r.configPath ? ` (${r.configPath})` : ''}.`);
    return undefined;
  };

  const commands: [CommandId, (...args: never[]) => unknown][] = [
    [
      COMMANDS.rerun,
      async (arg?: unknown) => {
        const r = await pickRun(arg, 'Re-run which run?');
        const uri = r && configUriOf(r);
        // Start Run on its kd.json, as the palette does (a kd.json with several seeds is a seeded run, owned by the window's sweeps).
        return uri ? vscode.commands.executeCommand(COMMANDS.startRun, uri) : undefined;
      },
    ],

    [
      COMMANDS.resumeRun,
      async (arg?: unknown) => {
        if (refuseUntrusted('resumes runs')) return undefined;
        const r = await pickRun(arg, 'Resume which crashed or stopped run?', (rec) => rec.status === 'crashed' || rec.status === 'stopped');
        if (!r) return undefined;
        const launch = launchFor(vscode.Uri.file(r.configPath ?? r.runDir), log);
        if (!launch) return undefined;
        const run = runs.enqueueResume(r.runDir, r.name, r.configPath, launch);
        log.appendLine(`[${run.runId}] resuming from its last checkpoint`);
        // As Start Run: its dashboard (the window may have shown this run before, so it is opened
        // here, not left to the first-start rule) and a progress notification named by the run,
        // which ends with why a run that cannot be resumed (no checkpoint yet) was not.
        void showRunProgress(runs, run.runId);
        await vscode.commands.executeCommand(COMMANDS.openDashboard, { runId: run.runId, runDir: run.runDir });
        return { runId: run.runId, runDir: run.runDir };
      },
    ],

    [
      COMMANDS.revealRunFolder,
      async (arg?: unknown) => {
        const r = await pickRun(arg, 'Reveal which run folder?');
        if (!r) return undefined;
        const uri = vscode.Uri.file(r.runDir);
        // The OS file manager on the desktop; the Explorer where there is none (web, remote).
        if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) await vscode.commands.executeCommand('revealFileInOS', uri);
        else await vscode.commands.executeCommand('revealInExplorer', uri);
        return uri;
      },
    ],

    [
      COMMANDS.openRunKdJson,
      async (arg?: unknown) => {
        const r = await pickRun(arg, 'Open the kd.json of which run?');
        const uri = r && configUriOf(r);
        // In the code's group: from a dashboard, the focus is in the views' group.
        if (uri) await vscode.window.showTextDocument(uri, { viewColumn: codeColumn() });
        return uri;
      },
    ],

    [
      COMMANDS.deleteRun,
      async (arg?: unknown) => {
        const roots = vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath);
        const r = await pickRun(arg, 'Delete which run?', (x) => !deleteRefusal(x, roots));
        if (!r) return false;
        const refusal = deleteRefusal(r, roots);
        if (refusal) {
          void vscode.window.showWarningMessage(refusal);
          return false;
        }
        const answer = await vscode.window.showWarningMessage(
          `Delete the run folder of "${r.name}" (${r.runId})?`,
          { modal: true, detail: `${r.runDir}\n\nIts events, summary and saved student are deleted for good.` },
          'Delete',
        );
        if (answer !== 'Delete') return false;
        await fs.promises.rm(r.runDir, { recursive: true, force: true });
        tree.refresh();
        return true;
      },
    ],

    [
      COMMANDS.exportStudent,
      async (arg?: unknown, target?: vscode.Uri) => {
        const r = await pickRun(arg, 'Export the student of which run?', (x) => x.status === 'done');
        if (!r) return undefined;
        const from = path.join(r.runDir, r.summary?.studentModel ?? FILES.student);
        if (!fs.existsSync(path.join(from, 'model.json'))) {
          void vscode.window.showErrorMessage(`Run ${r.runId} has no saved student (${from}).`);
          return undefined;
        }
        let dest = target;
        // A target given (by a caller) is a tfjs folder, or an ONNX file by its name; otherwise the form is asked.
        let form: ExportForm = target && target.fsPath.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs';
        if (!dest) {
          const picked = await vscode.window.showQuickPick(EXPORT_FORM_ITEMS, {
            title: `Export the student of "${r.name}" as`,
            placeHolder: 'the form to write',
          });
          if (!picked) return undefined;
          form = picked.form;
          dest = await vscode.window.showSaveDialog({
            title: form === 'onnx' ? 'Export the distilled student (an .onnx file)' : 'Export the distilled student (a folder with model.json and weights)',
            saveLabel: 'Export',
            defaultUri: vscode.Uri.file(
              path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(r.runDir), defaultExportName(r.name, form)),
            ),
            ...(form === 'onnx' ? { filters: { ONNX: ['onnx'] } } : {}),
          });
        }
        if (!dest) return undefined;
        if (form !== 'tfjs') {
          // Converting and checking run the student's model code: a trusted workspace only, in a child process (no tfjs here).
          if (refuseUntrusted('exports a student')) return undefined;
          // The launch policy for the run's kd.json (or, when that is gone, its config.json in the run folder).
          const uri = vscode.Uri.file(r.configPath && fs.existsSync(r.configPath) ? r.configPath : path.join(r.runDir, FILES.config));
          const launch = launchFor(uri, log);
          if (!launch) return undefined;
          try {
            const record = await vscode.window.withProgress(
              { location: vscode.ProgressLocation.Notification, title: `Exporting the student as ${form}…` },
              () => runExportCli({ runDir: r.runDir, form, out: dest.fsPath, launch }),
            );
            void vscode.window.showInformationMessage(`Exported the student of "${r.name}" as ${form} to ${dest.fsPath}: ${exportSummaryLine(record)}.`);
            return dest;
          } catch (e) {
            void vscode.window.showErrorMessage(`Export failed: ${(e as Error).message}`);
            return undefined;
          }
        }
        const refusal = exportRefusal(from, dest.fsPath);
        if (refusal) {
          void vscode.window.showErrorMessage(refusal);
          return undefined;
        }
        await fs.promises.cp(from, dest.fsPath, { recursive: true, force: false, errorOnExist: true });
        void vscode.window.showInformationMessage(`Exported the student of "${r.name}" to ${dest.fsPath}.`);
        return dest;
      },
    ],

    [
      COMMANDS.openRun,
      async (arg?: unknown) => {
        const r = await pickRun(arg, 'Open which run?');
        if (!r) return undefined;
        return vscode.commands.executeCommand(COMMANDS.openDashboard, { runId: r.runId, runDir: r.runDir });
      },
    ],

    [
      COMMANDS.newKdJson,
      async (folderArg?: vscode.Uri) => {
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
      },
    ],
  ];
  for (const [id, handler] of commands) owner.track(registerCommand(id, handler, log));
}
