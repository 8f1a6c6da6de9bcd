/**
 * The one way the host registers a command: by its id from ids.ts, through a wrapper that
 * catches what the handler throws or rejects with, writes it (with its stack) to the
 * "Distillery" log under the command's id, and shows the message with a "Show Log" button. A
 * failed command then never fails silently, nor as VS Code's bare "command failed". The
 * handler's result is returned as is (tests and other commands read it); a failure returns
 * undefined.
 */
import * as vscode from 'vscode';
import type { CommandId } from './ids';

export const SHOW_LOG = 'Show Log';

/** Where a failed command is written and shown: the "Distillery" output channel. */
export type CommandLog = Pick<vscode.OutputChannel, 'appendLine' | 'show'>;

export function registerCommand<A extends unknown[]>(id: CommandId, handler: (...args: A) => unknown, log: CommandLog): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      reportFailure(id, err, log);
      return undefined;
    }
  });
}

function reportFailure(id: CommandId, err: unknown, log: CommandLog): void {
  const message = err instanceof Error ? err.message : String(err);
  log.appendLine(`[${id}] failed: ${err instanceof Error && err.stack ? err.stack : message}`);
  void vscode.window.showErrorMessage(`Distillery: ${message}`, SHOW_LOG).then((choice) => {
    if (choice === SHOW_LOG) log.show(true);
  });
}
