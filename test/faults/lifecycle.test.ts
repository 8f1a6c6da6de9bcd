/**
 * An engine that fails ends, and says why; an engine never outlives its parent. Through the
 * real CLI (`distill run`, `validate`, `resume`, `sweep`), each bounded so that a hang fails
 * the test instead of stalling the suite. Needs `npm run build`.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineWorker } from '../../src/client/engineWorker';
import { encodeIdx } from '../../src/engine/data/idx';
import { DISTILLERY_DIR, listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { childPids, CLI, distillBounded, isAlive, killTree, STACK_LINE, waitFor, type BoundedResult } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-lifecycle-'));
const BOUND_MS = 60_000;

function idx(name: string, dims: number[]): string {
  const file = path.join(root, name);
  const count = dims.reduce((a, b) => a * b, 1);
  fs.writeFileSync(
    file,
    encodeIdx(
      dims,
      Uint8Array.from({ length: count }, (_, i) => (i * 37) % 256),
    ),
  );
  return file;
}
function labels(name: string, n: number): string {
  const file = path.join(root, name);
  fs.writeFileSync(
    file,
    encodeIdx(
      [n],
      Uint8Array.from({ length: n }, (_, i) => i % 4),
    ),
  );
  return file;
}

let caseNo = 0;
function writeKd(config: Record<string, unknown>): string {
  const dir = path.join(root, `case-${++caseNo}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'kd.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** A tiny run on IDX images of the given size: a small MLP teacher trained here, and `student`. */
function idxKd(images: string, labs: string, student: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return writeKd({
    name: 'lc',
    backend: 'wasm',
    data: { source: { train: { images, labels: labs } } },
    teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 8 } }],
    student: { architecture: student },
    training: { epochs: 1, batchSize: 8 },
    baseline: false,
    evaluation: { latencySamples: 1, logitsSamples: 0 },
    ...extra,
  });
}

after(() => fs.rmSync(root, { recursive: true, force: true }));

function runFolders(kd: string): string[] {
  const runs = path.join(path.dirname(kd), DISTILLERY_DIR, 'runs');
  return fs.existsSync(runs) ? fs.readdirSync(runs) : [];
}

/** Ended by itself, with `code`, no stack trace, the message matched; with exit 2 no run folder. */
function assertEnded(r: BoundedResult, code: number, pattern: RegExp, kd?: string): void {
  assert.ok(!r.timedOut, `still running after ${BOUND_MS} ms (a hang); stderr so far:\n${r.stderr}`);
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, STACK_LINE, 'a JS stack trace on stderr');
  if (kd && code === 2) assert.deepEqual(runFolders(kd), [], 'a run folder was created');
}

describe('faults: an engine that fails ends, and says why', function () {
  this.timeout(120_000);

  it('a CNN too deep for 28×28 (five 2×2 pools): exit 2 before training, naming the layer where the size reaches 0', async () => {
    const kd = writeKd({
      name: 'deep',
      backend: 'wasm',
      data: { source: 'mnist', limit: 100 },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 20 } }],
      student: { architecture: { preset: 'cnn', filters: [8, 8, 8, 8, 8] } },
      training: { epochs: 1, batchSize: 20 },
      baseline: false,
    });
    const r = await distillBounded(['run', kd], BOUND_MS);
    assertEnded(r, 2, /student\.architecture\.filters: the 28×28 input shrinks to 0×0 at student_pool5 .*at most 4 fit 28×28 images, 5 are given/, kd);
    // validate refuses it too (the check is a pure function of the spec and the input size).
    const v = await distillBounded(['validate', kd], BOUND_MS);
    assertEnded(v, 2, /student\.architecture\.filters: the 28×28 input shrinks to 0×0 at student_pool5/);
  });

  it('a 1×20 input with a CNN student: exit 2 naming pool1', async () => {
    const kd = idxKd(idx('img-1x20', [32, 1, 20]), labels('lab-32', 32), { preset: 'cnn', filters: [4] });
    assertEnded(
      await distillBounded(['run', kd], BOUND_MS),
      2,
      /student\.architecture\.filters: the 1×20 input shrinks to 0×10 at student_pool1 .*no conv block fits 1×20 images: use the mlp preset/,
      kd,
    );
  });

  it('1×1 images with a CNN student: exit 2 naming pool1', async () => {
    const kd = idxKd(idx('img-1x1', [32, 1, 1]), labels('lab-32b', 32), { preset: 'cnn', filters: [4, 4] });
    assertEnded(await distillBounded(['run', kd], BOUND_MS), 2, /student\.architecture\.filters: the 1×1 input shrinks to 0×0 at student_pool1/, kd);
  });

  it('RGB 2×8 images with a resnet student, 5×40 RGB with a mobilenet of six stages: validate and run exit 2 naming the first stride-2 layer with nothing to halve', async () => {
    const resnet = idxKd(idx('img-2x8x3', [32, 2, 8, 3]), labels('lab-32r', 32), { preset: 'resnet', depth: 8, width: 2 });
    const problem =
      /student\.architecture\.preset: the 2×8 input is down to 1×4 at student_s3b1_conv1, a stride-2 layer with nothing left to halve .*it needs images of at least 3×3/;
    assertEnded(await distillBounded(['validate', resnet], BOUND_MS), 2, problem);
    assertEnded(await distillBounded(['run', resnet], BOUND_MS), 2, problem, resnet);
    const mobile = idxKd(idx('img-5x40x3', [32, 5, 40, 3]), labels('lab-32m', 32), { preset: 'mobilenet', filters: [2, 2, 2, 2, 2, 2], blocks: 1, stem: 2 });
    assertEnded(
      await distillBounded(['validate', mobile], BOUND_MS),
      2,
      /student\.architecture\.filters: the 5×40 input is down to 1×5 at student_s5b1_dw, .*at most 3 stride-2 stages fit 5×40 images, 5 are given/,
    );
  });

  it('a CNN on non-square RGB images (5×40×3) too deep for their height: validate exits 2 naming pool3', async () => {
    const kd = idxKd(idx('img-5x40x3c', [32, 5, 40, 3]), labels('lab-32c3', 32), { preset: 'cnn', filters: [4, 4, 4] });
    assertEnded(
      await distillBounded(['validate', kd], BOUND_MS),
      2,
      /student\.architecture\.filters: the 5×40 input shrinks to 0×5 at student_pool3 .*at most 2 fit 5×40 images, 3 are given/,
    );
  });

  it('IDX images of N×0×0: exit 2 naming data.source and the file', async () => {
    const kd = idxKd(idx('img-0x0', [32, 0, 0]), labels('lab-32c', 32), { preset: 'mlp', hidden: [4] });
    assertEnded(await distillBounded(['run', kd], BOUND_MS), 2, /data\.source: .*img-0x0: .*0×0/, kd);
  });

  it('data.limit 1 with testSplit 0.5 (an empty training split): exit 2 naming data.limit', async () => {
    const kd = writeKd({
      name: 'empty',
      backend: 'wasm',
      data: { source: 'mnist', limit: 1, testSplit: 0.5 },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 1 } }],
      student: { architecture: { preset: 'mlp', hidden: [4] } },
      training: { epochs: 1, batchSize: 1 },
    });
    assertEnded(await distillBounded(['run', kd], BOUND_MS), 2, /data\.limit: the training split is empty.*testSplit 0\.5/, kd);
  });

  it('--runs-root pointing at a regular file: exit 1, the message names it, no hang', async () => {
    const kd = idxKd(idx('img-8', [32, 8, 8]), labels('lab-32d', 32), { preset: 'mlp', hidden: [4] });
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const r = await distillBounded(['run', kd, '--runs-root', file], BOUND_MS);
    assertEnded(r, 1, new RegExp(`cannot create the run folder.*${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*not a folder`));
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a folder');
  });

  it('an exception the engine did not expect, before the run: exit 1 with its message, no stack trace (DISTILLERY_DEBUG shows it)', async () => {
    // A bug injected into the engine process only (not the CLI): it throws from a timer while the engine prepares.
    const inject = path.join(root, 'inject.cjs');
    fs.writeFileSync(inject, "if (process.argv[1].endsWith('engine.js')) setTimeout(() => { throw new TypeError('injected engine bug'); }, 50);\n");
    const kd = idxKd(path.join(root, 'img-8'), path.join(root, 'lab-32d'), { preset: 'mlp', hidden: [4] });
    const env = { NODE_OPTIONS: `--require ${inject}` };
    const r = await distillBounded(['run', kd], BOUND_MS, env);
    assertEnded(r, 1, /engine failed: injected engine bug/);
    // validate starts the same engine, and says the same words (they come over IPC, not on stderr).
    assertEnded(await distillBounded(['validate', kd], BOUND_MS, env), 1, /engine failed: injected engine bug/);
    const debug = await distillBounded(['run', kd], BOUND_MS, { ...env, DISTILLERY_DEBUG: '1' });
    assert.equal(debug.code, 1, debug.stderr);
    assert.match(debug.stderr, STACK_LINE, 'DISTILLERY_DEBUG shows the stack');
  });

  it('resume with no checkpoint: exit 1 (not 2, the code for a bad config) with the reason', async () => {
    const dir = path.join(root, 'run-without-checkpoint');
    fs.mkdirSync(dir);
    const kd = idxKd(path.join(root, 'img-8'), path.join(root, 'lab-32d'), { preset: 'mlp', hidden: [4] });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(kd, 'utf8')), $configPath: kd }));
    assertEnded(await distillBounded(['resume', dir], BOUND_MS), 1, /has no checkpoint yet/);
  });
});

describe('faults: a worker engine whose run fails', function () {
  this.timeout(120_000);
  const enginePath = path.resolve(__dirname, '../../dist/engine.js');

  it('reports a run that cannot start and takes the next one', async () => {
    const worker = new EngineWorker({ enginePath });
    try {
      const good = idxKd(idx('img-w', [32, 8, 8]), labels('lab-w', 32), { preset: 'mlp', hidden: [4] });
      const file = path.join(root, 'not-a-folder');
      fs.writeFileSync(file, '');
      const failures: string[] = [];
      const first = await worker.run(
        { kind: 'run', configPath: good, runDir: path.join(file, 'run') },
        (m) => m.type === 'engine_failed' && failures.push(m.message),
      );
      assert.deepEqual(first, { ended: true, code: 1, failure: `cannot create the run folder in ${file}: ${file} is not a folder` });
      assert.deepEqual(failures, [first.failure]);
      const second = await worker.run({ kind: 'run', configPath: good, runDir: path.join(root, 'runs-w', 'run') }, () => undefined);
      assert.deepEqual(second, { ended: true, code: 0 });
    } finally {
      await worker.close();
    }
  });

  it('a failure of the process itself (a throw outside any run): engine_failed with the message, then the worker exits 1', async () => {
    const inject = path.join(root, 'inject-worker.cjs');
    fs.writeFileSync(
      inject,
      "if (process.argv[1].endsWith('engine.js')) process.on('message', (m) => m.type === 'run' && setTimeout(() => { throw new RangeError('injected worker bug'); }, 20));\n",
    );
    const worker = new EngineWorker({ enginePath, env: { NODE_OPTIONS: `--require ${inject}` } });
    const kd = idxKd(path.join(root, 'img-w'), path.join(root, 'lab-w'), { preset: 'mlp', hidden: [4] });
    const outcome = await worker.run({ kind: 'run', configPath: kd, runDir: path.join(root, 'runs-w2', 'run') }, () => undefined);
    assert.equal(outcome.failure, 'injected worker bug');
    const exit = await worker.engine.exited;
    assert.equal(exit.code, 1);
    assert.doesNotMatch(exit.stderrTail, STACK_LINE);
  });
});

describe('faults: non-regular files are refused, not read', function () {
  this.timeout(60_000);
  const fifoRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-fifo-'));
  after(() => fs.rmSync(fifoRoot, { recursive: true, force: true }));

  it('a FIFO and /dev/zero as images files: validate and run say so, naming the key and the file', async () => {
    const fifo = path.join(fifoRoot, 'images.fifo');
    execFileSync('mkfifo', [fifo]);
    const labs = labels('lab-fifo', 32);
    for (const images of [fifo, '/dev/zero']) {
      const kd = idxKd(images, labs, { preset: 'mlp', hidden: [4] });
      const pattern = new RegExp(`data\\.source\\.train\\.images: IDX image file is not a regular file .*${images.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`);
      assertEnded(await distillBounded(['validate', kd], 20_000), 2, pattern);
      assertEnded(await distillBounded(['run', kd], 20_000), 2, pattern, kd);
    }
  });
});

describe('faults: an engine never outlives its parent', function () {
  this.timeout(120_000);
  const kdRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-orphan-'));
  after(() => fs.rmSync(kdRoot, { recursive: true, force: true }));

  /** A run that takes minutes: the parent is killed long before it ends. */
  function slowKd(extra: Record<string, unknown> = {}): string {
    const dir = fs.mkdtempSync(path.join(kdRoot, 'kd-'));
    const file = path.join(dir, 'kd.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        name: 'slow',
        backend: 'wasm',
        data: { source: 'mnist', limit: 2000 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [256] }, training: { epochs: 200, batchSize: 20 } }],
        student: { architecture: { preset: 'mlp', hidden: [16] } },
        training: { epochs: 200, batchSize: 20 },
        ...extra,
      }),
    );
    return file;
  }

  /** Starts `distill <args>`, waits until `ready(children)` holds, SIGKILLs the CLI, and returns the engine pids it had. */
  async function killParentWhen(args: string[], ready: (children: number[], elapsedMs: number) => boolean): Promise<number[]> {
    const cli = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const t0 = Date.now();
    try {
      const engines = await waitFor('the engine processes', 60_000, () => {
        const c = childPids(cli.pid!);
        return c.length && ready(c, Date.now() - t0) ? c : undefined;
      });
      process.kill(cli.pid!, 'SIGKILL');
      return engines;
    } catch (e) {
      killTree(cli.pid!);
      throw e;
    }
  }

  async function assertGone(pids: number[], withinMs: number): Promise<void> {
    const t0 = Date.now();
    try {
      await waitFor(`engine ${pids.join(', ')} to exit`, withinMs, () => (pids.some(isAlive) ? undefined : true));
    } finally {
      for (const p of pids) killTree(p);
    }
    assert.ok(Date.now() - t0 <= withinMs);
  }

  it('distill run killed by SIGKILL mid-training: the engine exits within 5 s', async () => {
    const kd = slowKd();
    const runs = runsRootFor(kd);
    // Training has started once a step reached the heartbeat.
    const engines = await killParentWhen(['run', kd], () => listRunDirs(runs).some((d) => /"step":/.test(readIf(path.join(d, 'heartbeat.json')))));
    await assertGone(engines, 5000);
    const [runDir] = listRunDirs(runs);
    // It stopped (after its step) rather than running on: the summary says so, if it had time to write it.
    const summary = readSummary(runDir);
    if (summary) assert.equal(summary.status, 'stopped');
  });

  it('distill run killed while its engine is still starting (before the run folder): the engine exits within 5 s, leaving no run folder', async () => {
    const kd = slowKd({ data: { source: 'mnist' } });
    const engines = await killParentWhen(['run', kd], (_c, ms) => ms > 300);
    await assertGone(engines, 5000);
    assert.deepEqual(listRunDirs(runsRootFor(kd)), []);
  });

  it('distill sweep killed by SIGKILL: its engine workers exit within 5 s', async () => {
    const kd = slowKd({ sweep: { params: { 'distillation.temperature': [2, 4] }, parallel: 2 } });
    const engines = await killParentWhen(['sweep', kd, '--parallel', '2'], (c, ms) => c.length >= 2 && ms > 4000);
    await assertGone(engines, 5000);
  });
});

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
