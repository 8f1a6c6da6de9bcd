/**
 * Which folders are Distillery's run and sweep folders, by where they are and what they hold,
 * not by what a message or a file says they are. Deleting a run, and every path a webview
 * names, go through here: a sweep.json's `runDir` of "../../..", or a webview message naming
 * any folder, must not make the extension delete or open something else.
 *
 *   run folder    <dir>/.distillery/runs/<id>/                 with events.jsonl or config.json
 *   sweep trial   <dir>/.distillery/sweeps/<sweep>/trials/<id>/ with events.jsonl or config.json
 *   sweep folder  <dir>/.distillery/sweeps/<sweep>/            with sweep.json
 *
 * Paths are compared after resolving symbolic links; the folder itself must not be a link.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DISTILLERY_DIR, FILES, RUNS_DIR } from './runFolder';
import { SWEEP_FILES, SWEEPS_DIR } from './sweep';
import type { WebviewUiState } from './webviewMessages';

const SWEEP_JSON = SWEEP_FILES.sweep;
const TRIALS_DIR = SWEEP_FILES.trials;

function realFolder(dir: string): string | undefined {
  try {
    if (fs.lstatSync(dir).isSymbolicLink()) return undefined;
    const real = fs.realpathSync(dir);
    return fs.statSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

function within(roots: readonly string[] | undefined, real: string): boolean {
  if (!roots) return true;
  return roots.some((root) => {
    let r: string;
    try {
      r = fs.realpathSync(root);
    } catch {
      return false;
    }
    const rel = path.relative(r, real);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  });
}

const hasAny = (dir: string, names: string[]) => names.some((n) => fs.existsSync(path.join(dir, n)));

/**
 * Why `dir` is not a run folder (inside one of `roots`, the workspace folders, when given),
 * or undefined when it is one.
 */
export function runFolderProblem(dir: string, roots?: readonly string[]): string | undefined {
  const real = realFolder(dir);
  if (!real) return `${dir} is not a folder (or is a symbolic link)`;
  const parts = real.split(path.sep);
  const n = parts.length;
  const isRun = parts[n - 2] === RUNS_DIR && parts[n - 3] === DISTILLERY_DIR;
  const isTrial = parts[n - 2] === TRIALS_DIR && parts[n - 4] === SWEEPS_DIR && parts[n - 5] === DISTILLERY_DIR;
  if (!isRun && !isTrial) return `${dir} is not a Distillery run folder (.distillery/runs/<id> or .distillery/sweeps/<id>/trials/<id>)`;
  if (!hasAny(real, [FILES.events, FILES.config])) return `${dir} holds no events.jsonl or config.json: not a run folder`;
  if (!within(roots, real)) return `${dir} is outside the workspace`;
  return undefined;
}

/** Why `dir` is not a sweep folder (inside one of `roots` when given), or undefined. */
export function sweepFolderProblem(dir: string, roots?: readonly string[]): string | undefined {
  const real = realFolder(dir);
  if (!real) return `${dir} is not a folder (or is a symbolic link)`;
  const parts = real.split(path.sep);
  const n = parts.length;
  if (parts[n - 2] !== SWEEPS_DIR || parts[n - 3] !== DISTILLERY_DIR) return `${dir} is not a Distillery sweep folder (.distillery/sweeps/<id>)`;
  if (!fs.existsSync(path.join(real, SWEEP_JSON))) return `${dir} holds no sweep.json: not a sweep folder`;
  if (!within(roots, real)) return `${dir} is outside the workspace`;
  return undefined;
}

/** Why `runDir` is not one of the trials of the sweep in `sweepDir`, or undefined when it is. */
export function sweepTrialProblem(sweepDir: string, runDir: string): string | undefined {
  const problem = sweepFolderProblem(sweepDir) ?? runFolderProblem(runDir);
  if (problem) return problem;
  if (path.dirname(fs.realpathSync(runDir)) !== path.join(fs.realpathSync(sweepDir), TRIALS_DIR)) return `${runDir} is not a trial of the sweep ${sweepDir}`;
  return undefined;
}

/** Why a webview's kept state names a folder that is not a known run or sweep folder, or undefined. */
export function uiStateFolderProblem(state: WebviewUiState, roots?: readonly string[]): string | undefined {
  if (state.view === 'dashboard') return runFolderProblem(state.runDir, roots);
  if (state.view === 'compare') return state.runDirs.map((d) => runFolderProblem(d, roots)).find(Boolean);
  // The experiments table names no folder: it reads the workspace's runs again.
  if (state.view === 'experiments') return undefined;
  return sweepFolderProblem(state.sweepDir, roots);
}

/** Why `configPath` is not the kd.json whose sweeps folder holds `sweepDir` ("Apply best" edits only that one), or undefined. */
export function sweepConfigProblem(sweepDir: string, configPath: string): string | undefined {
  const base = path.basename(configPath);
  if (base !== 'kd.json' && !base.endsWith('.kd.json')) return `${configPath} is not a kd.json`;
  const sweepsRoot = path.join(path.dirname(path.resolve(configPath)), DISTILLERY_DIR, SWEEPS_DIR);
  if (path.resolve(path.dirname(path.resolve(sweepDir))) !== sweepsRoot) return `${configPath} is not the kd.json the sweep ${sweepDir} belongs to`;
  return undefined;
}
