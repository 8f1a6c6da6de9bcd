/**
 * The vscode side of the one launch policy (launchPolicy.ts): this window's trust and
 * settings in (settings.ts), a LaunchRequest out, or the reason no engine may start, shown.
 * Start Run, Resume, Start Sweep and the editor's engine check of a kd.json all come here.
 */
import * as vscode from 'vscode';
import { launchSettingsFor } from '../settings';
import { launchPolicy, type LaunchDecision, type LaunchRequest } from './launchPolicy';

/**
 * Restricted mode: a run executes code and model files from the workspace, so nothing starts
 * in an untrusted one. Says why and returns true when `action` must be refused.
 */
export function refuseUntrusted(action: string): boolean {
  if (vscode.workspace.isTrusted) return false;
  void vscode.window.showErrorMessage(
    `Distillery runs code and model files from this workspace, so it ${action} only in a trusted workspace. Trust the workspace to do so; browsing runs works meanwhile.`,
  );
  return true;
}

/** The policy's decision for an engine on `kdJson`, from this window's trust and settings. */
export function launchDecisionFor(kdJson: vscode.Uri): LaunchDecision {
  return launchPolicy(launchSettingsFor(kdJson));
}

/**
 * The launch request for an engine on `kdJson` (a run, a resume, a sweep's workers); undefined,
 * with the reason shown, when no engine may start.
 */
export function launchFor(kdJson: vscode.Uri, log?: vscode.OutputChannel): LaunchRequest | undefined {
  const decision = launchDecisionFor(kdJson);
  if (!decision.ok) {
    void vscode.window.showErrorMessage(`${decision.problem}; no engine started.`);
    return undefined;
  }
  for (const note of decision.request.notes) log?.appendLine(note);
  return decision.request;
}
