/**
 * Whether a sweep folder changed, without file events. The sweep view used to redraw only on
 * file-watcher events, and those do not reach an extension everywhere: files.watcherExclude
 * (people exclude generated folders), network and WSL folders, inotify limits on a loaded CI
 * machine. There the view stayed at "0/N trials done · running" after the sweep had ended. A few
 * stats per second while a sweep runs are cheap: sweep.json, and the events and summary of each
 * trial that is not finished yet (a training trial's live accuracy comes from its events.jsonl).
 * No vscode import: it is unit-tested.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES } from '../../protocol/runFolder';
import { SWEEP_FILES, type SweepFile } from '../../protocol/sweep';

/** How often an open view of a running sweep looks for changes (watcher events, when they come, are sooner). */
export const SWEEP_POLL_MS = 1000;

const stamp = (file: string) => {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? `${s.size}:${s.mtimeMs}` : '-';
};

/**
 * A string that changes when sweep.json is rewritten, or when a trial `sweep` last listed as
 * queued or running writes events or its summary. Undefined `sweep` (not readable yet): sweep.json alone.
 */
export function sweepSignature(sweepDir: string, sweep: Pick<SweepFile, 'trials'> | undefined): string {
  const parts = [stamp(path.join(sweepDir, SWEEP_FILES.sweep))];
  for (const t of sweep?.trials ?? []) {
    if (t.status !== 'queued' && t.status !== 'running') continue;
    const runDir = path.resolve(sweepDir, t.runDir);
    parts.push(`${t.id}=${stamp(path.join(runDir, FILES.events))}/${stamp(path.join(runDir, FILES.summary))}`);
  }
  return parts.join('|');
}

/** Whether a view of this sweep still needs to look: it runs, or its sweep.json cannot be read yet. */
export function sweepMayChange(sweep: Pick<SweepFile, 'status'> | undefined): boolean {
  return !sweep || sweep.status === 'running';
}
