/**
 * Faults injected into real engine processes: the run folder must tell the truth afterwards.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../../src/protocol/events';
import { FILES, listRunDirs, readEvents, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { readRunFolder } from '../../src/protocol/runReader';
import { runStatusOf, systemProbe } from '../../src/protocol/runStatus';
import { deriveRunRecord } from '../../src/extension/tree/runInfo';
import { loadRunSeries } from '../../src/extension/dashboard/runData';
import { tinyKd, writeKd } from '../unit/cli/cliHelpers';
import { runCli, waitFor } from './helpers';
import { loadTf } from '../../src/engine/tf';
import { saveLayersModel } from '../../src/engine/models/modelFiles';

describe('faults: the engine process', function () {
  this.timeout(120_000);

  it('kill -9 mid-epoch: the run is marked crashed with the time, the last step and the stderr tail; events stay readable', async () => {
    const kd = writeKd(tinyKd({ training: { epochs: 30, batchSize: 20 }, baseline: false }));
    let enginePid = 0;
    let steps = 0;
    const { code } = await runCli(kd, (m) => {
      if (m.type === 'run_started') enginePid = m.pid;
      if (m.type === 'step' && m.stage === 'distill' && ++steps === 3) process.kill(enginePid, 'SIGKILL');
    });
    assert.equal(code, 1);
    const [runDir] = listRunDirs(runsRootFor(kd));
    const summary = readSummary(runDir) as RunSummary & { lastStep?: { step: number }; stderrTail: string };
    assert.equal(summary.status, 'crashed');
    assert.match(summary.error!, /killed by SIGKILL at distill epoch \d+, step \d+\/\d+/);
    assert.ok(summary.lastStep && summary.lastStep.step > 0);
    assert.ok(Date.parse(summary.endedAt) > Date.parse(summary.startedAt));
    assert.equal(typeof summary.stderrTail, 'string');
    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 0);
    assert.ok(events.filter((e) => e.type === 'step').length >= 3);
    // The Runs tree and the dashboard, through the reader and the rule they use.
    assert.equal(deriveRunRecord(readRunFolder(runDir), undefined, Date.now()).status, 'crashed');
    assert.equal(loadRunSeries(runDir).series.status, 'crashed');
  });

  it('an orphaned run (no summary, heartbeat gone stale) reads as crashed; a fresh heartbeat of a live pid reads as running', async () => {
    const kd = writeKd(tinyKd({ training: { epochs: 30, batchSize: 20 }, baseline: false }));
    let runDir = '';
    let sawRunning = false;
    await runCli(kd, (m, child) => {
      if (m.type === 'run_started') runDir = m.runDir;
      if (m.type === 'step' && m.stage === 'distill' && !sawRunning) {
        sawRunning = deriveRunRecord(readRunFolder(runDir), undefined, Date.now()).status === 'running' && loadRunSeries(runDir).series.status === 'running';
        child.kill('SIGKILL');
        process.kill(m.type === 'step' ? readHeartbeatPid(runDir) : 0, 'SIGKILL');
      }
    });
    assert.ok(sawRunning, 'a live run did not read as running');
    // The CLI was killed too, so nobody wrote a summary: the heartbeat alone must tell.
    assert.ok(!fs.existsSync(path.join(runDir, FILES.summary)));
    // A dead pid with a stale heartbeat is a crash (a stale one whose process lives is "not responding").
    const pid = readHeartbeatPid(runDir);
    await waitFor('the killed engine to be gone', 10_000, () => (systemProbe.alive(pid) ? undefined : true));
    const later = Date.now() + 60_000;
    const state = runStatusOf(readRunFolder(runDir), { now: later });
    assert.equal(state.status, 'crashed');
    assert.match(state.reason!, /stopped without a result/);
    assert.equal(deriveRunRecord(readRunFolder(runDir), undefined, later).status, 'crashed');
    assert.equal(loadRunSeries(runDir).series.status, 'crashed');
  });

  it('a teacher file whose outputs are NaN is a config error naming the file, before training (not "lower the learning rate")', async () => {
    // A teacher whose weights are NaN (a corrupt file from a stranger) would poison the KD term.
    const tf = loadTf();
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    const teacher = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10 })] });
    teacher.setWeights(teacher.getWeights().map((w) => tf.fill(w.shape, NaN)));
    const kd = writeKd(tinyKd({ teachers: [{ id: 'nan', model: 'teacher/model.json' }], training: { epochs: 50, batchSize: 20 } }));
    await saveLayersModel(teacher, path.join(path.dirname(kd), 'teacher'));
    teacher.dispose();
    if (previous) await tf.setBackend(previous);
    const { code, stderr } = await runCli(kd, () => undefined);
    assert.equal(code, 2, stderr);
    const issues: string[] = [];
    await runCli(kd, (m) => m.type === 'config_error' && issues.push(...m.issues.map((i) => `${i.path.join('.')}: ${i.message}`)));
    assert.equal(issues.length, 1, issues.join('\n'));
    assert.match(
      issues[0],
      /^teachers\.0\.model: .*teacher[/\\]model\.json: the teacher's outputs are NaN or infinite on the first batch of training images \(7850 of its weights are NaN or infinite\)/,
    );
    assert.doesNotMatch(issues[0], /learning rate/);
    assert.deepEqual(listRunDirs(runsRootFor(kd)), [], 'a run folder was created');
  });
});

function readHeartbeatPid(runDir: string): number {
  return JSON.parse(fs.readFileSync(path.join(runDir, FILES.heartbeat), 'utf8')).pid;
}
