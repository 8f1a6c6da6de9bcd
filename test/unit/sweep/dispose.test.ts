/**
 * A sweep's owner going away (the editor window closing, a second Ctrl+C): `Sweep.dispose`
 * writes sweep.json "stopped" at once, stops the workers (killed after a grace period), and
 * `run()` still ends; and a reader of a "running" sweep.json whose owner process is gone
 * reads it as stopped. Needs `npm run build`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineProbe } from '../../../src/protocol/runStatus';
import { readSweep, SWEEP_FORMAT, type SweepFile } from '../../../src/protocol/sweep';
import { EditorSweeps } from '../../../src/extension/sweeps/editorSweeps';
import { Sweep } from '../../../src/sweep/runSweep';
import { childPids, isAlive, waitFor } from '../../faults/helpers';

const enginePath = path.resolve(__dirname, '../../../dist/engine.js');

describe('a sweep whose owner goes away', function () {
  this.timeout(120_000);

  it('a sweep that throws (here: its owner\'s update callback) ends failed in sweep.json, not "running", and run() rejects', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sweep-throws-'));
    const kd = path.join(dir, 'kd.json');
    fs.writeFileSync(
      kd,
      JSON.stringify({
        name: 'throws',
        backend: 'wasm',
        data: { source: 'mnist', limit: 300 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 } }],
        student: { architecture: { preset: 'mlp', hidden: [4] } },
        training: { epochs: 1, batchSize: 50 },
        sweep: { params: { 'distillation.temperature': [2, 4] }, parallel: 1 },
      }),
    );
    let sweepDir = '';
    const sweep = new Sweep({
      configPath: kd,
      enginePath,
      onUpdate: (_s, c) => {
        if (c.type === 'started') sweepDir = c.dir;
        if (c.type === 'trial_finished') throw new Error('the owner broke');
      },
    });
    await assert.rejects(sweep.run(), /the owner broke/);
    const after = readSweep(sweepDir)!;
    assert.equal(after.status, 'failed');
    assert.ok(
      after.notes.some((n) => /the sweep failed: the owner broke/.test(n)),
      after.notes.join('; '),
    );
    assert.deepEqual(
      after.trials.filter((t) => t.status === 'queued' || t.status === 'running'),
      [],
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the window’s owner disposed mid-trial: sweep.json says stopped at once, every worker is gone, run() ends', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sweep-dispose-'));
    const kd = path.join(dir, 'kd.json');
    // The teacher must be trained: the first trial trains it alone, the second lane waits for it.
    fs.writeFileSync(
      kd,
      JSON.stringify({
        name: 'gone',
        backend: 'wasm',
        data: { source: 'mnist', limit: 2000 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [64] }, training: { epochs: 50, batchSize: 20 } }],
        student: { architecture: { preset: 'mlp', hidden: [8] } },
        training: { epochs: 50, batchSize: 20 },
        sweep: { params: { 'distillation.temperature': [2, 4] }, parallel: 2 },
      }),
    );
    let sweepDir = '';
    const sweep = new Sweep({ configPath: kd, enginePath, onUpdate: (_s, c) => c.type === 'started' && (sweepDir = c.dir) });
    const owner = new EditorSweeps(enginePath);
    const running = owner.run(sweep);
    // Training has started: the first trial's run folder has a heartbeat with a step in it.
    await waitFor('the first trial to train', 60_000, () => {
      const beat = sweepDir && path.join(sweepDir, 'trials', 'baseline-s42', 'heartbeat.json');
      return beat && fs.existsSync(beat) && /"step":/.test(fs.readFileSync(beat, 'utf8')) ? true : undefined;
    });
    const workers = childPids(process.pid).filter((p) => /--worker/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')));
    assert.equal(workers.length, 2, 'two lanes, two engine workers');

    const t0 = Date.now();
    const disposed = owner.dispose();
    const now = readSweep(sweepDir)!;
    assert.equal(now.status, 'stopped', 'sweep.json says stopped before any worker has gone');
    assert.ok(now.endedAt);
    assert.deepEqual(
      now.trials.filter((t) => t.status === 'queued' || t.status === 'running'),
      [],
    );
    await disposed;
    assert.ok(Date.now() - t0 < 6000, `workers gone in ${Date.now() - t0} ms`);
    for (const p of workers) assert.ok(!isAlive(p), `worker ${p} is gone`);
    const out = await running;
    assert.ok(out.ok && out.sweep.status === 'stopped');
    const after = readSweep(sweepDir)!;
    assert.equal(after.status, 'stopped');
    assert.ok(
      after.trials.every((t) => t.status === 'stopped'),
      after.trials.map((t) => `${t.id} ${t.status}`).join(', '),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a "running" sweep.json whose owner process is gone, or whose pid another process now has, reads as stopped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sweep-owner-'));
    const write = (owner: SweepFile['owner']) => {
      const s: SweepFile = {
        format: SWEEP_FORMAT,
        sweepId: 's',
        name: 'n',
        configPath: path.join(dir, 'kd.json'),
        status: 'running',
        startedAt: new Date().toISOString(),
        owner,
        metric: 'valAccuracy',
        metricLabel: 'validation accuracy',
        params: [{ path: 'distillation.temperature', values: [2] }],
        seeds: [1],
        epochs: 1,
        parallel: 1,
        aggregates: [],
        teacherCache: { dir: '', hits: 0, computed: 0 },
        notes: [],
        trials: [
          {
            id: 'b',
            kind: 'baseline',
            params: {},
            seed: 1,
            runDir: 'trials/b',
            configFile: 'configs/b.kd.json',
            status: 'done',
            metric: 0.5,
            valAccuracy: 0.5,
            testAccuracy: 0.5,
          },
          {
            id: 'x',
            kind: 'distill',
            params: { 'distillation.temperature': 2 },
            seed: 1,
            runDir: 'trials/x',
            configFile: 'configs/x.kd.json',
            status: 'running',
          },
        ],
      };
      fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify(s));
    };
    const probe = (alive: boolean, start?: string): EngineProbe => ({ alive: () => alive, startOf: () => start });
    write({ pid: 4242, procStart: '100' });
    assert.equal(readSweep(dir, probe(true, '100'))!.status, 'running', 'its owner lives');
    const gone = readSweep(dir, probe(false))!;
    assert.equal(gone.status, 'stopped');
    assert.deepEqual(
      gone.trials.map((t) => t.status),
      ['done', 'stopped'],
    );
    assert.match(gone.notes.at(-1)!, /the sweep's process \(pid 4242\) is gone/);
    assert.equal(readSweep(dir, probe(true, '999'))!.status, 'stopped', 'the pid now belongs to another process');
    // This process, by the system's own rule: alive, and the same start time.
    write({ pid: process.pid, procStart: fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19] });
    assert.equal(readSweep(dir)!.status, 'running');
    // An older sweep.json names no owner: nothing to tell, it says what it says.
    write(undefined);
    assert.equal(readSweep(dir, probe(false))!.status, 'running');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
