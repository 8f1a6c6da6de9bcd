import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, fixture, waitFor } from './helpers';

describe('activation', () => {
  it('is active in a workspace with a kd.json, without anyone calling activate()', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const doc = await vscode.workspace.openTextDocument(fixture('kd.json'));
    await vscode.window.showTextDocument(doc);
    await waitFor(`${EXTENSION_ID} to activate`, () => ext.isActive, 30_000);
  });

  it('registers a handler for every command it contributes', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(contributed.includes('distillery.startRun') && contributed.includes('distillery.stopRun'));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
      'contributed but not registered',
    );
  });
});
