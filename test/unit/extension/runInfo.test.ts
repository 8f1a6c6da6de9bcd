import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent, RunSummary } from '../../../src/protocol/events';
import { deleteRefusal, deriveRunRecord, relativeTime, runItemModel, timeFromRunId } from '../../../src/extension/tree/runInfo';
import { foldRunEvents, readRunFolder, type RunFolder } from '../../../src/protocol/runReader';
import { engineState, FIRST_BEAT_WINDOW_MS as LIVE_WINDOW_MS, type Heartbeat } from '../../../src/protocol/runStatus';

const T0 = Date.parse('2026-01-02T10:00:00Z');
const time = '2026-01-02T10:00:00.000Z';
const started: RunEvent = { type: 'run_started', time, runId: 'r1', runDir: '/x/r1', name: 'tiny', pid: 1, backend: 'wasm', configPath: '/x/kd.json' };
const steps: RunEvent[] = [
  { type: 'stage_started', time, stage: 'teacher', model: 'm', epochs: 1, stepsPerEpoch: 10, params: 100 },
  { type: 'step', time, stage: 'teacher', epoch: 1, step: 10, totalSteps: 10, loss: 1, terms: {}, lr: 0.001, samplesPerSec: 1 },
  { type: 'stage_started', time, stage: 'distill', model: 'm', epochs: 4, stepsPerEpoch: 10, params: 100 },
  { type: 'step', time, stage: 'distill', epoch: 2, step: 15, totalSteps: 40, loss: 1, terms: {}, lr: 0.001, samplesPerSec: 1 },
];
const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  runId: 'r1',
  name: 'tiny',
  status: 'done',
  backend: 'wasm',
  startedAt: time,
  endedAt: time,
  durationSec: 3,
  configPath: '/x/kd.json',
  numClasses: 10,
  testSamples: 100,
  student: { testAccuracy: 0.9612, confusion: [], params: 10, bytes: 40, latencyMs: 1 },
  baseline: { testAccuracy: 0.9421, confusion: [], params: 10, bytes: 40, latencyMs: 1 },
  gain: 0.0191,
  ...over,
});

/** A run folder as the protocol reader returns it, from events in memory. */
function folder(o: { runId: string; runDir: string; events: RunEvent[]; summary?: RunSummary; eventsMtimeMs?: number; heartbeat?: Heartbeat }): RunFolder {
  return { ...o, events: foldRunEvents(o.events), skipped: 0 };
}

describe('extension/tree/runInfo: run status rules', () => {
  it('a summary is final, whatever else is known', () => {
    const r = deriveRunRecord(folder({ runId: 'r1', runDir: '/x/r1', events: [started], summary: summary({ status: 'stopped' }) }), 'running', T0);
    assert.equal(r.status, 'stopped');
  });

  it('a run_finished event without summary.json counts as final too', () => {
    const fin: RunEvent = {
      type: 'run_finished',
      time,
      status: 'failed',
      error: 'boom',
      summary: summary({ status: 'failed', error: 'boom', student: undefined }),
    };
    const r = deriveRunRecord(folder({ runId: 'r1', runDir: '/x/r1', events: [started, fin] }), undefined, T0);
    assert.equal(r.status, 'failed');
    assert.equal(r.error, 'boom');
  });

  it("this window's engine decides while it runs, with epoch and percent", () => {
    const r = deriveRunRecord(folder({ runId: 'r1', runDir: '/x/r1', events: [started, ...steps], eventsMtimeMs: T0 - 10 * LIVE_WINDOW_MS }), 'running', T0);
    assert.equal(r.status, 'running');
    assert.deepEqual(r.progress, { stage: 'distill', epoch: 2, epochs: 4, percent: 37.5 });
    assert.equal(runItemModel(r, T0).description, 'distill epoch 2/4 · 38% · just now');
  });

  it('no engine here: fresh events mean a live engine elsewhere (CLI), stale ones a crash', () => {
    const snap = { runId: 'r1', runDir: '/x/r1', events: [started, ...steps] };
    assert.equal(deriveRunRecord(folder({ ...snap, eventsMtimeMs: T0 - 5_000 }), undefined, T0).status, 'running');
    assert.equal(deriveRunRecord(folder({ ...snap, eventsMtimeMs: T0 - LIVE_WINDOW_MS - 1 }), undefined, T0).status, 'crashed');
    // This window's engine has exited without a summary: crashed even if the file is fresh.
    assert.equal(deriveRunRecord(folder({ ...snap, eventsMtimeMs: T0 - 5_000 }), 'finished', T0).status, 'crashed');
    assert.equal(engineState({}, T0).status, 'crashed');
  });

  it('once the engine writes a heartbeat, it decides: fresh and alive runs; stale but alive is not responding; gone is crashed', () => {
    const snap = { runId: 'r1', runDir: '/x/r1', events: [started, ...steps], eventsMtimeMs: T0 - 10 * LIVE_WINDOW_MS };
    const beat = (ageMs: number, procStart?: string) => ({ pid: 4242, time: new Date(T0 - ageMs).toISOString(), procStart });
    const alive = { alive: () => true, startOf: () => '777' };
    const dead = { alive: () => false };
    assert.equal(deriveRunRecord(folder({ ...snap, heartbeat: beat(3_000) }), undefined, T0, undefined, alive).status, 'running');
    assert.equal(deriveRunRecord(folder({ ...snap, heartbeat: beat(3_000) }), undefined, T0, undefined, dead).status, 'crashed');
    // A SIGSTOPped engine: its heartbeat is a minute old, but its process is there.
    const stopped = deriveRunRecord(folder({ ...snap, heartbeat: beat(60_000, '777') }), undefined, T0, undefined, alive);
    assert.equal(stopped.status, 'not-responding');
    assert.match(runItemModel(stopped, T0).description, /^not responding/);
    assert.match(deleteRefusal(stopped)!, /not responding/);
    assert.equal(deriveRunRecord(folder({ ...snap, heartbeat: beat(60_000) }), undefined, T0, undefined, dead).status, 'crashed');
    // The pid lives, but it is another process now (its start time differs): the engine is gone.
    assert.equal(deriveRunRecord(folder({ ...snap, heartbeat: beat(60_000, '123') }), undefined, T0, undefined, alive).status, 'crashed');
    assert.equal(deriveRunRecord(folder({ ...snap, heartbeat: beat(3_000, '123') }), undefined, T0, undefined, alive).status, 'crashed');
    // The dashboard and the tree share the rule: engineState answers the same for the heartbeat alone.
    assert.equal(engineState({ heartbeat: beat(60_000, '777') }, T0, alive).status, 'not-responding');
  });

  it('shows the key result of a finished run and a status icon', () => {
    const r = deriveRunRecord(
      folder({ runId: '20260102-100000-tiny-abc', runDir: '/x/r1', events: [started], summary: summary() }),
      undefined,
      T0 + 5 * 60_000,
    );
    const m = runItemModel(r, T0 + 5 * 60_000);
    assert.equal(m.description, '96.12% vs 94.21% scratch (+1.91 pts) · 5 min ago');
    const fromFile = summary();
    fromFile.baseline = { ...fromFile.baseline!, start: 'file' };
    assert.equal(
      runItemModel(deriveRunRecord(folder({ runId: 'r2', runDir: '/x/r2', events: [started], summary: fromFile }), undefined, T0), T0).description.split(
        ' · ',
      )[0],
      '96.12% vs 94.21% same start, no teacher (+1.91 pts)',
    );
    assert.equal(m.icon, 'pass');
    assert.equal(m.contextValue, 'run.done');
    assert.equal(runItemModel({ ...r, status: 'crashed', summary: undefined }, T0).icon, 'warning');
  });

  it('the sidebar says the verdict with its interval: "no measurable difference" when the interval holds 0', () => {
    const significance = {
      test: 'mcnemar' as const,
      discordant: [19, 12] as [number, number],
      pValue: 0.28,
      interval95: [-0.0104, 0.0391] as [number, number],
      method: 'Newcombe',
      verdict: 'no measurable difference' as const,
    };
    const r = deriveRunRecord(
      folder({ runId: '20260102-100000-tiny-abc', runDir: '/x/r1', events: [started], summary: summary({ significance }) }),
      undefined,
      T0 + 5 * 60_000,
    );
    const m = runItemModel(r, T0 + 5 * 60_000);
    assert.equal(m.description, '96.12% vs 94.21% scratch (+1.91 pts, 95 % CI −1.0 to +3.9): no measurable difference · 5 min ago');
    assert.ok(
      m.tooltip.includes(
        'distillation: no measurable difference from the same student trained from scratch: 96.12% vs 94.21% (+1.91 pts, 95 % CI −1.0 to +3.9; McNemar p = 0.28)',
      ),
      m.tooltip,
    );
  });

  it('reads the time from a run id and says it relatively', () => {
    assert.equal(timeFromRunId('20260102-100000-tiny-abc'), new Date(2026, 0, 2, 10, 0, 0).toISOString());
    assert.equal(relativeTime(new Date(T0 - 3 * 3600_000).toISOString(), T0), '3 h ago');
    assert.equal(foldRunEvents([]).progress, undefined);
  });

  it('reads a run folder with a torn last line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runinfo-'));
    fs.writeFileSync(path.join(dir, 'events.jsonl'), JSON.stringify(started) + '\n' + JSON.stringify(steps[0]) + '\n{"type":"st');
    const snap = readRunFolder(dir);
    assert.equal(snap.events.started?.name, 'tiny');
    assert.equal(snap.skipped, 1);
    assert.equal(snap.summary, undefined);
    assert.ok(snap.eventsMtimeMs && Math.abs(snap.eventsMtimeMs - Date.now()) < 60_000);
    assert.equal(deriveRunRecord(snap, undefined, Date.now()).status, 'running');
    fs.rmSync(dir, { recursive: true });
  });

  it('a torn or foreign summary.json reads as an unreadable summary naming the file; the row still draws', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runinfo-'));
    fs.writeFileSync(path.join(dir, 'events.jsonl'), JSON.stringify(started) + '\n');
    const file = path.join(dir, 'summary.json');
    const cases: [string, RegExp][] = [
      ['{"hello":"world"}', /"status" is missing, not one of done, failed, stopped, crashed/],
      ['{"status":"done","runId":"r","name":"n","startedAt":"t","student":{"testAccuracy":"high"}}', /"student.testAccuracy" is not a number/],
      ['[1, 2]', /not a JSON object/],
      ['{"status":"do', /JSON/],
    ];
    for (const [text, why] of cases) {
      fs.writeFileSync(file, text);
      const snap = readRunFolder(dir);
      assert.equal(snap.summary, undefined, text);
      assert.ok(snap.summaryProblem?.startsWith(`unreadable summary ${file}: `), snap.summaryProblem);
      assert.match(snap.summaryProblem!, why);
      // No heartbeat and events written just now: an engine starting elsewhere, by the one rule.
      const r = deriveRunRecord(snap, undefined, Date.now());
      assert.equal(r.status, 'running');
      const m = runItemModel(r, Date.now());
      assert.match(m.description, /^starting · unreadable summary/);
      assert.ok(m.tooltip.includes(snap.summaryProblem!), m.tooltip);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('extension/tree/runInfo: sweeps', () => {
  it('labels trials by their swept values and a sweep by its best setting', async () => {
    const { trialLabel, sweepItemModel } = await import('../../../src/extension/tree/runInfo');
    assert.equal(
      trialLabel({ kind: 'distill', params: { 'distillation.temperature': 4, 'distillation.alpha': 0.5 }, seed: 42 }, 'scratch'),
      'temperature=4, alpha=0.5 · seed 42',
    );
    assert.equal(trialLabel({ kind: 'baseline', params: {}, seed: 1 }, undefined), 'baseline (scratch) · seed 1');
    const m = sweepItemModel(
      {
        name: 'mnist',
        status: 'running',
        startedAt: time,
        trials: [{ status: 'done' }, { status: 'running' }],
        bestSetting: { params: { 'distillation.temperature': 4 }, mean: 0.9712 },
      },
      T0,
    );
    assert.equal(m.description, 'running 1/2 trials · best temperature=4 (97.12%) · just now');
    assert.equal(m.contextValue, 'sweep.running');
  });
});
