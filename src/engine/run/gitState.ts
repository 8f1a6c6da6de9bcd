/**
 * The workspace's git state at a run's start, recorded in config.json (`$git`, protocol/runMeta.ts
 * GitState) so a result can be traced to the code that made it: `git rev-parse HEAD` and
 * `git status --porcelain` in the kd.json's folder, each with a short timeout. No repository,
 * no git on the PATH, a timeout: recorded as such, never a failure of the run. The run folders,
 * caches and sweeps under `.distillery/` are left out of "dirty": the run itself writes them.
 */
import { spawnSync } from 'node:child_process';
import type { GitState } from '../../protocol/runMeta';

/** Per git command; a slow network file system must not hold a run up. */
export const GIT_TIMEOUT_MS = 3000;

function git(cwd: string, args: string[]): { out: string } | { reason: string } {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    timeout: GIT_TIMEOUT_MS,
    // Parallel trials run this at once: `git status` must not take the index lock to refresh it.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { reason: code === 'ENOENT' ? 'git is not on the PATH' : code === 'ETIMEDOUT' ? `git took over ${GIT_TIMEOUT_MS} ms` : r.error.message };
  }
  if (r.status !== 0) {
    const err = (r.stderr || '').trim();
    return { reason: /not a git repository/i.test(err) ? 'not a git repository' : `git ${args[0]} failed: ${err.split('\n')[0] || `exit ${r.status}`}` };
  }
  return { out: r.stdout };
}

export function gitStateAt(dir: string): GitState {
  const head = git(dir, ['rev-parse', '--verify', 'HEAD']);
  if ('reason' in head) {
    // A repository without a commit yet has no HEAD to name; said so, not "not a repository".
    const inside = git(dir, ['rev-parse', '--is-inside-work-tree']);
    return { commit: null, reason: 'out' in inside ? 'no commit yet' : head.reason };
  }
  const status = git(dir, [
    'status',
    '--porcelain',
    '--untracked-files=normal',
    '--',
    ':(top)',
    ':(top,exclude,glob)**/.distillery/**',
    ':(top,exclude,glob)**/.distillery',
  ]);
  // The commit is still worth recording when only the status is slow (a large work tree) or fails.
  if ('reason' in status) return { commit: head.out.trim(), dirty: null, reason: status.reason };
  const changes = status.out.split('\n').filter((l) => l.trim()).length;
  return { commit: head.out.trim(), dirty: changes > 0, changes };
}
