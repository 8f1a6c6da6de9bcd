/**
 * Settings that name an executable or decide which paths a run may touch are honoured only
 * from the user's or the machine's settings, never from a workspace's: a cloned repository's
 * .vscode/settings.json must not pick the binary the extension runs, nor widen where a run
 * reads. package.json gives them `scope: machine`, so VS Code already refuses workspace
 * values; this reads them through inspect() and ignores workspace values again, in case.
 * No vscode import: unit-tested as is.
 */
import * as fs from 'node:fs';

/** The shape of WorkspaceConfiguration.inspect()'s answer (the fields read here). */
export interface InspectedSetting<T> {
  key?: string;
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** The user's or machine's value (both land in globalValue), else the default; never a workspace's. */
export function userOrMachineValue<T>(inspected: InspectedSetting<T> | undefined): T | undefined {
  if (!inspected) return undefined;
  return inspected.globalValue !== undefined ? inspected.globalValue : inspected.defaultValue;
}

/** A workspace tried to set a machine-only setting: worth a line in the log. */
export function ignoredWorkspaceValue<T>(inspected: InspectedSetting<T> | undefined): boolean {
  return !!inspected && (inspected.workspaceValue !== undefined || inspected.workspaceFolderValue !== undefined);
}

/** distillery.nodePath: empty means VS Code's own Node (Electron as Node). */
export function engineNodePath(inspected: InspectedSetting<string> | undefined): { execPath?: string; problem?: string } {
  const value = userOrMachineValue(inspected)?.trim();
  if (!value) return {};
  try {
    if (!fs.statSync(value).isFile()) return { problem: `distillery.nodePath "${value}" is not a file` };
  } catch {
    return { problem: `distillery.nodePath "${value}" does not exist` };
  }
  return { execPath: value };
}

/** The folder kd.json paths must stay in, or undefined when the user allowed paths anywhere. */
export function workspaceRootFor(
  allowOutside: InspectedSetting<boolean> | undefined,
  workspaceFolder: string | undefined,
  kdJsonDir: string,
): string | undefined {
  if (userOrMachineValue(allowOutside) === true) return undefined;
  return workspaceFolder ?? kdJsonDir;
}
