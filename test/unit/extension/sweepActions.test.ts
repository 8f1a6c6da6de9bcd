/**
 * The Runs tree's sweep menu, decided without vscode: Stop finds a sweep this window runs (by
 * its folder, known from its first write), cancels a running Slurm sweep's jobs, and refuses a
 * local sweep of another process or one that ended; Delete takes only a real sweep folder in
 * the workspace, never a running one. The window's owner says when its sweeps start and end.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EditorSweeps } from '../../../src/extension/sweeps/editorSweeps';
import { deleteRefusal, planStop, sweepDirOf } from '../../../src/extension/sweeps/sweepActions';
import { SWEEP_FORMAT, type SweepFile } from '../../../src/protocol/sweep';
import type { Sweep, SweepOutcome } from '../../../src/sweep/runSweep';

function fakeSweep() {
  let finish: (o: SweepOutcome) => void = () => undefined;
  const sweep = { run: () => new Promise<SweepOutcome>((r) => (finish = r)), dispose: async () => finish({ ok: false, issues: [] }) };
  return { sweep: sweep as unknown as Sweep, end: () => finish({ ok: false, issues: [] }) };
}

describe('extension/sweeps/sweepActions: Stop and Delete in the Runs tree', () => {
  let root: string;
  let sweepDir: string;
  const write = (over: Partial<SweepFile>) =>
    fs.writeFileSync(
      path.join(sweepDir, 'sweep.json'),
      JSON.stringify({
        format: SWEEP_FORMAT,
        sweepId: 's1',
        name: 'temps',
        status: 'done',
        startedAt: new Date(0).toISOString(),
        metric: 'valAccuracy',
        metricLabel: 'validation accuracy',
        params: [{ path: 'distillation.temperature', values: [1] }],
        seeds: [1],
        epochs: 1,
        parallel: 1,
        trials: [],
        aggregates: [],
        teacherCache: { dir: '', hits: 0, computed: 0 },
        notes: [],
        ...over,
      }),
    );
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-actions-')));
    sweepDir = path.join(root, '.distillery', 'sweeps', '20260101-000000-temps');
    fs.mkdirSync(sweepDir, { recursive: true });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads the folder from a tree node, a Uri or a path', () => {
    assert.equal(sweepDirOf({ kind: 'sweep', sweepDir: '/a' }), '/a');
    assert.equal(sweepDirOf({ fsPath: '/b' }), '/b');
    assert.equal(sweepDirOf('/c'), '/c');
    assert.equal(sweepDirOf(undefined), undefined);
    assert.equal(sweepDirOf({ runId: 'x' }), undefined);
  });

  it('knows the folder of a sweep this window runs until it ends, and says so to listeners', async () => {
    const owner = new EditorSweeps('/engine.js');
    const heard: string[] = [];
    owner.onDidChange((d) => heard.push(d));
    const { sweep, end } = fakeSweep();
    const running = owner.run(sweep);
    assert.equal(owner.sweepIn(sweepDir), undefined, 'no folder before its first write');
    owner.changed(sweep, sweepDir);
    assert.equal(owner.sweepIn(sweepDir + path.sep), sweep);
    write({ status: 'running', owner: { pid: process.pid } });
    const plan = planStop(sweepDir, owner);
    assert.equal(plan.kind, 'local');
    assert.match(deleteRefusal(sweepDir, [root], owner) ?? '', /still running: stop it first/);
    end();
    await running;
    assert.equal(owner.sweepIn(sweepDir), undefined, 'forgotten once it ended');
    assert.deepEqual(heard, [sweepDir, path.resolve(sweepDir)], 'heard at its write and at its end');
  });

  it('cancels a running Slurm sweep; refuses an ended one and another process’s', () => {
    const owner = new EditorSweeps('/engine.js');
    write({ status: 'running', executor: { type: 'slurm', jobs: {} } as unknown as SweepFile['executor'] });
    assert.equal(planStop(sweepDir, owner).kind, 'slurm');
    write({ status: 'running', owner: { pid: process.pid } });
    const other = planStop(sweepDir, owner);
    assert.equal(other.kind, 'refused');
    assert.match((other as { message: string }).message, new RegExp(`runs in another window or a terminal \\(pid ${process.pid}\\)`));
    write({ status: 'done' });
    assert.deepEqual(planStop(sweepDir, owner), { kind: 'refused', message: 'Sweep "temps" has already ended (done).' });
  });

  it('deletes only an ended sweep folder inside the workspace', () => {
    const owner = new EditorSweeps('/engine.js');
    write({ status: 'running', owner: { pid: process.pid } });
    assert.match(deleteRefusal(sweepDir, [root], owner) ?? '', /is still running/);
    write({ status: 'stopped' });
    assert.equal(deleteRefusal(sweepDir, [root], owner), undefined);
    assert.match(deleteRefusal(sweepDir, [path.join(root, 'elsewhere')], owner) ?? '', /outside the workspace/);
    const notSweep = path.join(root, 'src');
    fs.mkdirSync(notSweep);
    fs.writeFileSync(path.join(notSweep, 'sweep.json'), '{}');
    assert.match(deleteRefusal(notSweep, [root], owner) ?? '', /not a Distillery sweep folder/);
    fs.rmSync(path.join(sweepDir, 'sweep.json'));
    assert.match(deleteRefusal(sweepDir, [root], owner) ?? '', /holds no sweep.json/);
  });
});
