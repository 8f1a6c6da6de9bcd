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
