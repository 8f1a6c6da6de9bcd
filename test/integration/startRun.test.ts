import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES, readEvents, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { fixture, readJson, startRun, waitFor } from './helpers';

describe('Distill: Start Run', () => {
  it('runs a tiny kd.json to completion through the engine and leaves a complete run folder', async function () {
    this.timeout(6 * 60_000);
    const kdJson = fixture('kd.json');
    const { runId, runDir } = await startRun(kdJson);

    assert.equal(path.dirname(runDir), runsRootFor(kdJson), 'the run folder sits in .distillery/runs beside kd.json');
    assert.equal(path.basename(runDir), runId);

    const summary = await waitFor(`${FILES.summary} in ${runDir}`, () => readSummary(runDir), 5 * 60_000, 250);
    assert.equal(summary.status, 'done', `run ended ${summary.status}: ${summary.error ?? ''}`);
    assert.equal(summary.runId, runId);

    const config = readJson<{ teachers: unknown[] }>(path.join(runDir, FILES.config));
    assert.equal(config.teachers.length, 1, 'config.json holds the resolved config');

    const { events, skipped } = readEvents(runDir);
    assert.equal(skipped, 0, 'every line of events.jsonl parses');
    assert.equal(events[0]?.type, 'run_started');
    const last = events[events.length - 1];
    assert.ok(last?.type === 'run_finished' && last.status === 'done', `last event: ${JSON.stringify(last)}`);
    const steps = events.filter((e) => e.type === 'step');
    assert.ok(steps.length > 0, 'training steps were reported');
    assert.ok(
      steps.every((s) => s.type === 'step' && Number.isFinite(s.loss)),
      'every step loss is finite',
    );

    const model = readJson<{ modelTopology?: unknown; weightsManifest?: unknown[] }>(path.join(runDir, FILES.student, 'model.json'));
    assert.ok(model.modelTopology, 'student/model.json has a topology');
    assert.ok(model.weightsManifest?.length, 'student/model.json lists its weights');

    const acc = summary.student?.testAccuracy;
    assert.ok(typeof acc === 'number' && acc >= 0 && acc <= 1, `student test accuracy ${acc}`);
    assert.ok(fs.existsSync(path.join(runDir, FILES.student)));
  });
});
