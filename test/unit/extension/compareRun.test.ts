import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCompareRun } from '../../../src/extension/dashboard/runData';
import { FILES } from '../../../src/protocol/runFolder';

describe('loadCompareRun', () => {
  it("diffs settings only: config.json's $configPath and $git (different per commit) are left out", () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-compare-'));
    const config = { seed: 3, distillation: { temperature: 4 }, $configPath: '/w/kd.json', $git: { commit: 'a1b2c3d', dirty: true, changes: 2 } };
    fs.writeFileSync(path.join(runDir, FILES.config), JSON.stringify(config));
    assert.deepEqual(loadCompareRun(runDir).config, { seed: 3, distillation: { temperature: 4 } });
  });
});
