/**
 * The status-bar item while this window runs something: the running run's stage, epoch and
 * percent, and how many wait in the queue. Clicking opens its dashboard.
 */
import * as vscode from 'vscode';
import { foldProgress, type RunProgress } from '../../protocol/runReader';
import { statusText } from '../tree/runInfo';
import { COMMANDS } from '../commands/ids';
import type { Disposable } from '../disposable';
import type { ManagedRun, RunManager } from './runManager';

export function registerStatusBar(owner: Disposable, runs: RunManager): vscode.StatusBarItem {
  const item = owner.track(vscode.window.createStatusBarItem('distillery.run', vscode.StatusBarAlignment.Left, 50));
  item.name = 'Distillery run';
  // Progress per run, folded from the live events (the same fold the tree uses on disk).
  const progress = new Map<string, RunProgress>();
  // Which tfjs backend each run's engine chose: wasm, cpu or native TensorFlow makes a 10-70x difference.
  const backends = new Map<string, string>();
  let pending: NodeJS.Timeout | undefined;
  const update = () => {
    pending = undefined;
    const active = runs.active;
    const text = statusText(active.map((r: ManagedRun) => ({ name: r.name, state: r.state, progress: progress.get(r.runId) })));
    if (!text) {
      item.hide();
      return;
    }
    const head = active.find((r) => r.state === 'running') ?? active[0];
    const backend = backends.get(head.runId);
    item.text = backend ? `${text} · ${backend}` : text;
    item.tooltip = `Distillery: ${active.length} active run(s)${backend ? `; ${head.name} trains on the ${backend} backend` : ''}. Click for ${head.name}'s dashboard.`;
    item.command = { command: COMMANDS.openDashboard, title: 'Open Run', arguments: [{ runId: head.runId, runDir: head.runDir }] };
    item.show();
  };
  const soon = () => {
    if (!pending) pending = setTimeout(update, 250);
  };
  owner.onDispose(() => pending && clearTimeout(pending));
  owner.track(
    runs.onDidChange((run) => {
      if (run.state === 'finished') {
        progress.delete(run.runId);
        backends.delete(run.runId);
      }
      soon();
    }),
  );
  owner.track(
    runs.onMessage(({ run, message }) => {
      if (message.type === 'run_started') {
        backends.set(run.runId, message.backend);
        soon();
      }
      if (message.type !== 'stage_started' && message.type !== 'step' && message.type !== 'epoch') return;
      const next = foldProgress(progress.get(run.runId), message);
      if (next) progress.set(run.runId, next);
      soon();
    }),
  );
  return item;
}
