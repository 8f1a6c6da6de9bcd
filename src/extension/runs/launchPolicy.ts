/**
 * The one launch policy: every engine the extension starts (Start Run, Resume, Start Sweep's
 * workers) is started from the LaunchRequest this builds, so none of them can skip a rule:
 * only in a trusted workspace; the Node binary from distillery.nodePath (user or machine
 * settings only); kd.json paths kept inside the workspace folder unless the user allowed
 * otherwise (passed to the engine as --workspace, and checked before it starts); the backend
 * flag as given. What each engine then does (a new run in the folder RunManager chose, a
 * resume, a check, a sweep's trials) is its job joined to this launch (engineRequest).
 * Pure (settings in, request out): unit-tested without VS Code.
 */
import * as path from 'node:path';
import type { EngineLaunch } from '../../protocol/engineArgs';
import { engineNodePath, ignoredWorkspaceValue, workspaceRootFor, type InspectedSetting } from './trustedSettings';

export interface LaunchSettings {
  /** vscode.workspace.isTrusted */
  trusted: boolean;
  nodePath?: InspectedSetting<string>;
  allowPathsOutsideWorkspace?: InspectedSetting<boolean>;
  /** The workspace folder holding the kd.json, if any. */
  workspaceFolder?: string;
  /** The kd.json (or, for a resume, the run's recorded kd.json or run folder). */
  kdJsonPath: string;
  backend?: string;
}

/**
 * The engines' launch (protocol/engineArgs.ts: the type the CLI builds from its flags):
 * execPath undefined is VS Code's own Node (Electron as Node); workspaceRoot, kd.json paths
 * must stay inside it (--workspace), undefined when the user allowed paths anywhere.
 */
export interface LaunchRequest extends EngineLaunch {
  /** Lines for the log (a workspace that tried to set a machine-only setting). */
  notes: string[];
}

export type LaunchDecision = { ok: true; request: LaunchRequest } | { ok: false; problem: string };

export function launchPolicy(s: LaunchSettings): LaunchDecision {
  if (!s.trusted) return { ok: false, problem: 'Distillery runs code and model files from this workspace, so it starts engines only in a trusted workspace' };
  const node = engineNodePath(s.nodePath);
  if (node.problem) return { ok: false, problem: `${node.problem}; fix or clear it in your user settings` };
  const notes: string[] = [];
  if (ignoredWorkspaceValue(s.nodePath))
    notes.push("distillery.nodePath is set in the workspace settings; ignored (only user or machine settings may name the engine's Node)");
  if (ignoredWorkspaceValue(s.allowPathsOutsideWorkspace))
    notes.push('distillery.allowPathsOutsideWorkspace is set in the workspace settings; ignored (only user or machine settings may widen where a run reads)');
  const workspaceRoot = workspaceRootFor(s.allowPathsOutsideWorkspace, s.workspaceFolder, path.dirname(path.resolve(s.kdJsonPath)));
  return { ok: true, request: { execPath: node.execPath, workspaceRoot, backend: s.backend, notes } };
}
