import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandValues, grid, readSweep, stat, summarizeSweep, type SweepFile } from '../../../src/protocol/sweep';
import { Sweep } from '../../../src/sweep/runSweep';

const enginePath = path.resolve(__dirname, '../../../dist/engine.js');

describe('sweeps', function () {
  this.timeout(300_000);

  it('expands lists, ranges and grids, and aggregates mean ± sd', () => {
    assert.deepEqual(expandValues({ from: 1, to: 4, steps: 4, scale: 'linear' }), [1, 2, 3, 4]);
    assert.deepEqual(expandValues({ from: 1, to: 100, steps: 3, scale: 'log' }), [1, 10, 100]);
    assert.deepEqual(
      grid([
        { path: 'a', values: [1, 2] },
        { path: 'b', values: [3] },
      ]),
      [
        { a: 1, b: 3 },
        { a: 2, b: 3 },
      ],
    );
    const s = stat([0.5, 0.7]);
    assert.equal(s.mean, 0.6);
    assert.ok(Math.abs(s.sd - Math.sqrt(0.02)) < 1e-12);
    const file = {
      metric: 'valAccuracy',
      trials: [
        { id: 'b', kind: 'baseline', params: {}, seed: 1, status: 'done', metric: 0.5 },
        { id: 'x1', kind: 'distill', params: { T: 2 }, seed: 1, status: 'done', metric: 0.6 },
        { id: 'x2', kind: 'distill', params: { T: 2 }, seed: 2, status: 'done', metric: 0.8 },
        { id: 'y1', kind: 'distill', params: { T: 4 }, seed: 1, status: 'done', metric: 0.75 },
      ],
    } as unknown as SweepFile;
    summarizeSweep(file);
    assert.equal(file.best!.trialId, 'x2');
    assert.deepEqual(file.bestSetting!.params, { T: 4 });
    assert.ok(Math.abs(file.aggregates[0].gain! - 0.2) < 1e-12);
  });

  it('a 2×2 sweep runs 4 trials (and the baseline) in parallel engine processes and picks the best', async function () {
    if (!fs.existsSync(enginePath)) throw new Error(`${enginePath} is missing: run npm run build first`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-sweep-'));
    const file = path.join(dir, 'kd.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        backend: 'wasm',
        seed: 2,
        data: { source: 'mnist', limit: 300 },
        teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } }],
        student: { architecture: { preset: 'mlp', hidden: [8] } },
        training: { epochs: 1, batchSize: 50 },
        evaluation: { latencySamples: 2, logitsSamples: 2 },
        sweep: { params: { 'distillation.temperature': [2, 6], 'distillation.alpha': [0.5, 0.9] }, parallel: 2 },
      }),
    );
    const out = await new Sweep({ configPath: file, enginePath }).run();
    assert.ok(out.ok);
    const s = readSweep(out.dir)!;
    assert.equal(s.status, 'done');
    const distill = s.trials.filter((t) => t.kind === 'distill');
    assert.equal(distill.length, 4);
    assert.ok(distill.every((t) => t.status === 'done' && typeof t.metric === 'number'));
    assert.equal(s.trials.filter((t) => t.kind === 'baseline').length, 1);
    assert.ok(s.best && distill.some((t) => t.id === s.best!.trialId && t.metric === Math.max(...distill.map((d) => d.metric!))));
    assert.equal(s.aggregates.length, 4);
    assert.ok(s.baseline?.metric);
    for (const t of s.trials) assert.ok(fs.existsSync(path.join(out.dir, t.runDir, 'summary.json')), `${t.id} is a normal run folder`);
    // The teacher trained once; every later trial read its logits from the shared cache.
    assert.equal(s.teacherCache.computed, 1);
    assert.equal(s.teacherCache.hits, 4);

    // With the teacher saved but its logits no longer cached, the first trial computes them
    // while the others wait: parallel trials never compute the same cache entry twice.
    fs.rmSync(s.teacherCache.dir, { recursive: true, force: true });
    const again = await new Sweep({ configPath: file, enginePath }).run();
    assert.ok(again.ok);
    const s2 = readSweep(again.dir)!;
    assert.equal(s2.teacherCache.computed, 1);
    assert.equal(s2.teacherCache.hits, 4);

    // A bad swept path is a config error naming it; nothing is written.
    const bad = path.join(dir, 'bad.kd.json');
    fs.writeFileSync(bad, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), sweep: { params: { 'distillation.temprature': [1, 2] } } }));
    const r = await new Sweep({ configPath: bad, enginePath }).run();
    assert.ok(!r.ok && r.issues[0].path.join('.') === 'sweep.params.distillation.temprature');
  });
});
