/**
 * Issue 13 item 8: every message from a webview is parsed with a schema (not trusted for its
 * `type`), and a path from a webview (a message, or the state a webview kept across a reload)
 * must be a known run or sweep folder of the workspace before a panel opens it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFolderProblem, sweepConfigProblem, sweepFolderProblem, sweepTrialProblem, uiStateFolderProblem } from '../../../src/protocol/knownFolders';
import { parseWebviewMessage, parseWebviewUiState } from '../../../src/protocol/webviewMessageSchema';

describe('webview messages: parsed with a schema', () => {
  it('accepts each message shape, and refuses a known type with missing, mistyped or oversized fields', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'openRun', runDir: '/w/.distillery/runs/r' }), { type: 'openRun', runDir: '/w/.distillery/runs/r' });
    assert.ok(parseWebviewMessage({ type: 'ready', view: 'sweep', state: { view: 'sweep', sweepDir: '/s' } }));
    assert.ok(parseWebviewMessage({ type: 'rendered', view: 'dashboard', steps: 3, epochs: 1, status: 'done', charts: 2 }));
    // The old check looked at `type` only: each of these passed it.
    for (const bad of [
      { type: 'openRun' },
      { type: 'openRun', runDir: 42 },
      { type: 'openRun', runDir: { toString: 'x' } },
      { type: 'openRun', runDir: '' },
      { type: 'exportCsv', fileName: 'a.csv' },
      { type: 'stop', runId: 'x'.repeat(10_000) },
      { type: 'ready', view: 'elsewhere' },
      { type: 'ready', view: 'dashboard', state: { view: 'dashboard', runId: 'r' } },
      { type: 'rendered', view: 'dashboard', steps: -1, epochs: 0, status: 'x', charts: 0 },
      { type: 'init' },
      'ready',
      null,
    ])
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    // What the sweep view posts for Apply best setting (it names no trial: the setting is sweep.json's).
    assert.deepEqual(parseWebviewMessage({ type: 'applyBest' }), { type: 'applyBest' });
    // Unknown keys are dropped, not passed on.
    assert.deepEqual(parseWebviewMessage({ type: 'stop', runId: 'r', extra: '<script>' }), { type: 'stop', runId: 'r' });
  });

  it('a kept UI state is restored only with its shape', () => {
    assert.ok(parseWebviewUiState({ view: 'compare', runDirs: ['/a', '/b'] }));
    assert.equal(parseWebviewUiState({ view: 'compare', runDirs: '/a' }), undefined);
    assert.equal(parseWebviewUiState({ view: 'sweep' }), undefined);
  });
});

describe('webview paths: only known run and sweep folders of the workspace', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-known-'));
  const run = path.join(ws, '.distillery', 'runs', 'r1');
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'events.jsonl'), '');
  const sweep = path.join(ws, '.distillery', 'sweeps', 's1');
  const trial = path.join(sweep, 'trials', 't1');
  fs.mkdirSync(trial, { recursive: true });
  fs.writeFileSync(path.join(sweep, 'sweep.json'), '{}');
  fs.writeFileSync(path.join(trial, 'events.jsonl'), '');
  const other = path.join(ws, '.distillery', 'sweeps', 's2');
  fs.mkdirSync(path.join(other, 'trials', 't9'), { recursive: true });
  fs.writeFileSync(path.join(other, 'sweep.json'), '{}');
  fs.writeFileSync(path.join(other, 'trials', 't9', 'events.jsonl'), '');

  it('the sweep view opens a trial of its own sweep, nothing else', () => {
    assert.equal(sweepTrialProblem(sweep, trial), undefined);
    assert.match(sweepTrialProblem(sweep, path.join(other, 'trials', 't9'))!, /not a trial of the sweep/);
    assert.match(sweepTrialProblem(sweep, run)!, /not a trial of the sweep/);
    assert.match(sweepTrialProblem(sweep, '/etc')!, /not a Distillery run folder/);
    assert.match(sweepTrialProblem(sweep, path.join(trial, '..', '..', '..', '..', '..'))!, /not a Distillery run folder/);
    assert.match(sweepTrialProblem(path.join(ws, 'nowhere'), trial)!, /not a folder/);
  });

  it("a restored panel names folders of the workspace only; Apply best edits only the sweep's own kd.json", () => {
    assert.equal(uiStateFolderProblem({ view: 'dashboard', runId: 'r1', runDir: run }, [ws]), undefined);
    assert.match(uiStateFolderProblem({ view: 'dashboard', runId: 'r1', runDir: os.homedir() }, [ws])!, /not a Distillery run folder/);
    assert.match(uiStateFolderProblem({ view: 'compare', runDirs: [run, '/tmp'] }, [ws])!, /not a Distillery run folder/);
    assert.equal(uiStateFolderProblem({ view: 'sweep', sweepDir: sweep }, [ws]), undefined);
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-elsewhere-'));
    assert.match(uiStateFolderProblem({ view: 'sweep', sweepDir: sweep }, [elsewhere])!, /outside the workspace/);
    assert.match(sweepFolderProblem(run)!, /not a Distillery sweep folder/);
    assert.equal(runFolderProblem(trial, [ws]), undefined);
    assert.equal(sweepConfigProblem(sweep, path.join(ws, 'kd.json')), undefined);
    assert.equal(sweepConfigProblem(sweep, path.join(ws, 'big.kd.json')), undefined);
    assert.match(sweepConfigProblem(sweep, path.join(os.homedir(), '.bashrc'))!, /not a kd\.json/);
    assert.match(sweepConfigProblem(sweep, path.join(ws, 'sub', 'kd.json'))!, /not the kd\.json the sweep/);
  });
});
