/**
 * What the Runs tree's sweep menu may do to a sweep folder, decided without vscode (unit-tested):
 * Stop stops a sweep this window runs (its workers), or cancels a Slurm sweep's jobs as
 * `distill sweep cancel` does, and refuses anything else with the reason; Delete takes only a
 * real sweep folder of the workspace (knownFolders.ts), never one that still runs.
 */
import { sweepFolderProblem } from '../../protocol/knownFolders';
import { readSweep, type SweepFile } from '../../protocol/sweep';
import type { Sweep } from '../../sweep/runSweep';
import type { EditorSweeps } from './editorSweeps';

/** A sweep folder from a Runs-tree node (`{ sweepDir }`), a Uri (`fsPath`) or a path. */
export function sweepDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (!arg || typeof arg !== 'object') return undefined;
  const o = arg as { sweepDir?: unknown; fsPath?: unknown };
  if (typeof o.sweepDir === 'string') return o.sweepDir;
  return typeof o.fsPath === 'string' ? o.fsPath : undefined;
}

export type StopPlan = { kind: 'local'; sweep: Sweep } | { kind: 'slurm' } | { kind: 'refused'; message: string };

export function planStop(sweepDir: string, owner: Pick<EditorSweeps, 'sweepIn'>, file: SweepFile | undefined = readSweep(sweepDir)): StopPlan {
  const mine = owner.sweepIn(sweepDir);
  if (mine) return { kind: 'local', sweep: mine };
  if (!file) return { kind: 'refused', message: `${sweepDir} holds no readable sweep.json` };
  if (file.status !== 'running') return { kind: 'refused', message: `Sweep "${file.name}" has already ended (${file.status}).` };
  if (file.executor?.type === 'slurm') return { kind: 'slurm' };
  const where = file.owner ? `another window or a terminal (pid ${file.owner.pid})` : 'another process';
  return { kind: 'refused', message: `Sweep "${file.name}" runs in ${where}, not in this window: stop it there.` };
}

/** Why the sweep in `sweepDir` may not be deleted, or undefined when it may. */
export function deleteRefusal(
  sweepDir: string,
  roots: readonly string[] | undefined,
  owner: Pick<EditorSweeps, 'sweepIn'>,
  file: SweepFile | undefined = readSweep(sweepDir),
): string | undefined {
  const problem = sweepFolderProblem(sweepDir, roots);
  if (problem) return `Not deleted: ${problem}.`;
  if (owner.sweepIn(sweepDir) || file?.status === 'running') return `Sweep "${file?.name ?? sweepDir}" is still running: stop it first.`;
  return undefined;
}
