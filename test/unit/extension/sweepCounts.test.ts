/**
 * One count of a sweep's progress for the view's header, the Runs tree's node and the
 * notification, the CLI's "[k/N]": every trial, baselines included, failed and stopped ones
 * finished too.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trialCounts, trialCountsText } from '../../../src/protocol/sweepCounts';
import { sweepItemModel } from '../../../src/extension/tree/runInfo';
import { sweepNameOf, sweepProgressTitle } from '../../../src/extension/sweeps/sweepNames';

const trials = [
  { status: 'done', kind: 'baseline' },
  { status: 'done', kind: 'distill' },
  { status: 'failed', kind: 'distill' },
  { status: 'stopped', kind: 'distill' },
  { status: 'running', kind: 'baseline' },
  { status: 'queued', kind: 'distill' },
];

describe('sweep progress counts (protocol/sweepCounts) and names', () => {
  it('counts as the CLI does: finished of all, baselines included', () => {
    assert.deepEqual(trialCounts(trials), { total: 6, finished: 4, done: 2, failed: 1, baselines: 2, distilled: 4 });
    assert.equal(trialCountsText(trialCounts(trials)), '4/6 trials finished (4 distilled, 2 baselines), 1 failed');
    assert.equal(
      trialCountsText(
        trialCounts([
          { status: 'done', kind: 'distill' },
          { status: 'queued', kind: 'baseline' },
        ]),
      ),
      '1/2 trials finished (1 distilled, 1 baseline)',
    );
    assert.equal(trialCountsText(trialCounts([{ status: 'done', kind: 'distill' }])), '1/1 trials finished');
  });

  it('the Runs tree’s running sweep says the same k/N', () => {
    const m = sweepItemModel(
      { name: 'temps', status: 'running', startedAt: new Date(0).toISOString(), trials, params: [{ path: 'distillation.temperature' }] },
      0,
    );
    assert.match(m.description, /^running 4\/6 trials · /);
  });

  it('the notification is titled by kd.json’s name, else its file, never the folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-names-'));
    const folder = path.join(dir, 'sweep');
    fs.mkdirSync(folder);
    const named = path.join(folder, 'kd.json');
    fs.writeFileSync(named, JSON.stringify({ name: 'live-temps', teachers: [], student: {} }));
    const unnamed = path.join(folder, 'temps.kd.json');
    fs.writeFileSync(unnamed, '{ not json');
    try {
      assert.equal(sweepNameOf(named), 'live-temps');
      assert.equal(sweepProgressTitle(named), 'Sweep live-temps');
      assert.equal(sweepProgressTitle(named, [1, 2, 3]), 'Seeded run live-temps (3 seeds)');
      assert.equal(sweepProgressTitle(unnamed), 'Sweep temps.kd.json');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
