/**
 * Where the teacher-logits cache lives (engine/run/teacherCache.ts writes it): beside the
 * kd.json, `.distillery/cache/`, unless the parent names another folder in the environment. A
 * sweep names the one beside its kd.json, because its trials' derived configs live in the sweep
 * folder and would otherwise each get a cache of their own. The one place for both halves.
 */
import * as path from 'node:path';
import { DISTILLERY_DIR } from './runFolder';

export const CACHE_DIR_ENV = 'DISTILLERY_CACHE_DIR';

/** The cache beside a kd.json. */
export function defaultCacheDir(configPath: string): string {
  return path.join(path.dirname(configPath), DISTILLERY_DIR, 'cache');
}

/** The cache an engine running `configPath` uses: the environment's, else the one beside it. */
export function cacheDirFor(configPath: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[CACHE_DIR_ENV] || defaultCacheDir(configPath);
}
