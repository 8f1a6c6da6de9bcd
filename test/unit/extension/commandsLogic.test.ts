import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfigText } from '../../../src/protocol/loadConfig';
import { freeKdJsonName, STARTER_KD_JSON } from '../../../src/extension/commands/starterKdJson';
import { computeDiagnostics } from '../../../src/extension/kdjson/diagnostics';
import { deleteRefusal, statusText } from '../../../src/extension/tree/runInfo';

describe('extension: command logic', () => {
  it('New kd.json writes a commented starter that validates and draws no diagnostics', () => {
    assert.match(STARTER_KD_JSON, /^\s*\/\//m, 'it has comments');
    const loaded = loadConfigText(STARTER_KD_JSON, '/tmp/kd.json', { checkFiles: true });
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
    assert.equal(loaded.config.data.source, 'mnist');
    assert.deepEqual(computeDiagnostics(STARTER_KD_JSON, '/tmp/kd.json'), []);
  });

  it('never overwrites an existing kd.json', () => {
    assert.equal(
      freeKdJsonName(() => false),
      'kd.json',
    );
    const taken = new Set(['kd.json', 'experiment.kd.json', 'experiment-2.kd.json']);
    assert.equal(
      freeKdJsonName((n) => taken.has(n)),
      'experiment-3.kd.json',
    );
  });

  it("the status bar shows the running run's epoch and percent, and the queue", () => {
    assert.equal(statusText([]), undefined);
    const progress = { stage: 'distill' as const, epoch: 2, epochs: 5, percent: 41.2 };
    assert.equal(statusText([{ name: 'tiny', state: 'running', progress }]), '$(sync~spin) tiny: distill epoch 2/5 · 41%');
    assert.equal(
      statusText([
        { name: 'tiny', state: 'running', progress },
        { name: 'b', state: 'queued' },
        { name: 'c', state: 'queued' },
      ]),
      '$(sync~spin) tiny: distill epoch 2/5 · 41% (2 queued)',
    );
    assert.equal(statusText([{ name: 'b', state: 'queued' }]), '$(clock) Distill (1 queued)');
  });
});

describe('extension: Delete Run guard', () => {
  it('refuses while a run is running or queued, allows it after', () => {
    const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distill-del-')), '.distillery', 'runs', 'r1');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'events.jsonl'), '');
    assert.match(deleteRefusal({ status: 'running', name: 'tiny', runDir })!, /stop it before deleting/);
    assert.match(deleteRefusal({ status: 'queued', name: 'tiny', runDir })!, /queued/);
    for (const status of ['done', 'failed', 'stopped', 'crashed'] as const) assert.equal(deleteRefusal({ status, name: 'x', runDir }), undefined);
  });
});
