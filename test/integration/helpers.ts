/** What the integration suites share: the fixture workspace and bounded waits. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunManager } from '../../src/extension/runs/runManager';

export const EXTENSION_ID = 'distillery.distillery';

/** The opened workspace: a fresh copy of test/fixtures/workspace made by the launcher. */
export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open; the launcher should open a copy of test/fixtures/workspace');
  return folder.uri.fsPath;
}

export function fixture(name: string): string {
  const file = path.join(workspaceDir(), name);
  if (!fs.existsSync(file)) throw new Error(`fixture ${name} is missing from the workspace ${workspaceDir()}`);
  return file;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value other than undefined/false; fails naming what did not happen. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${(timeoutMs / 1000).toFixed(1)}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function readJson<T = unknown>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${file} is not readable JSON: ${(err as Error).message}`, { cause: err });
  }
}

export interface StartRunResult {
  runId: string;
  runDir: string;
}

/**
 * Start Run while a run of this window is live asks what is meant (runs/runQueue.ts), so this
 * waits for none to be live first: a previous suite's run may still be exiting after its summary.json.
 */
export async function startRun(kdJsonPath: string): Promise<StartRunResult> {
  const { runs } = await vscode.extensions.getExtension<{ runs: RunManager }>(EXTENSION_ID)!.activate();
  await waitFor('no run of this window to be live before Start Run', () => runs.active.length === 0, 30_000);
  const result = await vscode.commands.executeCommand<StartRunResult | undefined>('distillery.startRun', vscode.Uri.file(kdJsonPath));
  if (!result || typeof result.runId !== 'string' || typeof result.runDir !== 'string') {
    throw new Error(`distillery.startRun should resolve to { runId, runDir }, got ${JSON.stringify(result)}`);
  }
  return result;
}
