/**
 * "Distill: Start Run": pick the kd.json (kdjson/pick.ts), check it under the launch policy
 * (runs/launch.ts), queue it, and show its progress in a cancellable notification.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, issueText, loadConfigFile } from '../../protocol/loadConfig';
import { runSeeds } from '../../protocol/sweep';
import type { EditorSweeps } from '../sweeps/editorSweeps';
import { runSweepInWindow } from '../sweeps/startSweep';
import { pct, runFinishedMessage } from '../../protocol/format';
import type { RunManager } from '../runs/runManager';
import { launchFor, refuseUntrusted } from '../runs/launch';
import { pickSavedKdJson } from '../kdjson/pick';

export async function startRun(
  runs: RunManager,
  log: vscode.OutputChannel,
  arg: vscode.Uri | undefined,
  sweeps: EditorSweeps,
): Promise<{ runId: string; runDir: string } | undefined> {
  if (refuseUntrusted('starts runs')) return undefined;
  const uri = await pickSavedKdJson(arg);
  if (!uri) return undefined;
  const launch = launchFor(uri, log);
  if (!launch) return undefined;
  // Paths in kd.json stay inside its workspace folder unless the user (not the workspace) allowed otherwise.
  const loaded = loadConfigFile(uri.fsPath, { workspaceRoot: launch.workspaceRoot });
  if (!loaded.ok) {
    log.appendLine(`${uri.fsPath}: ${loaded.issues.length} problem(s); no run started`);
    for (const i of loaded.issues) log.appendLine('  ' + formatIssue(uri.fsPath, i));
    log.show(true);
    void vscode.window.showErrorMessage(`kd.json has ${loaded.issues.length} problem(s): ${formatIssue(path.basename(uri.fsPath), loaded.issues[0])}`);
    return undefined;
  }
  // Several seeds: a seeded run (a sweep over the seeds, nothing swept), as `distill run` does.
  const seeds = runSeeds(loaded.config);
  if (seeds) {
    // Its launch is decided (the Sweep checks the kd.json again before any worker starts).
    // It runs on after this command returns, so a failure is shown here, not left unhandled.
    runSweepInWindow(sweeps, log, uri, launch, seeds).catch((e: unknown) => {
      log.appendLine(`${uri.fsPath}: the seeded run failed: ${(e as Error)?.stack ?? e}`);
      void vscode.window.showErrorMessage(`Seeded run failed: ${(e as Error)?.message ?? e}`, 'Show Log').then((pick) => pick && log.show());
    });
    return undefined;
  }
  const run = runs.enqueueRun(uri.fsPath, loaded.config.name, launch);
  void showProgress(runs, run.runId);
  return { runId: run.runId, runDir: run.runDir };
}

function showProgress(runs: RunManager, runId: string): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Distill ${runs.get(runId)?.name}`, cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => void runs.stop(runId));
      let reported = 0;
      const sub = runs.onMessage(({ run, message: m }) => {
        if (run.runId !== runId) return;
        if (m.type === 'data_progress') {
          progress.report({ message: `${m.what}: ${m.done.toLocaleString('en')} of ${m.total.toLocaleString('en')}` });
        } else if (m.type === 'stage_started') {
          reported = 0;
          progress.report({ message: `${m.stage}: starting` });
        } else if (m.type === 'step') {
          const pctDone = (100 * m.step) / m.totalSteps;
          progress.report({ increment: pctDone - reported, message: `${m.stage} epoch ${m.epoch} · ${pctDone.toFixed(0)}% · loss ${m.loss.toFixed(3)}` });
          reported = pctDone;
        } else if (m.type === 'epoch') {
          progress.report({ message: `${m.stage} epoch ${m.epoch}/${m.epochs} · validation ${pct(m.valAccuracy)}` });
        }
      });
      const run = runs.get(runId)!;
      const exit = await run.finished;
      sub.dispose();
      const last = run.last;
      if (last?.type === 'run_finished') {
        const s = last.summary;
        const msg = runFinishedMessage(s);
        if (s.status === 'done') void vscode.window.showInformationMessage(msg);
        else if (s.status === 'failed') void vscode.window.showErrorMessage(msg);
        else void vscode.window.showWarningMessage(msg);
      } else if (last?.type === 'config_error') {
        void vscode.window.showErrorMessage(`kd.json cannot run: ${last.issues.map(issueText).join('; ')}`);
      } else if (last?.type === 'engine_failed') {
        void vscode.window.showErrorMessage(`The Distillery engine failed: ${last.message}`);
      } else if (exit) {
        void vscode.window.showErrorMessage(`The Distillery engine exited (${exit.signal ?? exit.code}) without a result. See "Distill: Show Engine Log".`);
      }
    },
  );
}
