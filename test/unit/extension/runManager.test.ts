import './fakeVscode';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSummary } from '../../../src/protocol/runFolder';
import { RunManager } from '../../../src/extension/runs/runManager';

const repo = path.resolve(__dirname, '../../..');
const enginePath = path.join(repo, 'dist', 'engine.js');

/** A run that trains for minutes: only a stop (or a kill) ends it within the test. */
const LONG_KD_JSON = {
  name: 'long',
  data: { source: 'mnist', limit: 2000 },
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [64] }, training: { epochs: 200, batchSize: 32 } }],
  student: { architecture: { preset: 'mlp', hidden: [16] } },
  training: { epochs: 200, batchSize: 32 },
  backend: 'wasm',
};

describe('extension: RunManager when the window closes', function () {
  this.timeout(120_000);
  let dir: string;
  before(function () {
    if (!fs.existsSync(enginePath)) throw new Error('run `npm run build` first: this test starts dist/engine.js');
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-runmanager-'));
    fs.writeFileSync(path.join(dir, 'kd.json'), JSON.stringify(LONG_KD_JSON));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops a training engine before killing it: the run folder says "stopped", and shutdown resolves within the grace period', async () => {
    const lines: string[] = [];
    const runs = new RunManager(enginePath, { append: (t) => void lines.push(t), appendLine: (l) => void lines.push(l) }, () => 1);
    const run = runs.enqueueRun(path.join(dir, 'kd.json'), 'long', { workspaceRoot: dir, notes: [] });
    const queued = runs.enqueueRun(path.join(dir, 'kd.json'), 'long', { workspaceRoot: dir, notes: [] });
    await new Promise<void>((resolve, reject) => {
      const sub = runs.onMessage(({ message }) => {
        if (message.type !== 'step') return;
        sub.dispose();
        resolve();
      });
      void run.finished.then(() => reject(new Error(`the engine ended before training: ${lines.join('\n')}`)));
    });
    // What VS Code does on closing the window: deactivate (the shutdown), then dispose the subscriptions.
    const t0 = Date.now();
    const shutdown = runs.shutdown();
    runs.dispose();
    await shutdown;
    const took = Date.now() - t0;
    const exit = await run.finished;
    assert.equal(exit?.signal, null, `the engine exited by itself, not by SIGKILL (exit ${JSON.stringify(exit)})`);
    assert.equal(readSummary(run.runDir)?.status, 'stopped', 'the engine wrote its "stopped" summary');
    assert.ok(took < 3000 + 1000, `shutdown took ${took} ms`);
    assert.equal(queued.state, 'finished', 'the queued run was cancelled, not started');
    assert.equal(await queued.finished, undefined);
    assert.ok(!fs.existsSync(queued.runDir), 'the queued run never made a folder');
  });

  it('kills an engine that does not stop within the grace period, and records it', async () => {
    const runs = new RunManager(enginePath, { append: () => undefined, appendLine: () => undefined });
    const run = runs.enqueueRun(path.join(dir, 'kd.json'), 'long', { workspaceRoot: dir, notes: [] });
    await new Promise<void>((resolve) => {
      const sub = runs.onMessage(({ message }) => {
        if (message.type !== 'step') return;
        sub.dispose();
        resolve();
      });
    });
    // A stopped engine that does not answer: freeze it, so only the kill ends it.
    const pid = run.engine!.pid!;
    process.kill(pid, 'SIGSTOP');
    // Never leave a frozen engine behind, whatever the code under test does.
    const safety = setTimeout(() => process.kill(pid, 'SIGKILL'), 10_000);
    const t0 = Date.now();
    await runs.shutdown(500);
    const took = Date.now() - t0;
    clearTimeout(safety);
    const exit = await run.finished;
    assert.equal(exit?.signal, 'SIGKILL');
    assert.ok(took >= 450 && took < 3000, `killed after the grace period (${took} ms)`);
    assert.equal(readSummary(run.runDir)?.status, 'crashed', 'the parent recorded the kill');
    runs.dispose();
  });

  it('a resume the engine refuses (no checkpoint) leaves the run folder as it was: no "crashed" record over it', async () => {
    const runDir = path.join(dir, '.distillery', 'runs', '20260101-000000-long-abcdef');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ ...LONG_KD_JSON, $configPath: path.join(dir, 'kd.json') }));
    // A run that crashed before its first checkpoint: events, no summary.
    const started = {
      type: 'run_started',
      time: new Date().toISOString(),
      runId: path.basename(runDir),
      runDir,
      name: 'long',
      pid: 1,
      backend: 'wasm',
      configPath: path.join(dir, 'kd.json'),
    };
    fs.writeFileSync(path.join(runDir, 'events.jsonl'), JSON.stringify(started) + '\n');
    const before = fs.readdirSync(runDir).sort();
    const runs = new RunManager(enginePath, { append: () => undefined, appendLine: () => undefined });
    const run = runs.enqueueResume(runDir, 'long', path.join(dir, 'kd.json'), { workspaceRoot: dir, notes: [] });
    const exit = await run.finished;
    assert.equal(exit?.code, 1, 'the engine refused the resume');
    assert.equal(run.last?.type, 'engine_failed');
    assert.deepEqual(fs.readdirSync(runDir).sort(), before, 'nothing was written into the folder');
    runs.dispose();
  });
});
