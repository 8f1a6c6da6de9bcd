/**
 * "Distill: Start Run": pick the kd.json (kdjson/pick.ts), check it under the launch policy
 * (runs/launch.ts), ask what is meant while runs are live (runs/runQueue.ts), queue it, and
 * show its progress in a cancellable notification named by the run (runs/runNotices.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, loadConfigFile } from '../../protocol/loadConfig';
import { runName } from '../../protocol/runId';
import { runSeeds } from '../../protocol/sweep';
import type { EditorSweeps } from '../sweeps/editorSweeps';
import { runSweepInWindow } from '../sweeps/startSweep';
import type { RunManager } from '../runs/runManager';
import { showRunProgress } from '../runs/runNotices';
import { askWhenLive, liveRuns } from '../runs/runQueue';
import { COMMANDS } from './ids';
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
  // Runs of this window already live: open one of them, queue this one, or run both (runQueue.ts).
  const live = liveRuns(runs.active);
  const answer = live.length ? await askWhenLive(live, runName(uri.fsPath, loaded.config.name)) : { kind: 'queue' as const };
  if (!answer) return undefined;
  if (answer.kind === 'open') {
    const open = runs.get(answer.runId)!;
    await vscode.commands.executeCommand(COMMANDS.openDashboard, { runId: open.runId, runDir: open.runDir });
    return { runId: open.runId, runDir: open.runDir };
  }
  const run = runs.enqueueRun(uri.fsPath, loaded.config.name, launch, answer.kind === 'both');
  void showRunProgress(runs, run.runId);
  return { runId: run.runId, runDir: run.runDir };
}
