/**
 * "Distill: Start Sweep": the same sweep as `distill sweep kd.json`, the same folders. The
 * extension host only orchestrates: the trials run on engine workers (dist/engine.js), started
 * by the one launch policy (runs/launchPolicy.ts) as a run's engine is: distillery.nodePath
 * or VS Code's own Node, and kd.json paths kept inside the workspace. With `seeds` (Start Run
 * on a kd.json with several "seeds") it is a seeded run: nothing swept, the distilled student
 * and its baseline per seed, judged across seeds.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, loadConfigFile } from '../../protocol/loadConfig';
import { paramsKey } from '../../protocol/sweep';
import { meanSd, seedsVerdictLine } from '../../protocol/sweepBest';
import { Sweep } from '../../sweep/runSweep';
import { sweepTable } from '../../sweep/table';
import { pickSavedKdJson } from '../kdjson/pick';
import { launchFor, refuseUntrusted } from '../runs/launch';
import { sweepParallel } from '../settings';

export async function startSweep(enginePath: string, log: vscode.OutputChannel, arg?: vscode.Uri, seeds?: number[]): Promise<{ sweepId: string; sweepDir: string; status: string } | undefined> {
  if (refuseUntrusted('starts sweeps')) return undefined;
  const uri = await pickSavedKdJson(arg);
  if (!uri) return undefined;
  // The same launch policy as a run: trust, distillery.nodePath, the workspace's paths.
  const launch = launchFor(uri, log);
  if (!launch) return undefined;
  const loaded = loadConfigFile(uri.fsPath, { workspaceRoot: launch.workspaceRoot });
  if (loaded.ok && !loaded.config.sweep && !seeds) {
    void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} has no "sweep" block, e.g. "sweep": { "params": { "distillation.temperature": [1, 2, 4, 8] } }`);
    return undefined;
  }
  const parallel = sweepParallel();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Distill ${seeds ? `${seeds.length} seeds` : 'sweep'}: ${path.basename(path.dirname(uri.fsPath))}`, cancellable: true },
    async (progress, token) => {
      const sweep = new Sweep({
        configPath: uri.fsPath,
        enginePath,
        parallel,
        seeds,
        execPath: launch.execPath,
        workspaceRoot: launch.workspaceRoot,
        backend: launch.backend,
        onUpdate: (s, c) => {
          const done = s.trials.filter((t) => t.status !== 'queued' && t.status !== 'running').length;
          if (c.type === 'trial_finished') {
            const t = c.trial;
            log.appendLine(`sweep ${s.sweepId}: ${t.id} ${t.status}${t.metric !== undefined ? ` — ${s.metricLabel} ${(t.metric * 100).toFixed(2)}%` : ''}${t.error ? `: ${t.error}` : ''}`);
            progress.report({ increment: 100 / s.trials.length, message: `${done}/${s.trials.length} trials${t.kind === 'distill' ? ` · last ${paramsKey(t.params)}` : ''}` });
          } else if (c.type === 'note') log.appendLine(`sweep ${s.sweepId}: ${c.message}`);
          else if (c.type === 'started') progress.report({ message: `${s.trials.length} trials, ${s.parallel} at once` });
        },
      });
      token.onCancellationRequested(() => sweep.stop());
      const out = await sweep.run();
      if (!out.ok) {
        log.appendLine(`${uri.fsPath}: the sweep cannot start`);
        for (const i of out.issues) log.appendLine('  ' + formatIssue(uri.fsPath, i));
        log.show(true);
        void vscode.window.showErrorMessage(`Sweep cannot start: ${formatIssue(path.basename(uri.fsPath), out.issues[0])}`);
        return undefined;
      }
      log.appendLine(sweepTable(out.sweep));
      const best = out.sweep.bestSetting;
      const msg = seeds
        ? `Seeded run ${out.sweep.status}: ${seedsVerdictLine(out.sweep.aggregates[0]?.vsBaseline)}`
        : `Sweep ${out.sweep.status}: ${out.sweep.trials.length} trials${best ? `; best setting ${paramsKey(best.params)} at ${meanSd(best)} over ${best.n} seed(s)${best.warnings.length ? ` — ${best.warnings.join('; ')}` : ''}` : ''}`;
      if (out.sweep.status === 'done') void vscode.window.showInformationMessage(msg);
      else void vscode.window.showWarningMessage(msg);
      return { sweepId: out.sweep.sweepId, sweepDir: out.dir, status: out.sweep.status };
    },
  );
}
