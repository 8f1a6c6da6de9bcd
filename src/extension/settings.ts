/**
 * Every VS Code setting Distillery reads is read here, typed, and nowhere else (package.json's
 * contributes.configuration declares the same keys; a unit test compares them). The launch
 * policy's inputs come from launchSettingsFor, so a run, a resume, a sweep's workers and the
 * editor's engine check of a kd.json all see the same values, read the same way (inspect():
 * the machine-only settings ignore a workspace's value, runs/trustedSettings.ts).
 */
import * as vscode from 'vscode';
import type { LaunchSettings } from './runs/launchPolicy';

const SECTION = 'distillery';

/** The keys under "distillery." that this module reads. */
export const SETTING_KEYS = ['allowPathsOutsideWorkspace', 'nodePath', 'studentSizeHintRatio', 'sweep.parallel', 'runsAtOnce'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

const section = () => vscode.workspace.getConfiguration(SECTION);

/** What the launch policy (runs/launchPolicy.ts) decides from, for an engine on `kdJson`. */
export function launchSettingsFor(kdJson: vscode.Uri): LaunchSettings {
  const s = section();
  return {
    trusted: vscode.workspace.isTrusted,
    nodePath: s.inspect<string>('nodePath'),
    allowPathsOutsideWorkspace: s.inspect<boolean>('allowPathsOutsideWorkspace'),
    workspaceFolder: vscode.workspace.getWorkspaceFolder(kdJson)?.uri.fsPath,
    kdJsonPath: kdJson.fsPath,
  };
}

/** The student-size hint's threshold (a fraction of the teacher's parameters). */
export function studentSizeHintRatio(): number {
  return section().get<number>('studentSizeHintRatio', 0.05);
}

/** Trials an editor sweep runs at once; undefined (0 or unset): kd.json's sweep.parallel, else one per CPU core. */
export function sweepParallel(): number | undefined {
  return section().get<number>('sweep.parallel') || undefined;
}

/** Runs this window trains at once (more wait in a queue); undefined (0, unset, or not a whole number ≥ 1): one per CPU core. */
export function runsAtOnce(): number | undefined {
  // package.json's minimum only warns in the settings editor: a negative value would queue every run for good.
  const n = section().get<number>('runsAtOnce');
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined;
}

export function affectsSetting(e: vscode.ConfigurationChangeEvent, key: SettingKey): boolean {
  return e.affectsConfiguration(`${SECTION}.${key}`);
}
