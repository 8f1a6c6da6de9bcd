import { recorded } from './fakeVscode';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunManager, type ManagedRun } from '../../../src/extension/runs/runManager';
import { runEndNotice, runLabel, showRunProgress } from '../../../src/extension/runs/runNotices';
import { askWhenLive, liveRuns, runSlots, whenLiveItems } from '../../../src/extension/runs/runQueue';
import type { RunSummary } from '../../../src/protocol/events';

/** An engine that lives until it is told to stop: enough for the queue, which never reads what it writes. */
const FAKE_ENGINE = `process.on('message', (m) => { if (m && m.type === 'stop') process.exit(0); });
setInterval(() => {}, 1000);`;

describe('extension/runs: the queue policy (runQueue.ts) and RunManager', function () {
  this.timeout(30_000);
  let dir: string;
  let enginePath: string;
  beforeEach(() => {
    recorded.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-runqueue-'));
    enginePath = path.join(dir, 'engine.js');
    fs.writeFileSync(enginePath, FAKE_ENGINE);
    fs.writeFileSync(path.join(dir, 'kd.json'), '{}');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const quiet = { append: () => undefined, appendLine: () => undefined };
  const launch = () => ({ workspaceRoot: dir, notes: [] });

  it('runs one at a time per core unless distillery.runsAtOnce says otherwise', () => {
    assert.equal(runSlots(), os.cpus().length);
    recorded.settings.set('runsAtOnce', 1);
    assert.equal(runSlots(), 1);
  });

  it('ignores a runsAtOnce below 1 (one per core), and raising the setting starts the queued runs at once', async () => {
    recorded.settings.set('runsAtOnce', -1);
    assert.equal(runSlots(), os.cpus().length, 'a negative value would queue every run for good');
    recorded.settings.set('runsAtOnce', 1);
    const runs = new RunManager(enginePath, quiet);
    try {
      const kd = path.join(dir, 'kd.json');
      const a = runs.enqueueRun(kd, 'a', launch());
      const b = runs.enqueueRun(kd, 'b', launch());
      assert.deepEqual([a.state, b.state], ['running', 'queued']);
      recorded.settings.set('runsAtOnce', 2);
      recorded.configChange.fire({ affectsConfiguration: (section) => section === 'distillery.runsAtOnce' });
      assert.equal(b.state, 'running', 'the second slot is used without waiting for a run to end');
    } finally {
      await runs.shutdown(500);
      runs.dispose();
    }
  });

  it('starts queued runs first in, first out as slots free, and "now" starts one beyond the limit', async () => {
    const runs = new RunManager(enginePath, quiet, () => 1);
    try {
      const kd = path.join(dir, 'kd.json');
      const a = runs.enqueueRun(kd, 'a', launch());
      const b = runs.enqueueRun(kd, 'b', launch());
      const c = runs.enqueueRun(kd, 'c', launch());
      assert.deepEqual([a.state, b.state, c.state], ['running', 'queued', 'queued']);
      assert.equal(b.engine, undefined, 'a queued run has no engine');
      const both = runs.enqueueRun(kd, 'both', launch(), true);
      assert.equal(both.state, 'running', '"Run both now" starts at once, beyond the one slot');
      assert.deepEqual(
        runs.queued.map((r) => r.name),
        ['b', 'c'],
      );

      await runs.stop(both.runId);
      await both.finished;
      assert.equal(b.state, 'queued', 'the run started beyond the limit frees no slot of the queue');
      await runs.stop(a.runId);
      await a.finished;
      assert.equal(b.state, 'running', 'the first queued run takes the freed slot');
      assert.equal(c.state, 'queued');

      await runs.stop(c.runId);
      assert.equal(c.state, 'finished', 'Stop cancels a queued run');
      assert.equal(await c.finished, undefined);
      assert.equal(runEndNotice(c).text, `${runLabel(c)}: left the queue before it started.`);
    } finally {
      await runs.shutdown(500);
      runs.dispose();
    }
  });

  it('answers a second Start Run with: open each live run (newest first), queue, run both; saying what happens now', async () => {
    const live = [
      { runId: '20261202-010000-long-aaaaaa', name: 'long', state: 'running' as const },
      { runId: '20261202-010100-tiny-bbbbbb', name: 'tiny', state: 'running' as const },
    ];
    const full = whenLiveItems(live, 2);
    assert.deepEqual(
      full.map((i) => i.answer),
      [{ kind: 'open', runId: live[1].runId }, { kind: 'open', runId: live[0].runId }, { kind: 'queue' }, { kind: 'both' }],
    );
    assert.match(full[0].label, /Open "tiny" \(20261202-010100-tiny-bbbbbb\)/);
    assert.match(full[2].description!, /starts when a slot frees \(2 at once/);
    assert.match(full[3].description!, /beyond the 2 at once/);
    const free = whenLiveItems(live.slice(0, 1), 2);
    assert.match(free[1].description!, /a slot is free: starts now/);

    const exiting = { runId: 'x', name: 'x', state: 'running' as const, last: { type: 'run_finished' } };
    assert.deepEqual(liveRuns([...live, exiting]), live, 'a run that has sent its result is exiting, not live');

    recorded.quickPickAnswer = 1;
    assert.deepEqual(await askWhenLive(live.slice(0, 1), 'tiny'), { kind: 'queue' });
    assert.equal(recorded.quickPicks[0].title, '"long" is live. Start "tiny" too?');
    recorded.quickPickAnswer = undefined;
    assert.equal(await askWhenLive(live, 'tiny'), undefined, 'dismissed: nothing is started');
  });

  it('names the run in every notice it ends with', () => {
    const base = { name: 'tiny', runId: '20261202-045512-tiny-3f9a1c', job: { kind: 'run' as const, configPath: 'kd.json', runDir: 'x' } };
    const label = '"tiny" (20261202-045512-tiny-3f9a1c)';
    const summary = { name: 'tiny', status: 'done', durationSec: 12, gain: 0.01 } as unknown as RunSummary;
    const done = runEndNotice({ ...base, last: { type: 'run_finished', time: '', status: 'done', summary } } as unknown as ManagedRun);
    assert.equal(done.severity, 'information');
    assert.ok(done.text.startsWith(`${label}: done in 0:12 — `), done.text);
    const configError = runEndNotice({
      ...base,
      last: { type: 'config_error', issues: [{ path: ['distillation', 'alpha'], message: 'must be ≤ 1' }] },
    } as ManagedRun);
    assert.equal(configError.text, `${label}: kd.json cannot run: distillation.alpha: must be ≤ 1`);
    const failed = runEndNotice({ ...base, job: { kind: 'resume', runDir: 'x' }, last: { type: 'engine_failed', message: 'no checkpoint' } } as ManagedRun);
    assert.equal(failed.text, `${label}: cannot resume: no checkpoint`);
    const exited = runEndNotice({ ...base, exit: { code: 3, signal: null, stderrTail: '' } } as ManagedRun);
    assert.match(exited.text, /^"tiny" \(20261202-045512-tiny-3f9a1c\): the engine exited \(3\) without a result/);
  });

  it("shows a run's progress titled by the run, queued first, and ends with its notice", async () => {
    const runs = new RunManager(enginePath, quiet, () => 1);
    try {
      const kd = path.join(dir, 'kd.json');
      const a = runs.enqueueRun(kd, 'a', launch());
      const b = runs.enqueueRun(kd, 'b', launch());
      const shown = showRunProgress(runs, b.runId);
      assert.equal(recorded.progress[0].title, `Distill ${runLabel(b)}`);
      assert.match(recorded.progress[0].messages[0], /^queued/);
      await runs.stop(b.runId);
      await shown;
      assert.deepEqual(recorded.infos, [`${runLabel(b)}: left the queue before it started.`]);
      assert.equal(a.state, 'running');
    } finally {
      await runs.shutdown(500);
      runs.dispose();
    }
  });
});
