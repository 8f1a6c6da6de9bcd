/**
 * "▶ Start Run · Sweep" above a kd.json; only in a trusted workspace, where runs can start, so
 * the lenses are asked for again when the workspace is trusted. It owns its emitter and its
 * trust listener: disposing it (kdjsonFeatures.ts registers it with the provider) removes both.
 */
import * as vscode from 'vscode';
import { COMMANDS } from '../commands/ids';
import { Disposable } from '../disposable';
import { isKdJsonDocument } from './kdFiles';

export class KdCodeLens extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.track(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor() {
    super();
    this.track(vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()));
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted || !isKdJsonDocument(doc)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, { title: '$(play) Start Run', command: COMMANDS.startRun, arguments: [doc.uri], tooltip: 'Distill: Start Run on this kd.json' }),
      new vscode.CodeLens(top, {
        title: 'Sweep',
        command: COMMANDS.startSweep,
        arguments: [doc.uri],
        tooltip: 'Distill: Start Sweep (the "sweep" block of this kd.json)',
      }),
    ];
  }
}
