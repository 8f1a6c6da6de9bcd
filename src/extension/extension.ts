/**
 * The extension host side. It never loads tfjs: training happens in the engine process
 * (dist/engine.js), which RunManager starts and watches. Everything activate creates is owned
 * by one root (disposed newest first, so the log outlives what writes to it); deactivate
 * returns the engines' shutdown, so a closing window stops them before it kills them.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './commands/ids';
import { registerPanelCommands } from './commands/panelCommands';
import { registerCommand } from './commands/registry';
import { startRun } from './commands/startRun';
import { EditorSweeps } from './sweeps/editorSweeps';
import { resolveRun } from './commands/whichRun';
import { Disposable } from './disposable';
import { RunManager } from './runs/runManager';
import { registerSidebar } from './sidebar';
import { registerIdentityCommands } from './tree/identityCommands';
import { startSweep } from './sweeps/startSweep';
import { registerSweepCommands } from './sweeps/sweepCommands';
import { Panels, type DashboardsApi } from './webviews/panels';
import { registerPanelSerializers } from './webviews/serializers';

let runsOfThisWindow: RunManager | undefined;
let sweepsOfThisWindow: EditorSweeps | undefined;

export function activate(context: vscode.ExtensionContext) {
  // Reported to the integration suite, which holds it to the ≤ 100 ms goal with the bundle's load
  // time; CPU time too, which a busy machine does not inflate as it does the wall clock.
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  const root = new Disposable();
  context.subscriptions.push(root);
  const log = root.track(vscode.window.createOutputChannel('Distillery'));
  const enginePath = context.asAbsolutePath('dist/engine.js');
  const runs = root.track(new RunManager(enginePath, log));
  runsOfThisWindow = runs;
  // The sweeps this window starts: disposed with it (sweep.json says stopped, workers stop, then are killed).
  const sweeps = root.track(new EditorSweeps(enginePath));
  sweepsOfThisWindow = sweeps;
  const sidebar = registerSidebar(root, enginePath, runs, log);
  const src = { runs, tree: sidebar.runsTree };
  root.track(registerCommand(COMMANDS.startRun, (uri?: vscode.Uri) => startRun(runs, log, uri, sweeps), log));
  root.track(
    registerCommand(
      COMMANDS.stopRun,
      async (arg?: unknown) => {
        // No argument: the newest active run. One that names no run stops nothing.
        const ref = arg === undefined ? undefined : await resolveRun(arg, src);
        const run = arg === undefined || ref ? await runs.stop(ref?.runId) : undefined;
        if (!run) void vscode.window.showInformationMessage('No Distillery run is active.');
        return run ? { runId: run.runId, runDir: run.runDir } : undefined;
      },
      log,
    ),
  );
  root.track(registerCommand(COMMANDS.showEngineLog, () => log.show(), log));
  root.track(registerCommand(COMMANDS.startSweep, (uri?: vscode.Uri) => startSweep(sweeps, log, uri), log));
  root.track(registerSweepCommands(sweeps, sidebar.runsTree, log));
  const panels = root.track(new Panels(context.extensionUri, runs, sidebar.runsTree));
  root.track(registerPanelSerializers(panels));
  root.track(registerPanelCommands(panels, src, log));
  root.track(registerIdentityCommands(src, log, (runId) => panels.reloadDashboard(runId)));
  const dashboards: DashboardsApi = panels;
  const cpu = process.cpuUsage(startedCpu);
  return { runs, dashboards, sidebar, activationMs: performance.now() - started, activationCpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * VS Code waits for this promise: the runs' engines and the sweeps' workers are asked to stop
 * (each writes a "stopped" summary), then killed if still running after the grace period.
 */
export function deactivate(): Promise<void> {
  return Promise.all([runsOfThisWindow?.shutdown(), sweepsOfThisWindow?.dispose()]).then(() => undefined);
}
