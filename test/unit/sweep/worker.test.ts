/**
 * The engine's worker mode (dist/engine.js --worker), as sweeps use it: a run in a worker that
 * ran another before writes what a fresh engine writes, a teacher changed on disk is never
 * served from the worker's memory, and a sweep survives a worker killed under a trial.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineProcess } from '../../../src/client/engineProcess';
import { EngineWorker } from '../../../src/client/engineWorker';
import type { EngineMessage, RunSummary } from '../../../src/protocol/events';
import { readSweep } from '../../../src/protocol/sweep';
import { Sweep } from '../../../src/sweep/runSweep';
import { assertSameRunFolders, saveTeacher } from './runFolders';

const enginePath = path.resolve(__dirname, '../../../dist/engine.js');

function kd(dir: string, name: string, temperature: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    JSON.stringify({
      backend: 'wasm',
      seed: 4,
      data: { source: 'mnist', limit: 500 },
      teachers: [{ id: 't', model: 'teacher/model.json' }],
      // Dropout draws from the seeded Math.random: a worker's runs must draw what a fresh engine draws.
      student: { architecture: { preset: 'cnn', filters: [4, 8], dense: [16], dropout: 0.2 } },
      distillation: { temperature, alpha: 0.7 },
      training: { epochs: 2, batchSize: 50 },
      evaluation: { latencySamples: 2, logitsSamples: 3 },
    }),
  );
  return file;
}

async function fresh(configPath: string, runsRoot: string): Promise<RunSummary> {
  const engine = new EngineProcess({ enginePath, job: { kind: 'run', configPath, runDir: path.join(runsRoot, 'trial') } });
  let summary: RunSummary | undefined;
  engine.onMessage((m) => m.type === 'run_finished' && (summary = m.summary));
  const exit = await engine.exited;
  assert.equal(exit.code, 0, exit.stderrTail);
  return summary!;
}

async function inWorker(worker: EngineWorker, configPath: string, runsRoot: string): Promise<{ summary: RunSummary; messages: EngineMessage[] }> {
  const messages: EngineMessage[] = [];
  const out = await worker.run({ kind: 'run', configPath, runDir: path.join(runsRoot, 'trial') }, (m) => messages.push(m));
  assert.deepEqual(out, { ended: true, code: 0 });
  const finished = messages.find((m) => m.type === 'run_finished');
  return { summary: finished!.type === 'run_finished' ? finished!.summary : (undefined as never), messages };
}

/** Calls `then` with the engine's pid once the run folder's events.jsonl has an event of `type`. */
function whenEvent(runDir: string, type: string, then: (pid: number) => void): void {
  const poll = setInterval(() => {
    let lines: string[];
    try {
      lines = fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n');
    } catch {
      return;
    }
    if (!lines.some((l) => l.includes(`"type":"${type}"`))) return;
    clearInterval(poll);
    then((JSON.parse(lines[0]) as { pid: number }).pid);
  }, 5);
}

describe('engine workers', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    if (!fs.existsSync(enginePath)) throw new Error(`${enginePath} is missing: run npm run build first`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-worker-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a run in a worker that ran another first writes what a fresh engine writes; a teacher changed on disk is not served from memory', async () => {
    await saveTeacher(path.join(dir, 'teacher'), 1);
    const first = kd(dir, 'first.kd.json', 2);
    const same = kd(dir, 'kd.json', 6);
    // A fresh engine computes the teacher's logits cache; so does the worker's first run after
    // the cache is deleted; every run after reads it.
    await fresh(first, path.join(dir, 'fresh1'));
    fs.rmSync(path.join(dir, '.distillery', 'cache'), { recursive: true });
    const worker = new EngineWorker({ enginePath });
    try {
      const one = await inWorker(worker, first, path.join(dir, 'w1'));
      assert.ok(one.messages.some((m) => m.type === 'log' && m.message.startsWith('teacher logits: computed')));
      assertSameRunFolders(path.join(dir, 'fresh1', 'trial'), path.join(dir, 'w1', 'trial'));
      const expected = await fresh(same, path.join(dir, 'fresh'));
      const two = await inWorker(worker, same, path.join(dir, 'w2'));
      assert.equal(two.summary.student!.testAccuracy, expected.student!.testAccuracy);
      assert.equal(two.summary.student!.valAccuracy, expected.student!.valAccuracy);
      assert.equal(two.summary.teacher!.testAccuracy, expected.teacher!.testAccuracy);
      assert.equal(two.summary.agreement, expected.agreement);
      assertSameRunFolders(path.join(dir, 'fresh', 'trial'), path.join(dir, 'w2', 'trial'));
      assert.ok(two.messages.some((m) => m.type === 'log' && m.message.startsWith('teacher logits: reused cache')));

      // Other weights under the same path: the worker loads them, as a fresh engine does.
      await saveTeacher(path.join(dir, 'teacher'), 2);
      const changed = await fresh(same, path.join(dir, 'fresh2'));
      const three = await inWorker(worker, same, path.join(dir, 'w3'));
      assert.notEqual(changed.teacher!.testAccuracy, expected.teacher!.testAccuracy, 'the new teacher is another teacher');
      assert.equal(three.summary.teacher!.testAccuracy, changed.teacher!.testAccuracy);
      assert.equal(three.summary.student!.testAccuracy, changed.student!.testAccuracy);
      assert.deepEqual(three.summary.teacher!.confusion, changed.teacher!.confusion);
      const pidOf = (messages: EngineMessage[]) => (messages.find((m) => m.type === 'run_started') as { pid: number }).pid;
      assert.deepEqual(
        [one, two, three].map((r) => pidOf(r.messages)),
        [worker.pid, worker.pid, worker.pid],
        'all in one process',
      );
    } finally {
      await worker.close();
    }
  });

  it('a sweep whose worker is killed under a trial reports that trial failed and runs the rest on a fresh worker; stop ends the others', async () => {
    const file = path.join(dir, 'sweep.kd.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(kd(dir, 'base.kd.json', 4), 'utf8')),
        // Long enough (~30 steps) that the kill and the stop below land inside the trial they aim at.
        training: { epochs: 3, batchSize: 50 },
        sweep: { params: { 'distillation.temperature': [2, 3, 4] }, parallel: 1 },
      }),
    );
    const killed: number[] = [];
    const sweep = new Sweep({
      configPath: file,
      enginePath,
      onUpdate: (s, c) => {
        // The third trial's worker dies at its first step.
        if (c.type === 'trial_started' && c.trial.id === s.trials[2].id) {
          whenEvent(path.join(dir, '.distillery', 'sweeps', s.sweepId, c.trial.runDir), 'step', (pid) => {
            killed.push(pid);
            process.kill(pid, 'SIGKILL');
          });
        }
      },
    });
    const out = await sweep.run();
    assert.ok(out.ok);
    const s = readSweep(out.dir)!;
    assert.deepEqual(
      s.trials.map((t) => t.status),
      ['done', 'done', 'failed', 'done'],
    );
    assert.match(s.trials[2].error!, /engine exited \(SIGKILL\) without a result/);
    assert.equal(s.status, 'failed');
    const pids = s.trials.map((t) => JSON.parse(fs.readFileSync(path.join(out.dir, t.runDir, 'events.jsonl'), 'utf8').split('\n')[0]).pid as number);
    assert.equal(pids[0], pids[1], 'one worker ran the first two trials');
    assert.deepEqual([pids[2]], killed);
    assert.notEqual(pids[3], pids[2], 'a fresh worker ran the last');
    for (const pid of new Set(pids)) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone after the sweep`);

    // Stop at the first trial's first step: it stops after that step, no other starts, and the worker exits.
    let workerPid = 0;
    const stopping = new Sweep({
      configPath: file,
      enginePath,
      onUpdate: (st, c) => {
        if (c.type === 'trial_started' && c.trial.id === st.trials[0].id) {
          whenEvent(path.join(dir, '.distillery', 'sweeps', st.sweepId, c.trial.runDir), 'step', (pid) => {
            workerPid = pid;
            stopping.stop();
          });
        }
      },
    });
    const stopped = await stopping.run();
    assert.ok(stopped.ok);
    const st = readSweep(stopped.dir)!;
    assert.equal(st.status, 'stopped');
    assert.deepEqual(
      st.trials.map((t) => t.status),
      ['stopped', 'stopped', 'stopped', 'stopped'],
    );
    const summary = JSON.parse(fs.readFileSync(path.join(stopped.dir, st.trials[0].runDir, 'summary.json'), 'utf8')) as RunSummary;
    assert.equal(summary.status, 'stopped');
    assert.ok(!fs.existsSync(path.join(stopped.dir, st.trials[1].runDir)), 'no other trial started');
    assert.throws(() => process.kill(workerPid, 0), /ESRCH/, 'the worker is gone');
  });
});
