import { strict as assert } from 'node:assert';
import { MAX_THREADS, parseThreads, threadsAsked, threadsBeside, threadsOfSlurmTask, threadsPerRun } from '../../../src/protocol/threads';
import { combineRows } from '../../../src/engine/parallel/shardLoss';
import { splitRows } from '../../../src/engine/parallel/shards';

describe('threads: one rule for how many a run may use', () => {
  it('a run alone gets the cores (at most MAX_THREADS); runs side by side share them, one at least each', () => {
    assert.equal(threadsPerRun(1, 2), 2);
    assert.equal(threadsPerRun(2, 2), 1);
    assert.equal(threadsPerRun(3, 2), 1);
    assert.equal(threadsPerRun(1, 1), 1);
    assert.equal(threadsPerRun(2, 8), 4);
    assert.equal(threadsPerRun(1, 64), MAX_THREADS);
    assert.equal(threadsPerRun(0, 2), 2);
  });

  it('a run started beside running ones gets what their threads leave: they keep theirs (2 cores: 2 running → 1, not 2 + 1 + …)', () => {
    assert.equal(threadsBeside([], 2), threadsPerRun(1, 2));
    assert.equal(threadsBeside([2], 2), 1);
    assert.equal(threadsBeside([2, 1], 2), 1);
    assert.equal(threadsBeside([4], 8), 4);
    assert.equal(threadsBeside([1], 8), MAX_THREADS);
    assert.equal(threadsBeside([3, 3], 8), 2);
  });

  it('an explicit --threads is kept up to the cores, whatever MAX_THREADS says', () => {
    assert.equal(threadsAsked(8, 16), 8);
    assert.equal(threadsAsked(8, 2), 2);
    assert.equal(threadsAsked(1, 2), 1);
  });

  it("a Slurm task uses its allocation's cores (SLURM_CPUS_PER_TASK), not the node's", () => {
    assert.equal(threadsOfSlurmTask({ SLURM_CPUS_PER_TASK: '1' }, 16), 1);
    assert.equal(threadsOfSlurmTask({ SLURM_CPUS_PER_TASK: '2' }, 16), 2);
    assert.equal(threadsOfSlurmTask({ SLURM_CPUS_PER_TASK: '8' }, 16), MAX_THREADS);
    assert.equal(threadsOfSlurmTask({ SLURM_CPUS_PER_TASK: '4' }, 2), 2);
    assert.equal(threadsOfSlurmTask({}, 2), 2);
  });

  it('reads --threads as a whole number ≥ 1 only', () => {
    assert.equal(parseThreads('3'), 3);
    for (const bad of ['0', '-2', '2.5', '', 'x', undefined]) assert.equal(parseThreads(bad), undefined, String(bad));
  });
});

describe('data-parallel steps: how a batch splits and how its shards combine', () => {
  it('splits rows as evenly as possible, the first shards taking the remainder', () => {
    assert.deepEqual(splitRows(128, 2), [64, 64]);
    assert.deepEqual(splitRows(63, 2), [32, 31]);
    assert.deepEqual(splitRows(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(splitRows(1, 2), [1, 0]);
  });

  it("a shard's mean losses weigh by its rows and correct counts add up: the whole batch's row", () => {
    // Batch of 3: losses 1, 2 (shard of 2, mean 1.5; 1 correct) and 6 (shard of 1; 0 correct): the mean is 3.
    assert.deepEqual(
      combineRows([
        { values: [1.5, 1.5, 1], rows: 2 },
        { values: [6, 6, 0], rows: 1 },
      ]),
      [3, 3, 1],
    );
  });
});
