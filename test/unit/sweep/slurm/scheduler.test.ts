/**
 * The Slurm executor's pure parts: reading Slurm's job ids and index lists (as sacct, squeue and
 * scontrol print them on the test cluster, test/slurm/), the states by trial through both paths
 * from those commands' own output, and `distill sweep`'s executor flags over kd.json's
 * sweep.executor, checked by the schema with the flag named.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trialStatusText } from '../../../../src/protocol/format';
import { loadConfigFile } from '../../../../src/protocol/loadConfig';
import { executorFromFlags } from '../../../../src/sweep/slurm/cli';
import { indexList, parseIndexList, parseJobId, phaseOf, queryStates, type Run, type SlurmJobs } from '../../../../src/sweep/slurm/scheduler';

/** A Slurm whose commands answer with `out` (stdout by command), or fail with `fail`. */
const replay =
  (out: Record<string, string>, fail: Record<string, string> = {}): Run =>
  async (cmd) =>
    cmd in fail ? { ok: false, stdout: '', stderr: fail[cmd] } : { ok: true, stdout: out[cmd] ?? '', stderr: '' };

describe('sweep/slurm/scheduler: job ids, index lists and states', () => {
  it('reads job ids as Slurm prints them', () => {
    assert.deepEqual(parseJobId('12'), { jobId: '12' });
    assert.deepEqual(parseJobId('12_3'), { jobId: '12', tasks: [3] });
    assert.deepEqual(parseJobId('12_[4-7%2]'), { jobId: '12', tasks: [4, 5, 6, 7] });
    assert.deepEqual(parseJobId('12_[0,2-3]'), { jobId: '12', tasks: [0, 2, 3] });
  });

  it('writes and reads sbatch --array lists', () => {
    assert.equal(indexList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
    assert.equal(indexList([3]), '3');
    assert.deepEqual(parseIndexList(indexList([9, 0, 2, 3, 4])), [0, 2, 3, 4, 9]);
  });

  const jobs: SlurmJobs = { first: { jobId: '4', trialIndex: 1 }, array: { jobId: '5', trialIndices: [0, 2, 3] } };

  it('maps one batched sacct onto the trials: the first job, the array tasks, a range still pending', async () => {
    const sacct = '4|COMPLETED\n5_0|RUNNING\n5_[2-3]|PENDING\n';
    const { states, via } = await queryStates(jobs, replay({ sacct }));
    assert.equal(via, 'sacct');
    assert.deepEqual(
      [...states].sort(([a], [b]) => a - b),
      [
        [0, { state: 'RUNNING' }],
        [1, { state: 'COMPLETED' }],
        [2, { state: 'PENDING' }],
        [3, { state: 'PENDING' }],
      ],
    );
  });

  it('without accounting: squeue for live tasks with their reasons, scontrol for the ended ones', async () => {
    const squeue = '5_0|RUNNING|None\n5_2|PENDING|Resources\n5_3|PENDING|Resources\n';
    const scontrol =
      'JobId=4 JobName=distill-x UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) Restarts=1\n' +
      'JobId=6 ArrayJobId=5 ArrayTaskId=0 JobState=RUNNING Reason=None\n';
    const { states, via } = await queryStates(jobs, replay({ squeue, scontrol }, { sacct: 'sacct: error: Slurm accounting storage is disabled' }));
    assert.equal(via, 'squeue');
    assert.deepEqual(states.get(1), { state: 'COMPLETED' });
    assert.deepEqual(states.get(2), { state: 'PENDING', reason: 'Resources' });
    assert.deepEqual(states.get(0), { state: 'RUNNING' });
  });

  it('tells waiting from running from ended', () => {
    assert.equal(phaseOf('PENDING'), 'queued');
    assert.equal(phaseOf('REQUEUED'), 'queued');
    assert.equal(phaseOf('COMPLETING'), 'running');
    for (const s of ['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'OUT_OF_MEMORY', 'NODE_FAIL']) assert.equal(phaseOf(s), 'ended', s);
  });
});

describe('sweep/slurm/cli: executor flags over kd.json', () => {
  it('completes a Slurm executor from flags, with the schema defaults', () => {
    const r = executorFromFlags({ executor: 'slurm', partition: 'gpu', time: '01:00:00', gpus: 1, setup: ['module load node'] });
    assert.deepEqual(r.executor, {
      type: 'slurm',
      partition: 'gpu',
      time: '01:00:00',
      gpus: 1,
      setup: ['module load node'],
      cpusPerTask: 1,
      sbatchArgs: [],
      signalSeconds: 90,
      maxRequeues: 3,
    });
  });

  it('names the flag a bad value came from', () => {
    assert.match(executorFromFlags({ executor: 'slurm', time: 'an hour' }).error ?? '', /^--time: a Slurm time limit/);
    assert.match(executorFromFlags({ executor: 'slurm', mem: '4 gigs' }).error ?? '', /^--mem: /);
    assert.match(executorFromFlags({ partition: 'gpu' }).error ?? '', /--partition is a Slurm option: it needs --executor slurm/);
    assert.match(executorFromFlags({ executor: 'pbs' }).error ?? '', /--executor must be "local" or "slurm"/);
  });

  it("refines kd.json's Slurm executor, and --executor local overrides it", () => {
    const kd = { type: 'slurm' as const, partition: 'cpu', cpusPerTask: 4, setup: [], sbatchArgs: [], signalSeconds: 90, maxRequeues: 3 };
    assert.deepEqual(executorFromFlags({ mem: '8G' }, kd).executor, { ...kd, mem: '8G' });
    assert.deepEqual(executorFromFlags({ executor: 'local' }, kd).executor, { type: 'local' });
    assert.equal(executorFromFlags({}, undefined).executor, undefined);
  });

  it('checks kd.json sweep.executor like every other key, with its path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-executor-'));
    const file = path.join(dir, 'kd.json');
    const base = { teachers: [{ id: 't', architecture: { preset: 'mlp' } }], student: { architecture: { preset: 'mlp' } } };
    fs.writeFileSync(
      file,
      JSON.stringify({ ...base, sweep: { params: { 'distillation.temperature': [2] }, executor: { type: 'slurm', time: 'soon', gpu: 1 } } }),
    );
    const r = loadConfigFile(file);
    assert.ok(!r.ok);
    const paths = r.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('sweep.executor.time'), paths.join(', '));
    assert.ok(
      r.issues.some((i) => /gpu/.test(i.message) || i.path.includes('gpu')),
      JSON.stringify(r.issues),
    );
  });
});

describe('a Slurm trial in words (CLI and sweep view)', () => {
  it("says pending with the scheduler's reason, and how often it requeued", () => {
    assert.equal(trialStatusText({ status: 'queued', scheduler: { state: 'PENDING', reason: 'Dependency' } }), 'pending (Dependency)');
    assert.equal(trialStatusText({ status: 'queued', scheduler: { state: 'PENDING', reason: 'BeginTime', requeues: 1 } }), 'pending (BeginTime), requeued 1×');
    assert.equal(trialStatusText({ status: 'running', scheduler: { state: 'RUNNING', requeues: 2 } }), 'running (requeued 2×)');
    assert.equal(trialStatusText({ status: 'queued' }), 'queued', 'a local trial as before');
  });
});
