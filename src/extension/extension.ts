/**
 * The extension host side. It never loads tfjs: training happens in the engine process
 * (dist/engine.js), which RunManager starts and watches.
 */
import * as vscode from 'vscode';
import { startRun } from './commands/startRun';
import { EditorSweeps } from './sweeps/editorSweeps';
import { startSweep } from './sweeps/startSweep';
import { registerDashboards } from './dashboard/register';
import { RunManager } from './runs/runManager';
import { registerSidebar } from './sidebar';

export function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Distillery');
  const runs = new RunManager(context.asAbsolutePath('dist/engine.js'), log);
  const sweeps = new EditorSweeps(context.asAbsolutePath('dist/engine.js'));
  context.subscriptions.push(
    log,
    runs,
    sweeps,
    vscode.commands.registerCommand('distillery.startRun', (uri?: vscode.Uri) => startRun(runs, log, uri, sweeps)),
    vscode.commands.registerCommand('distillery.stopRun', async (arg?: string | { runId?: string }) => {
      const runId = typeof arg === 'string' ? arg : arg?.runId;
      const run = await runs.stop(runId);
      if (!run) void vscode.window.showInformationMessage('No Distillery run is active.');
      return run ? { runId: run.runId, runDir: run.runDir } : undefined;
    }),
    vscode.commands.registerCommand('distillery.showEngineLog', () => log.show()),
    vscode.commands.registerCommand('distillery.startSweep', (uri?: vscode.Uri) => startSweep(sweeps, log, uri)),
  );
  const sidebar = registerSidebar(context, runs, log);
  const dashboards = registerDashboards(context, runs);
  return { runs, dashboards, sidebar };
}

export function deactivate() {
  // Subscriptions (RunManager, EditorSweeps included) are disposed by VS Code, which stops live engines and sweeps.
}
