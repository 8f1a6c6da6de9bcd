/**
 * Issue 14, "launching an engine": a new run's folder is decided once, by the engine's parent
 * (newRunJob in protocol/runId.ts), and the engine writes exactly there: the folder the parent
 * announces and tracks (the Runs tree, a crash record, `distill run`) is the one on disk, and
 * no other folder appears. Needs `npm run build` (the tests spawn dist/engine.js and the CLI).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineProcess } from '../../../src/client/engineProcess';
import type { EngineJob } from '../../../src/protocol/engineArgs';
import type { EngineMessage } from '../../../src/protocol/events';
import { listRunDirs, readSummary, runsRootFor } from '../../../src/protocol/runFolder';
import { newRunJob } from '../../../src/protocol/runId';
import { distill, tinyKd, writeKd } from './cliHelpers';

const enginePath = path.resolve(__dirname, '../../../dist/engine.js');

async function runEngine(job: EngineJob): Promise<{ code: number | null; messages: EngineMessage[] }> {
  const engine = new EngineProcess({ enginePath, job });
  const messages: EngineMessage[] = [];
  engine.onMessage((m) => messages.push(m));
  const exit = await engine.exited;
  return { code: exit.code, messages };
}

describe('launch: the run folder is the one its parent chose', function () {
  this.timeout(180_000);

  it('the engine writes the folder newRunJob chose, and no other', async () => {
    const kd = writeKd(tinyKd());
    const runsRoot = path.join(path.dirname(kd), 'elsewhere');
    const job = newRunJob(kd, 'tiny', runsRoot);
    assert.equal(path.dirname(job.runDir), runsRoot);
    assert.match(path.basename(job.runDir), /^\d{8}-\d{6}-tiny-[0-9a-f]{6}$/);
    assert.equal(fs.existsSync(job.runDir), false, 'the parent only decides the folder; the engine creates it');
    const { code, messages } = await runEngine(job);
    assert.equal(code, 0);
    const started = messages.find((m) => m.type === 'run_started');
    assert.ok(started?.type === 'run_started');
    assert.equal(started.runDir, job.runDir);
    assert.equal(started.runId, path.basename(job.runDir));
    assert.deepEqual(listRunDirs(runsRoot), [job.runDir]);
    assert.deepEqual(fs.readdirSync(runsRoot), [path.basename(job.runDir)]);
    assert.equal(readSummary(job.runDir)?.status, 'done');
    assert.equal(fs.existsSync(runsRootFor(kd)), false, 'nothing under .distillery/runs beside kd.json');
  });

  it('a chosen folder that exists already is refused before training, and what it held is kept (no second folder instead)', async () => {
    const kd = writeKd(tinyKd());
    const job = newRunJob(kd);
    fs.mkdirSync(job.runDir, { recursive: true });
    fs.writeFileSync(path.join(job.runDir, 'keep.txt'), 'mine');
    const t0 = Date.now();
    const { code, messages } = await runEngine(job);
    assert.equal(code, 1);
    const failed = messages.find((m) => m.type === 'engine_failed');
    assert.ok(failed?.type === 'engine_failed');
    assert.equal(failed.message, `the run folder ${job.runDir} already exists; nothing was written to it`);
    assert.ok(!messages.some((m) => m.type === 'run_started' || m.type === 'stage_started'), 'it started a run');
    assert.ok(Date.now() - t0 < 30_000);
    assert.deepEqual(fs.readdirSync(job.runDir), ['keep.txt']);
    assert.equal(fs.readFileSync(path.join(job.runDir, 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(fs.readdirSync(runsRootFor(kd)), [path.basename(job.runDir)]);
  });

  it('an engine asked for a new run without its folder refuses with the usage (exit 2) and creates none', () => {
    const kd = writeKd(tinyKd());
    const r = spawnSync(process.execPath, [enginePath, '--config', kd], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: engine --config kd\.json --run-dir DIR/);
    assert.equal(fs.existsSync(path.join(path.dirname(kd), '.distillery')), false);
  });

  it('distill run --json --runs-root: run_started names a folder in that root, the only one there, and the run is written in it', () => {
    const kd = writeKd(tinyKd());
    const runsRoot = path.join(path.dirname(kd), 'runs-here');
    const r = distill('run', kd, '--json', '--runs-root', runsRoot);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EngineMessage);
    const started = events.find((m) => m.type === 'run_started');
    assert.ok(started?.type === 'run_started');
    assert.equal(path.dirname(started.runDir), runsRoot);
    assert.deepEqual(fs.readdirSync(runsRoot), [path.basename(started.runDir)]);
    const finished = events.find((m) => m.type === 'run_finished');
    assert.ok(finished?.type === 'run_finished');
    assert.deepEqual(readSummary(started.runDir), finished.summary);
    assert.equal(fs.existsSync(runsRootFor(kd)), false);
  });
});
