/**
 * What the window says about a run of its own, in one place: every notification names the run
 * (its kd.json name and run id, since several runs of one kd.json share the name), from its
 * progress notification (Start Run, Resume) to the words it ends with.
 */
import * as vscode from 'vscode';
import { pct, runFinishedMessage } from '../../protocol/format';
import { issueText } from '../../protocol/loadConfig';
import type { ManagedRun, RunManager } from './runManager';

/** `"tiny" (20261202-045512-tiny-3f9a1c)`: the name people gave it and the id its folder has. */
export function runLabel(run: Pick<ManagedRun, 'name' | 'runId'>): string {
  return `"${run.name}" (${run.runId})`;
}

export type NoticeSeverity = 'information' | 'warning' | 'error';

/** The notification a run ends with. */
export function runEndNotice(run: Pick<ManagedRun, 'name' | 'runId' | 'last' | 'exit' | 'job'>): { severity: NoticeSeverity; text: string } {
  const label = runLabel(run);
  const last = run.last;
  if (last?.type === 'run_finished') {
    const s = last.summary;
    const text = runFinishedMessage({ ...s, name: label });
    return { severity: s.status === 'done' ? 'information' : s.status === 'failed' ? 'error' : 'warning', text };
  }
  if (last?.type === 'config_error') return { severity: 'error', text: `${label}: kd.json cannot run: ${last.issues.map(issueText).join('; ')}` };
  if (last?.type === 'engine_failed')
    return { severity: 'error', text: `${label}: ${run.job.kind === 'resume' ? 'cannot resume' : 'the engine failed'}: ${last.message}` };
  if (run.exit)
    return {
      severity: 'error',
      text: `${label}: the engine exited (${run.exit.signal ?? run.exit.code}) without a result. See "Distill: Show Engine Log".`,
    };
  // No engine ever ran: it was cancelled while it waited in the queue.
  return { severity: 'information', text: `${label}: left the queue before it started.` };
}

function show(notice: { severity: NoticeSeverity; text: string }): void {
  if (notice.severity === 'information') void vscode.window.showInformationMessage(notice.text);
  else if (notice.severity === 'warning') void vscode.window.showWarningMessage(notice.text);
  else void vscode.window.showErrorMessage(notice.text);
}

/** The progress title: what is happening to which run. */
export function progressTitle(run: Pick<ManagedRun, 'name' | 'runId' | 'job'>): string {
  return `${run.job.kind === 'resume' ? 'Resuming' : 'Distill'} ${runLabel(run)}`;
}

/**
 * A cancellable progress notification for `runId` while it is queued and runs (cancel: Stop),
 * then the notice it ended with. Start Run and Resume both show it.
 */
export function showRunProgress(runs: RunManager, runId: string): Thenable<void> {
  const run = runs.get(runId)!;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: progressTitle(run), cancellable: true },
    async (progress, token) => {
      token.onCancellationRequested(() => void runs.stop(runId));
      if (run.state === 'queued') progress.report({ message: 'queued: starts when a slot frees (Stop cancels it)' });
      let reported = 0;
      const subs = [
        runs.onDidChange((r) => {
          if (r.runId === runId && r.state === 'running' && reported === 0) progress.report({ message: 'starting' });
        }),
        runs.onMessage(({ run: r, message: m }) => {
          if (r.runId !== runId) return;
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
        }),
      ];
      await run.finished;
      subs.forEach((s) => s.dispose());
      show(runEndNotice(run));
    },
  );
}
