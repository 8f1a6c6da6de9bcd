/** Every file under `dir` whose name ends with `ext`, for tests that scan the source for a rule. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function filesUnder(dir: string, ext = '.ts'): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}
