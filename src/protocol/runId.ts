/**
 * Run ids sort by start time and stay unique when two runs start in the same millisecond,
 * from two processes: a random suffix, and the folder is created with a non-recursive mkdir
 * that fails rather than share a folder.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
}

export function newRunId(name: string, now = new Date()): string {
  return `${stamp(now)}-${slug(name)}-${randomBytes(3).toString('hex')}`;
}

/** Creates `<runsRoot>/<id>` exclusively; a clash (same id) retries with a fresh id. */
export function createRunDir(runsRoot: string, name: string, preferredId?: string): { id: string; dir: string } {
  fs.mkdirSync(runsRoot, { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    const id = attempt === 0 && preferredId ? preferredId : newRunId(name);
    const dir = path.join(runsRoot, id);
    try {
      fs.mkdirSync(dir);
      return { id, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`could not create a unique run folder under ${runsRoot}`);
}

/**
 * Why no run folder can be created under `runsRoot`, or undefined: it (or the nearest part of
 * its path that exists) must be a folder this process may write in. Checked before a run's
 * preparation, so that a wrong --runs-root costs no teacher training.
 */
export function runsRootProblem(runsRoot: string): string | undefined {
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
