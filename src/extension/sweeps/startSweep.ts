/**
 * "Distill: Start Sweep": the same sweep as `distill sweep kd.json`, the same folders. The
 * extension host only orchestrates: the trials run on long-lived engine workers
 * (dist/engine.js --worker), started by the one launch policy (runs/launchPolicy.ts) as a
 * run's engine is: distillery.nodePath or VS Code's own Node, and kd.json paths kept inside the
 * workspace. The window's EditorSweeps owns every sweep started here (closing the window stops
 * it). With `seeds` (Start Run on a kd.json with several "seeds") it is a seeded run: nothing
 * swept, the distilled student and its baseline per seed, judged across seeds.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SlurmExecutorSpec, type SweepExecutorSpec } from '../../protocol/config';
import { formatIssue, loadConfigFile } from '../../protocol/loadConfig';
import { paramsKey } from '../../protocol/sweep';
import { meanSd, seedsVerdictLine } from '../../protocol/sweepBest';
import { Sweep } from '../../sweep/runSweep';
import { cancelSweep, followSweep } from '../../sweep/slurm/follow';
import { onPath } from '../../sweep/slurm/scheduler';
import { sweepTable } from '../../sweep/table';
import { trialCounts, trialCountsText } from '../../protocol/sweepCounts';
import { pickSavedKdJson } from '../kdjson/pick';
import { launchFor, refuseUntrusted } from '../runs/launch';
import type { LaunchRequest } from '../runs/launchPolicy';
import { sweepParallel } from '../settings';
import { COMMANDS } from '../commands/ids';
import type { EditorSweeps } from './editorSweeps';
import { sweepProgressTitle } from './sweepNames';

const OPEN = 'Open';

export type SweepResult = { sweepId: string; sweepDir: string; status: string };

export async function startSweep(owner: EditorSweeps, log: vscode.OutputChannel, arg?: vscode.Uri): Promise<SweepResult | undefined> {
  if (refuseUntrusted('starts sweeps')) return undefined;
  const uri = await pickSavedKdJson(arg);
  if (!uri) return undefined;
  // The same launch policy as a run: trust, distillery.nodePath, the workspace's paths.
  const launch = launchFor(uri, log);
  if (!launch) return undefined;
  const executor = await pickExecutor(uri);
  if (!executor) return undefined;
  return runSweepInWindow(owner, log, uri, launch, undefined, executor);
}

/**
 * Where the trials run: asked only where sbatch is on the PATH ("on this machine" or "on Slurm",
 * kd.json's sweep.executor first); undefined when the pick was dismissed.
 */
async function pickExecutor(uri: vscode.Uri): Promise<SweepExecutorSpec | undefined> {
  if (!onPath('sbatch')) return { type: 'local' };
  const loaded = loadConfigFile(uri.fsPath);
  const fromKd = loaded.ok ? loaded.config.sweep?.executor : undefined;
  const slurm = fromKd?.type === 'slurm' ? fromKd : SlurmExecutorSpec.parse({ type: 'slurm' });
  const items = [
    { label: 'On this machine', description: 'engine workers here', executor: { type: 'local' } as SweepExecutorSpec },
    {
      label: 'On Slurm',
      description: `one job array${slurm.partition ? ` on ${slurm.partition}` : ''} (sbatch; kd.json sweep.executor sets partition, time, GPUs …)`,
      executor: slurm as SweepExecutorSpec,
    },
  ];
  if (fromKd?.type === 'slurm') items.reverse();
  return (await vscode.window.showQuickPick(items, { title: 'Run the sweep where?', ignoreFocusOut: true }))?.executor;
}

/**
 * Runs the sweep of `uri` (with `seeds`: a seeded run) on engine workers started from `launch`,
 * with its progress in a cancellable notification. The kd.json is checked once, by the Sweep
 * (a kd.json with no "sweep" block included), before any worker or folder exists.
 */
export async function runSweepInWindow(
  owner: EditorSweeps,
  log: vscode.OutputChannel,
  uri: vscode.Uri,
  launch: LaunchRequest,
  seeds?: number[],
  executor?: SweepExecutorSpec,
): Promise<SweepResult | undefined> {
  const parallel = sweepParallel();
  let sweepDir: string | undefined;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      // Named by kd.json's name (or file), as the sweep itself is: never by the folder.
      title: sweepProgressTitle(uri.fsPath, seeds),
      cancellable: true,
    },
    async (progress, token) => {
      const sweep = new Sweep({
        configPath: uri.fsPath,
        enginePath: owner.enginePath,
        parallel,
        seeds,
        launch,
        executor,
        onUpdate: (s, c) => {
          // The Runs tree shows the sweep at once, and Stop there finds it (editorSweeps.ts).
          if (c.type === 'started') sweepDir = c.dir;
          if (sweepDir) owner.changed(sweep, sweepDir);
          if (c.type === 'trial_finished') {
            const t = c.trial;
            log.appendLine(
              `sweep ${s.sweepId}: ${t.id} ${t.status}${t.metric !== undefined ? ` — ${s.metricLabel} ${(t.metric * 100).toFixed(2)}%` : ''}${t.error ? `: ${t.error}` : ''}`,
            );
            progress.report({
              increment: 100 / s.trials.length,
              // The CLI's count (sweepCounts.ts), as the view's header and the Runs tree say it.
              message: `${trialCountsText(trialCounts(s.trials))}${t.kind === 'distill' && Object.keys(t.params).length ? ` · last ${paramsKey(t.params)}` : ''}`,
            });
          } else if (c.type === 'note') log.appendLine(`sweep ${s.sweepId}: ${c.message}`);
          else if (c.type === 'started') {
            progress.report({ message: `${trialCountsText(trialCounts(s.trials))}, ${s.parallel} at once` });
            // The sweep's view opens as it starts and fills as trials finish (beside the kd.json, which keeps the focus).
            void vscode.commands.executeCommand(COMMANDS.openSweep, { sweepDir: c.dir, preserveFocus: true });
          }
        },
      });
      token.onCancellationRequested(() => sweep.stop());
      const out = await owner.run(sweep);
      if (!out.ok) {
        log.appendLine(`${uri.fsPath}: the sweep cannot start`);
        for (const i of out.issues) log.appendLine('  ' + formatIssue(uri.fsPath, i));
        log.show(true);
        void vscode.window.showErrorMessage(`Sweep cannot start: ${formatIssue(path.basename(uri.fsPath), out.issues[0])}`);
        return undefined;
      }
      if (out.sweep.executor && out.sweep.status === 'running') {
        // Submitted: follow it here (Cancel cancels its jobs); it runs on whether or not this window follows it.
        log.appendLine(`sweep ${out.sweep.sweepId}: follow it from a terminal with: distill sweep status ${out.dir} --watch`);
        token.onCancellationRequested(() => void cancelSweep(out.dir).then((r) => log.appendLine(`sweep ${out.sweep.sweepId}: ${r.message}`)));
        const followed = await followSweep(out.dir, {
          onUpdate: (s) => {
            const n = (st: string) => s.trials.filter((t) => t.status === st).length;
            progress.report({ message: `Slurm: ${n('queued')} pending, ${n('running')} running, ${n('done')} done, ${n('failed')} failed` });
          },
        });
        if (followed) out.sweep = followed;
      }
      log.appendLine(sweepTable(out.sweep));
      const best = out.sweep.bestSetting;
      const msg = seeds
        ? `Seeded run ${out.sweep.name} ${out.sweep.status}: ${seedsVerdictLine(out.sweep.aggregates[0]?.vsBaseline, out.sweep.baselineStart)}`
        : `Sweep ${out.sweep.name} ${out.sweep.status}: ${trialCountsText(trialCounts(out.sweep.trials))}${best ? `; best setting ${paramsKey(best.params)} at ${meanSd(best)} over ${best.n} seed(s)${best.warnings.length ? ` — ${best.warnings.join('; ')}` : ''}` : ''}`;
      const dir = sweepDir ?? out.dir;
      const shown = out.sweep.status === 'done' ? vscode.window.showInformationMessage(msg, OPEN) : vscode.window.showWarningMessage(msg, OPEN);
      void shown.then((choice) => choice === OPEN && vscode.commands.executeCommand(COMMANDS.openSweep, { sweepDir: dir }));
      return { sweepId: out.sweep.sweepId, sweepDir: out.dir, status: out.sweep.status };
    },
  );
}
