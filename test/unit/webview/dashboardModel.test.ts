import * as assert from 'node:assert/strict';
import type { RunEvent, RunSummary } from '../../../src/protocol/events';
import { emptyRunSeries } from '../../../src/protocol/runSeries';
import { isHostMessage, type DashboardInit } from '../../../src/protocol/webviewMessages';
import { parseWebviewMessage } from '../../../src/protocol/webviewMessageSchema';
const isWebviewMessage = (v: unknown) => parseWebviewMessage(v) !== undefined;
import { reduceDashboard } from '../../../webview/lib/dashboardModel';

const init = (): DashboardInit => ({
  type: 'init',
  view: 'dashboard',
  runId: 'r1',
  runDir: '/r1',
  series: emptyRunSeries({ runId: 'r1' }),
  skippedLines: 1,
  live: true,
});
const step = (n: number): RunEvent => ({
  time: '2026-01-01T00:00:00Z',
  type: 'step',
  stage: 'distill',
  epoch: 1,
  step: n,
  totalSteps: 100,
  loss: 1,
  terms: { kd: 0.5 },
  lr: 0.1,
  samplesPerSec: 1,
});

describe('dashboard message reducer', () => {
  it('ignores messages before init, then starts from init', () => {
    assert.equal(reduceDashboard(undefined, { type: 'events', runId: 'r1', events: [step(1)] }), undefined);
    const m = reduceDashboard(undefined, init())!;
    assert.equal(m.tab, 'curves');
    assert.equal(m.skippedLines, 1);
  });

  it('a remembered tab wins over the host’s suggestion; showTab switches', () => {
    const m = reduceDashboard(undefined, { ...init(), tab: 'confusion' }, 'darkKnowledge')!;
    assert.equal(m.tab, 'darkKnowledge');
    assert.equal(reduceDashboard(m, { type: 'showTab', tab: 'log' })!.tab, 'log');
  });

  it('appends live events of its run only, and counts them', () => {
    const m = reduceDashboard(undefined, init())!;
    reduceDashboard(m, { type: 'events', runId: 'r1', events: [step(1), step(2)] });
    reduceDashboard(m, { type: 'events', runId: 'other', events: [step(3)] });
    assert.deepEqual(m.series.loss['distill/total'].x, [1, 2]);
    assert.equal(m.liveEvents, 2);
  });

  it('run_finished ends liveness; artifacts bring predictions and the summary', () => {
    const m = reduceDashboard(undefined, init())!;
    const summary = { runId: 'r1', status: 'done', name: 'n', backend: 'cpu' } as RunSummary;
    reduceDashboard(m, { type: 'events', runId: 'r1', events: [{ time: 'x', type: 'run_finished', status: 'done', summary }] });
    assert.equal(m.live, false);
    assert.equal(m.series.status, 'done');
    const v = m.version;
    reduceDashboard(m, { type: 'artifacts', runId: 'r1', predictions: { indices: [0], labels: [1], teacher: [1], student: [0] } });
    assert.equal(m.predictions?.labels[0], 1);
    assert.ok(m.version > v, 'the version bumps so views redraw');
  });

  it('the run’s plan comes with init, or later with artifacts (a dashboard opened before config.json was written)', () => {
    const plan = { after: [{ key: 'distill', epochs: 2, batchSize: 64 }] };
    assert.equal(reduceDashboard(undefined, { ...init(), plan })!.plan, plan);
    const m = reduceDashboard(undefined, init())!;
    assert.equal(m.plan, undefined);
    reduceDashboard(m, { type: 'artifacts', runId: 'r1', plan });
    assert.equal(m.plan, plan);
  });

  it('a second init (the webview came back) starts over from what the host read', () => {
    const m = reduceDashboard(undefined, init())!;
    reduceDashboard(m, { type: 'events', runId: 'r1', events: [step(1)] });
    const again = reduceDashboard(m, init())!;
    assert.equal(again.liveEvents, 0);
    assert.equal(again.series.stepCount, 0);
  });

  it('message guards accept the union and reject anything else', () => {
    assert.ok(isWebviewMessage({ type: 'ready', view: 'dashboard' }));
    assert.ok(!isWebviewMessage({ type: 'init' }));
    assert.ok(!isWebviewMessage('ready'));
    assert.ok(isHostMessage({ type: 'events', runId: 'r', events: [] }));
    assert.ok(!isHostMessage({ type: 'ready' }));
    assert.ok(!isHostMessage(null));
  });
});
