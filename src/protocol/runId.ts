/**
 * Run ids sort by start time and stay unique when two runs start in the same millisecond,
 * from two processes: a random suffix, and a folder is created with a non-recursive mkdir
 * that fails rather than share a folder.
 *
 * A new run's folder is decided once, by the engine's parent (newRunJob: the CLI, the
 * extension's RunManager; a sweep names its trials' folders after their ids), and passed to
 * the engine (--run-dir), which creates exactly that folder (createRunFolder) and refuses one
 * that already exists (runDirProblem).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NewRunJob } from './engineArgs';
import { runsRootFor } from './runFolder';

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'run'
  );
}

function newRunId(name: string): string {
  const now = new Date();
  return `${stamp(now)}-${slug(name)}-${randomBytes(3).toString('hex')}`;
}

/** A run's name when its kd.json has none: the kd.json's folder (what run ids and the Runs tree show). */
export function runName(configPath: string, name?: string): string {
  return name ?? path.basename(path.dirname(path.resolve(configPath)));
}

/**
 * The folder for a new run named `name` under `runsRoot` (not created: the engine creates it).
 * An id whose folder exists already is passed over; a race for the same one is lost by one of
 * the two engines, which then fails rather than share it (createRunFolder).
 */
export function newRunDir(runsRoot: string, name: string): string {
  for (;;) {
    const dir = path.join(runsRoot, newRunId(name));
    if (!fs.existsSync(dir)) return dir;
  }
}

/**
 * A new run of `configPath` (`name`: its kd.json's, if any), in a folder under `runsRoot`
 * (default: .distillery/runs beside it): the one place a parent decides where a run goes.
 */
export function newRunJob(configPath: string, name?: string, runsRoot = runsRootFor(configPath)): NewRunJob {
  return { kind: 'run', configPath, runDir: newRunDir(runsRoot, runName(configPath, name)) };
}

/** Creates `dir` (and the folders above it), exclusively: false when it exists already. */
export function createRunFolder(dir: string): boolean {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Creates a fresh `<root>/<id>` exclusively (a sweep's folder); a clash retries with a fresh id. */
export function createRunDir(root: string, name: string): { id: string; dir: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = newRunId(name);
    const dir = path.join(root, id);
    if (createRunFolder(dir)) return { id, dir };
  }
  throw new Error(`could not create a unique folder under ${root}`);
}

/** Why the engine cannot create the new run folder `runDir`, or undefined: checked before a run's preparation too. */
export function runDirProblem(runDir: string): string | undefined {
  if (fs.existsSync(runDir)) return `the run folder ${runDir} already exists; nothing was written to it`;
  return runsRootProblem(path.dirname(path.resolve(runDir)));
}

/**
 * Why no run folder can be created under `runsRoot`, or undefined: it (or the nearest part of
 * its path that exists) must be a folder this process may write in. Checked before a run's
 * preparation, so that a wrong --runs-root costs no teacher training.
 */
function runsRootProblem(runsRoot: string): string | undefined {
  for (let p = path.resolve(runsRoot); ; p = path.dirname(p)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      if (path.dirname(p) === p) return undefined;
      continue;
    }
    const what = p === path.resolve(runsRoot) ? p : `${p} (on the way to ${runsRoot})`;
    if (!stat.isDirectory()) return `cannot create the run folder in ${runsRoot}: ${what} is not a folder`;
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch {
      return `cannot create the run folder in ${runsRoot}: ${what} is not writable`;
    }
    return undefined;
  }
}
