// `npm run screenshots`: the README's pictures, taken by the UI checks (npm run test:ui, against
// the packaged extension in code-server) and copied to media/screenshots/, so that they show what
// the product looks like today. Heavy: run it under the shared lock where others share the machine.
//   --from <dir>  copy from an earlier UI run's screenshots instead of running the checks
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, TEST_RESULTS } from '../testbed/util.mjs';

/** README picture ← the UI check's screenshot (test/ui/*.ui.ts names them). */
export const README_SCREENSHOTS = {
  'kd-json.png': '01-kd-json-open.png',
  'live-run.png': 'sidebar-01-live-run.png',
  'dashboard.png': 'dashboard-02-done.png',
};
const OUT = path.join(REPO_ROOT, 'media', 'screenshots');

const { values: opts } = parseArgs({ options: { from: { type: 'string' } } });
let from = opts.from && path.resolve(opts.from);
if (!from) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'test-ui.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the UI checks failed (see above); the README keeps its screenshots');
  from = path.join(TEST_RESULTS, 'screenshots');
}
const missing = Object.values(README_SCREENSHOTS).filter((f) => !fs.existsSync(path.join(from, f)));
if (missing.length) throw new Error(`the UI checks took no ${missing.join(', ')} in ${from}; update README_SCREENSHOTS in scripts/package/screenshots.mjs`);
fs.mkdirSync(OUT, { recursive: true });
for (const [to, shot] of Object.entries(README_SCREENSHOTS)) {
  fs.copyFileSync(path.join(from, shot), path.join(OUT, to));
  console.log(`[screenshots] media/screenshots/${to} <- ${path.relative(REPO_ROOT, path.join(from, shot))}`);
}
