/**
 * The one policy for runs of this window that meet each other (RunManager keeps the queue):
 * runs start one at a time per CPU core (the runsAtOnce setting overrides), the rest
 * wait first in, first out; and a Start Run while runs are live asks what the person means —
 * open a running one, queue this one, or run both now (past the limit). The CLI is unaffected:
 * each `distill run` is its own process.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { runsAtOnce } from '../settings';
import { runLabel } from './runNotices';

/** How many runs train at once: one per core, unless the setting says otherwise. */
export function runSlots(): number {
  return runsAtOnce() ?? Math.max(1, os.cpus().length);
}

/** What a Start Run does while runs are live: open one of them, queue itself, or start now regardless. */
export type WhenLive = { kind: 'open'; runId: string } | { kind: 'queue' } | { kind: 'both' };

/** The live runs as the question needs them. */
export interface LiveRun {
  runId: string;
  name: string;
  state: 'queued' | 'running' | 'finished';
  last?: { type: string };
}

/** The runs a Start Run asks about: queued or training; one whose engine has said its last word (it is exiting) is not. */
export function liveRuns<R extends LiveRun>(active: R[]): R[] {
  const ended = new Set(['run_finished', 'config_error', 'engine_failed']);
  return active.filter((r) => r.state !== 'finished' && !(r.last && ended.has(r.last.type)));
}

export interface WhenLiveItem extends vscode.QuickPickItem {
  answer: WhenLive;
}

/**
 * The answers, in this order: open each live run (newest first), queue this one, run both now.
 * Their descriptions say what happens now, from how many run and how many slots there are.
 */
export function whenLiveItems(live: LiveRun[], slots: number): WhenLiveItem[] {
  const running = live.filter((r) => r.state === 'running').length;
  const waiting = live.length - running;
  const free = running < slots && waiting === 0;
  const perCore = `${slots} at once${slots === os.cpus().length ? ', one per core' : ''}`;
  return [
    ...[...live].reverse().map((r): WhenLiveItem => ({
      label: `$(go-to-file) Open ${runLabel(r)}`,
      description: r.state === 'queued' ? 'queued' : 'running',
      detail: 'Shows its dashboard; starts nothing.',
      answer: { kind: 'open', runId: r.runId },
    })),
    {
      label: '$(list-ordered) Queue this run',
      description: free ? `a slot is free: starts now (${perCore})` : `starts when a slot frees (${perCore}; ${waiting} waiting ahead)`,
      detail: 'Queued runs show in the Runs view and can be cancelled with Stop.',
      answer: { kind: 'queue' },
    },
    {
      label: '$(run-all) Run both now',
      description: free ? 'starts now' : `starts now, beyond the ${slots} at once (they share the cores)`,
      answer: { kind: 'both' },
    },
  ];
}

/** Asks what a Start Run of `name` means while `live` runs are live; undefined when dismissed. */
export async function askWhenLive(live: LiveRun[], name: string): Promise<WhenLive | undefined> {
  const runningNames = live.map((r) => `"${r.name}"`).join(', ');
  const picked = await vscode.window.showQuickPick(whenLiveItems(live, runSlots()), {
    title: `${runningNames} ${live.length === 1 ? 'is' : 'are'} live. Start "${name}" too?`,
    placeHolder: 'Open a live run, queue this one, or run both now',
    ignoreFocusOut: true,
  });
  return picked?.answer;
}
