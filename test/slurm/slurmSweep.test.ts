/**
 * The Slurm executor against a real Slurm: a one-node cluster on 127.0.0.1 (scripts/slurm/
 * cluster.sh: munged, MariaDB + slurmdbd, slurmctld, slurmd), started before and stopped after.
 * A sweep submitted as a job array must come out as the same sweep a local one is (same trials,
 * seeds, accuracies, run folders), its trials visible as pending and running meanwhile; a trial
 * warned with USR2 requeues itself and resumes from its checkpoint to the result it would have
 * had; a trial cancelled outright fails with its log and the sweep still ends; and the sweep is
 * followed without sacct (squeue + scontrol) as well as with it.
 *
 * Needs `npm run build` and Debian's slurm-wlm, slurmdbd, munge and mariadb-server
 * (scripts/slurm/install.sh, run by .ci/run and here): skipped, loudly, only where they cannot
 * be installed. Heavy: run it under the machine's lock, `flock /work/locks/heavy.lock npm run test:slurm`.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineProcess } from '../../src/client/engineProcess';
import { saveLayersModel } from '../../src/engine/models/modelFiles';
import { buildPreset } from '../../src/engine/models/presets';
import { ArchitectureSpec } from '../../src/protocol/config';
import { FILES, readEvents, readSummary } from '../../src/protocol/runFolder';
import { readSweep, type SweepFile } from '../../src/protocol/sweep';
import { CACHE_DIR_ENV } from '../../src/protocol/teacherCacheDir';
import { Sweep } from '../../src/sweep/runSweep';
import { followSweep } from '../../src/sweep/slurm/follow';
import { readTaskRecord } from '../../src/sweep/slurm/reconcile';
import { wasmTf } from '../unit/engine/helpers';
import { assertSameRunFolders } from '../unit/sweep/runFolders';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin/distill.js');
const ENGINE = path.join(ROOT, 'dist/engine.js');
const CLUSTER = path.join(ROOT, 'scripts/slurm/cluster.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A kd.json whose teacher is a saved MLP (so every trial, local or on Slurm, reads the same file), with a sweep block. */
async function experiment(name: string, training: { epochs: number }, sweep: Record<string, unknown>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `distill-slurm-${name}-`));
  const tf = await wasmTf();
  const teacher = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden: [16] }), [28, 28, 1], 10, 7, 'teacher');
  await saveLayersModel(teacher, path.join(dir, 'teacher'));
  teacher.dispose();
  const kd = path.join(dir, 'kd.json');
  fs.writeFileSync(
    kd,
    JSON.stringify({
      name,
      backend: 'wasm',
      data: { source: 'mnist', limit: 200 },
      teachers: [{ id: 't', model: 'teacher/model.json' }],
      student: { architecture: { preset: 'mlp', hidden: [8] } },
      training: { ...training, batchSize: 20 },
      evaluation: { latencySamples: 2, logitsSamples: 2 },
      sweep,
    }),
  );
  return kd;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Submits a Slurm sweep with the CLI (which must return at once) and returns its folder. */
function submit(kd: string, root: string, extra: string[] = []): { dir: string; seconds: number } {
  const t0 = performance.now();
  const r = cli(['sweep', kd, '--executor', 'slurm', '--sweeps-root', root, ...extra]);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(root, fs.readdirSync(root)[0]);
  assert.match(r.stderr, /distill sweep status /, r.stderr);
  return { dir, seconds };
}

/** Waits until `ok()` holds, polling. */
async function until(what: string, ok: () => boolean, seconds = 90): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The comparable part of a trial: what a sweep's result is made of. */
const outcome = (s: SweepFile) =>
  s.trials.map((t) => ({
    id: t.id,
    kind: t.kind,
    params: t.params,
    seed: t.seed,
    status: t.status,
    val: t.valAccuracy,
    test: t.testAccuracy,
    metric: t.metric,
  }));

describe('Slurm executor on a real one-node cluster', function () {
  this.timeout(600_000);
  const clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-slurm-cluster-'));
  let up = false;

  before(function () {
    this.timeout(300_000);
    const install = spawnSync('bash', [path.join(ROOT, 'scripts/slurm/install.sh')], { encoding: 'utf8' });
    if (install.status !== 0) {
      const why = (install.stderr || install.stdout).trim().split('\n').slice(-3).join(' / ');
      console.warn(`\n  !!! SKIPPING the Slurm suite: slurm-wlm, slurmdbd, munge and mariadb-server cannot be installed here (${why}) !!!\n`);
      this.skip();
    }
    assert.ok(fs.existsSync(ENGINE), 'run `npm run build` first');
    const r = spawnSync('bash', [CLUSTER, 'start', clusterDir], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, `the test cluster did not start: ${r.stderr}`);
    up = true;
    // Every Slurm command here and in the jobs (which inherit it) talks to this cluster.
    process.env.SLURM_CONF = path.join(clusterDir, 'slurm.conf');
  });

  after(function () {
    this.timeout(120_000);
    if (up) spawnSync('bash', [CLUSTER, 'stop', clusterDir], { encoding: 'utf8', timeout: 100_000 });
    delete process.env.SLURM_CONF;
  });

  it('runs a 4-trial sweep as a job array, shows it pending and running, and ends with what a local sweep writes', async () => {
    const kd = await experiment('array', { epochs: 2 }, { params: { 'distillation.temperature': [2, 4, 8] } });
    const folder = path.dirname(kd);
    const cache = path.join(folder, '.distillery', 'cache');

    // The local sweep, one lane: its first distilled trial computes the teacher's logits, as the Slurm sweep's first job does.
    const tLocal = performance.now();
    const local = await new Sweep({ configPath: kd, enginePath: ENGINE, parallel: 1, sweepsRoot: path.join(folder, 'local') }).run();
    const localSeconds = (performance.now() - tLocal) / 1000;
    assert.ok(local.ok && local.sweep.status === 'done', 'the local sweep ran');
    fs.rmSync(cache, { recursive: true });

    const tSlurm = performance.now();
    const { dir, seconds } = submit(kd, path.join(folder, 'slurm'));
    assert.ok(seconds < 15, `submission returns at once (${seconds.toFixed(1)} s)`);
    const first = readSweep(dir)!;
    assert.equal(first.status, 'running');
    assert.equal(first.owner, undefined, 'no owner process: the sweep runs on the cluster');
    assert.deepEqual(first.executor?.jobs.array?.trialIndices, [1, 2, 3], 'the array holds every trial but the first job’s');
    assert.equal(first.executor?.jobs.first?.trialIndex, 0, 'the first trial runs first, as locally: it computes the teacher logits');

    // `distill sweep status` while the array runs: the trials waiting on the first job are pending, then trials run.
    const seen = new Set<string>();
    for (let s = readSweep(dir)!; s.status === 'running'; s = readSweep(dir)!) {
      const r = cli(['sweep', 'status', dir]);
      assert.equal(r.status, 0, r.stderr);
      const states = new Set([...r.stdout.matchAll(/^\s+(\S+)\s+(pending|running|done)/gm)].map((m) => m[2]));
      for (const st of states) seen.add(st);
      // The array's trials wait while the first job runs (or has just finished: a poll takes a CLI start, so on a
      // loaded machine the first job can start and end between two polls).
      if (states.has('pending') && (states.has('running') || states.has('done'))) seen.add('pending beside another trial');
      await sleep(300);
    }
    const slurmSeconds = (performance.now() - tSlurm) / 1000;
    assert.ok(seen.has('pending beside another trial'), `trials shown pending while another runs or has run: ${[...seen].join(', ')}`);
    assert.ok(seen.has('running'), `trials shown running: ${[...seen].join(', ')}`);

    const s = readSweep(dir)!;
    assert.equal(s.status, 'done', JSON.stringify(s.trials.map((t) => [t.id, t.status, t.error])));
    assert.equal(s.executor?.via, 'sacct', 'accounting answered in one batched sacct');
    assert.deepEqual(outcome(s), outcome(local.sweep), 'the same trials, seeds and accuracies');
    for (const k of ['params', 'seeds', 'epochs', 'metric', 'aggregates', 'baseline', 'best', 'bestSetting'] as const)
      assert.deepEqual(s[k], local.sweep[k], `sweep.json ${k}`);
    assert.deepEqual(s.teacherCache.computed, local.sweep.teacherCache.computed, 'the teacher logits computed once');
    for (const t of s.trials) assertSameRunFolders(path.join(local.dir, t.runDir), path.join(dir, t.runDir), [local.dir, dir]);
    console.log(
      `      4-trial sweep: local (1 lane) ${localSeconds.toFixed(1)} s, Slurm array ${slurmSeconds.toFixed(1)} s (submission ${seconds.toFixed(1)} s)`,
    );
  });

  it('requeues a trial warned with USR2, resumes it from its checkpoint to the uninterrupted result; a trial cancelled outright fails with its log; followed without sacct', async () => {
    const kd = await experiment('preempt', { epochs: 30 }, { params: { 'distillation.temperature': [2, 4] } });
    const folder = path.dirname(kd);
    const { dir } = submit(kd, path.join(folder, 'slurm'));
    const s0 = readSweep(dir)!;
    const jobs = s0.executor!.jobs;
    const [warned, killed] = [s0.trials[jobs.first!.trialIndex], s0.trials[2]];
    assert.deepEqual([warned.id, killed.id], ['baseline-s42', 't02-T4-s42']);

    // A PATH without sacct: the follower must take the squeue + scontrol path.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-no-sacct-'));
    for (const c of ['squeue', 'scontrol', 'scancel', 'sbatch', 'sinfo'])
      fs.symlinkSync(spawnSync('which', [c], { encoding: 'utf8' }).stdout.trim(), path.join(bin, c));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const env = { ...process.env, PATH: bin };
    assert.notEqual(spawnSync('/bin/sh', ['-c', 'command -v sacct'], { env }).status, 0, 'no sacct on that PATH');
    const watcher = spawn(process.execPath, [CLI, 'sweep', 'status', dir, '--watch'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    watcher.stderr.on('data', (d: Buffer) => (watched += d.toString()));
    const watcherDone = new Promise<number | null>((r) => watcher.on('exit', r));
    const warnedDir = path.join(dir, warned.runDir);
    let signalledAt = 0;
    try {
      await preemptAndCancel();
    } catch (e) {
      // The watcher must not outlive a failed test (it would hold mocha open).
      watcher.kill();
      throw e;
    }
    async function preemptAndCancel(): Promise<void> {
      // USR2 to the first job once it has a checkpoint to come back to, as Slurm sends it before a time limit or a preemption.
      await until(
        'a checkpoint of the first job',
        () => fs.existsSync(path.join(warnedDir, 'checkpoints')) && fs.readdirSync(path.join(warnedDir, 'checkpoints')).some((n) => !n.startsWith('.')),
      );
      signalledAt = performance.now();
      const sc = spawnSync('scancel', ['--batch', '--signal=USR2', jobs.first!.jobId], { encoding: 'utf8' });
      assert.equal(sc.status, 0, sc.stderr);

      // Hard-cancel the third trial's array task once it runs.
      const killedTask = `${jobs.array!.jobId}_2`;
      await until(
        'the third trial running',
        () =>
          spawnSync('squeue', ['-h', '-j', killedTask, '-o', '%T'], { encoding: 'utf8' }).stdout.trim() === 'RUNNING' &&
          fs.existsSync(path.join(dir, killed.runDir, FILES.events)),
        120,
      );
      // At once: its engine is under way (events.jsonl exists) and its log names it. A fixed wait here
      // let the 30-epoch trial on 200 digits finish first on a fast minute (seen in CI: all done).
      assert.equal(spawnSync('scancel', [killedTask], { encoding: 'utf8' }).status, 0);
      await until('the sweep to end', () => readSweep(dir)?.status !== 'running', 180);
    }

    assert.equal(await watcherDone, 1, `the watcher ends with the sweep (failed: one trial was cancelled): ${watched}`);
    const s = readSweep(dir)!;
    assert.equal(s.executor?.via, 'squeue', 'followed through squeue + scontrol');
    assert.equal(s.status, 'failed', 'the sweep ended, one trial short');
    const byId = Object.fromEntries(s.trials.map((t) => [t.id, t]));
    assert.equal(byId['t01-T2-s42'].status, 'done');

    // The warned trial: requeued once, resumed from its checkpoint, done.
    const w = byId[warned.id];
    assert.equal(w.status, 'done', w.error);
    assert.equal(w.scheduler?.requeues, 1, 'it requeued itself once');
    const record = readTaskRecord(dir, s, jobs.first!.trialIndex)!;
    assert.ok(record.signalledAt && record.resumedAt, JSON.stringify(record));
    const log = fs.readFileSync(path.join(dir, s.executor!.logDir, `task-${jobs.first!.trialIndex}.log`), 'utf8');
    assert.match(log, /USR2/);
    assert.match(log, /requeued \(1 of at most 3\)/);
    assert.match(log, /resuming from its last checkpoint/);
    const summary = readSummary(warnedDir);
    const started = readEvents(warnedDir).events.filter((e) => e.type === 'run_started') as { resumedFrom?: string }[];
    assert.ok(
      started.some((e) => e.resumedFrom),
      'the run folder says it resumed from a checkpoint',
    );

    // The same trial uninterrupted: the engine on its derived config, with the same teacher-logits cache.
    const ref = path.join(folder, 'uninterrupted');
    const engine = new EngineProcess({
      enginePath: ENGINE,
      job: { kind: 'run', configPath: path.join(dir, warned.configFile), runDir: ref },
      env: { [CACHE_DIR_ENV]: s.teacherCache.dir },
    });
    const exit = await engine.exited;
    assert.equal(exit.code, 0, exit.stderrTail);
    const plain = readSummary(ref)!;
    assert.equal(w.valAccuracy, plain.student?.valAccuracy, 'validation accuracy as uninterrupted');
    assert.equal(w.testAccuracy, plain.student?.testAccuracy, 'test accuracy as uninterrupted');
    // The same weights, to float rounding (a resumed stage's kernels may round differently: 1.5e-7 seen).
    const floats = (d: string) => new Float32Array(new Uint8Array(fs.readFileSync(path.join(d, 'student', 'weights.bin'))).buffer);
    const [resumed, uninterrupted] = [floats(warnedDir), floats(ref)];
    assert.equal(resumed.length, uninterrupted.length);
    const maxDiff = resumed.reduce((m, x, i) => Math.max(m, Math.abs(x - uninterrupted[i])), 0);
    assert.ok(maxDiff <= 1e-5, `student weights as uninterrupted (max |Δ| ${maxDiff})`);
    const lost = (Date.parse(record.resumedAt!) - Date.parse(record.signalledAt!)) / 1000;
    console.log(
      `      preemption: USR2 → resumed ${lost.toFixed(1)} s later (stop, requeue, restart); trial ${summary!.durationSec.toFixed(1)} s in its folder vs ${plain.durationSec.toFixed(1)} s uninterrupted; signal sent ${((performance.now() - signalledAt) / 1000).toFixed(0)} s before the sweep's end`,
    );

    // The cancelled trial: failed, with its state and its job log's last lines.
    const k = byId[killed.id];
    assert.equal(k.status, 'failed');
    assert.match(k.error ?? '', /CANCELLED/);
    assert.match(k.error ?? '', /t02-T4-s42/, 'the log tail names the trial');
    assert.match(watched, /pending|running/, 'the watcher showed live states');
  });

  it('a trial warned past its requeue bound is reported failed with its log, and the trials waiting on it are cancelled, not left pending', async () => {
    // maxRequeues 0 refuses the requeue. (Slurm's own time-limit warning, --signal=B:USR2@N, is the same signal, but it
    // comes at Slurm's ~30 s resolution: too loose for a test of a few seconds.)
    const kd = await experiment('bound', { epochs: 60 }, { params: { 'distillation.temperature': [2] }, executor: { type: 'slurm', signalSeconds: 50 } });
    const { dir } = submit(kd, path.join(path.dirname(kd), 'slurm'), ['--time', '5', '--max-requeues', '0']);
    const s0 = readSweep(dir)!;
    const firstDir = path.join(dir, s0.trials[0].runDir, 'checkpoints');
    await until('a checkpoint of the first job', () => fs.existsSync(firstDir) && fs.readdirSync(firstDir).some((n) => !n.startsWith('.')));
    assert.equal(spawnSync('scancel', ['--batch', '--signal=USR2', s0.executor!.jobs.first!.jobId]).status, 0);
    const s = (await followSweep(dir, { minSeconds: 0.5, maxSeconds: 2 }))!;
    assert.equal(s.status, 'failed');
    const [first, waiting] = s.trials;
    assert.equal(first.status, 'failed');
    assert.match(first.error ?? '', /not requeued.*maxRequeues 0/, first.error);
    const log = fs.readFileSync(path.join(dir, s.executor!.logDir, 'task-0.log'), 'utf8');
    assert.match(log, /USR2/);
    assert.equal(waiting.status, 'failed');
    assert.match(waiting.error ?? '', /CANCELLED|without a result/, waiting.error);
  });
});
