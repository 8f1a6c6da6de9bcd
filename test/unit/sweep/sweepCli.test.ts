/**
 * `distill sweep` as a user runs it: the folder it announces is the one it writes, also when
 * `--sweeps-root` puts it elsewhere (it used to print the default folder beside kd.json).
 * Needs `npm run build`.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSweep } from '../../../src/protocol/sweep';

const CLI = path.resolve(__dirname, '../../../bin/distill.js');

describe('distill sweep --sweeps-root', function () {
  this.timeout(180_000);

  it('announces and writes the sweep folder under the given root, nothing beside kd.json', () => {
    const kd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sweep-cli-')), 'kd.json');
    fs.writeFileSync(
      kd,
      JSON.stringify({
        name: 'tiny',
        backend: 'wasm',
        data: { source: 'mnist', limit: 200 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 } }],
        student: { architecture: { preset: 'mlp', hidden: [4] } },
        training: { epochs: 1, batchSize: 50 },
        evaluation: { latencySamples: 2, logitsSamples: 2 },
        sweep: { params: { 'distillation.temperature': [3] }, parallel: 1 },
      }),
    );
    const root = path.join(path.dirname(kd), 'elsewhere');
    const r = spawnSync(process.execPath, [CLI, 'sweep', kd, '--sweeps-root', root], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, r.stderr);
    const [id] = fs.readdirSync(root);
    const dir = path.join(root, id);
    assert.equal(readSweep(dir)?.status, 'done');
    const announced = /folder: (.+)/.exec(r.stderr)?.[1];
    assert.equal(announced, dir, r.stderr);
    assert.ok(r.stdout.trim().endsWith(path.join(dir, 'sweep.json')), r.stdout);
    assert.ok(!fs.existsSync(path.join(path.dirname(kd), '.distillery', 'sweeps')), 'no sweep folder beside kd.json');
  });
});
