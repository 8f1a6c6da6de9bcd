import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, fixture, waitFor } from './helpers';

describe('activation', () => {
  it('declares activation on workspaces that contain a kd.json', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    const events: string[] = ext.packageJSON.activationEvents ?? [];
    assert.ok(events.includes('workspaceContains:**/kd.json'), `activationEvents: ${JSON.stringify(events)}`);
  });

  it('is active in a workspace with a kd.json, without anyone calling activate()', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const doc = await vscode.workspace.openTextDocument(fixture('kd.json'));
    await vscode.window.showTextDocument(doc);
    await waitFor(`${EXTENSION_ID} to activate`, () => ext.isActive, 30_000);
  });

  it('registers Distill: Start Run and Distill: Stop Run', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['distillery.startRun', 'distillery.stopRun']) {
      assert.ok(commands.includes(id), `command ${id} is not registered`);
    }
  });
});
