/**
 * Rename Run…, Edit Tags…, Edit Note… on a run (a Runs-tree node, `{ runId, runDir }`, a run
 * id, or a pick): what a person says about a run goes to its meta.json (protocol/runMeta.ts,
 * written atomically); the Runs tree, the experiments table and an open dashboard show it at
 * once. A second argument (a string) is the new value, without asking (keybindings, tests).
 */
import * as vscode from 'vscode';
import { META_LIMITS, parseTags, updateRunMeta, type RunMeta } from '../../protocol/runMeta';
import { COMMANDS, type CommandId } from '../commands/ids';
import { registerCommand } from '../commands/registry';
import { whichRecord, type RunSources } from '../commands/whichRun';
import { Disposable } from '../disposable';
import type { RunRecord } from './runInfo';

interface Edit {
  id: CommandId;
  pick: string;
  /** The input box for this record, or undefined when the edit is not asked for. */
  ask(r: RunRecord): vscode.InputBoxOptions;
  patch(value: string, r: RunRecord): Partial<RunMeta>;
}

const EDITS: Edit[] = [
  {
    id: COMMANDS.renameRun,
    pick: 'Rename which run?',
    ask: (r) => ({
      title: `Rename ${r.name}`,
      prompt: `A name for run ${r.runId} (empty: the kd.json's, "${r.kdName ?? r.name}")`,
      value: r.name,
      validateInput: (v) => (v.trim().length > META_LIMITS.name ? `At most ${META_LIMITS.name} characters.` : undefined),
    }),
    patch: (v) => ({ name: v }),
  },
  {
    id: COMMANDS.editRunTags,
    pick: 'Edit the tags of which run?',
    ask: (r) => ({
      title: `Tags of ${r.name}`,
      prompt: 'Words separated by spaces or commas (empty: no tags)',
      value: (r.tags ?? []).join(' '),
      validateInput: (v) => {
        const tags = parseTags(v);
        if (tags.length > META_LIMITS.tags) return `At most ${META_LIMITS.tags} tags.`;
        const long = tags.find((t) => t.length > META_LIMITS.tag);
        return long ? `"${long}" is longer than ${META_LIMITS.tag} characters.` : undefined;
      },
    }),
    patch: (v) => ({ tags: parseTags(v) }),
  },
  {
    id: COMMANDS.editRunNote,
    pick: 'Edit the note of which run?',
    ask: (r) => ({
      title: `Note on ${r.name}`,
      prompt: 'A note for this run (empty: none)',
      value: r.note ?? '',
      validateInput: (v) => (v.trim().length > META_LIMITS.note ? `At most ${META_LIMITS.note} characters.` : undefined),
    }),
    patch: (v) => ({ note: v }),
  },
];

/** `changed`: an open dashboard of the run re-reads it. */
export function registerIdentityCommands(src: RunSources, log: vscode.OutputChannel, changed: (runId: string) => void): Disposable {
  const owner = new Disposable();
  for (const edit of EDITS) {
    owner.track(
      registerCommand(
        edit.id,
        async (arg?: unknown, given?: unknown) => {
          const r = await whichRecord(arg, src, edit.pick);
          if (!r) return undefined;
          const value = typeof given === 'string' ? given : await vscode.window.showInputBox(edit.ask(r));
          if (value === undefined) return undefined; // Cancelled: nothing changes.
          const meta = updateRunMeta(r.runDir, edit.patch(value, r));
          log.appendLine(`[${r.runId}] meta.json: ${JSON.stringify(meta)}`);
          src.tree.refresh();
          changed(r.runId);
          return meta;
        },
        log,
      ),
    );
  }
  return owner;
}
