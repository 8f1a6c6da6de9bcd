/**
 * Issue 13 item 4: a sweep's trial configs live in the sweep folder, so every relative path of
 * the base kd.json must resolve as it would beside kd.json. Seven tiny sweeps between them use
 * every path-bearing key of protocol/configPaths.ts (the test checks that they do), with every
 * file in a subfolder, and every trial must finish.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeIdx, encodeIdxFloat32 } from '../../../src/engine/data/idx';
import { saveLayersModel } from '../../../src/engine/models/modelFiles';
import { buildPreset } from '../../../src/engine/models/presets';
import { ArchitectureSpec } from '../../../src/protocol/config';
import { configPaths, fileOfPath, PATH_KEYS } from '../../../src/protocol/configPaths';
import { encodeNpy, encodeNpz, int64Bytes, writePngFolder, type Digits } from '../../../scripts/fixtures/digitFormats';
import type { EngineMessage } from '../../../src/protocol/events';
import { readEvents } from '../../../src/protocol/runFolder';
import { readSweep } from '../../../src/protocol/sweep';
import { Sweep, trialTeacherLogits } from '../../../src/sweep/runSweep';
import { wasmTf } from '../engine/helpers';

const enginePath = path.resolve(__dirname, '../../../dist/engine.js');

function writeImages(file: string, count: number, seed: number): void {
  const px = new Uint8Array(count * 64);
  let s = seed;
  for (let i = 0; i < px.length; i++) px[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  fs.writeFileSync(file, encodeIdx([count, 8, 8], px));
}

/** 8×8 grey images in every data.source format under data/, relative paths as kd.json names them. */
async function writeFormatData(d: (...p: string[]) => string) {
  const set = (n: number, seed: number): Digits => {
    const images = new Uint8Array(n * 64);
    let s = seed;
    for (let i = 0; i < images.length; i++) images[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    return { images, labels: Uint8Array.from({ length: n }, (_, i) => Math.floor((i * 4) / n)), count: n, side: 8 };
  };
  const names = ['a', 'b', 'c', 'd'];
  const sets = { train: set(160, 4), val: set(20, 5), test: set(40, 6) };
  for (const [k, v] of Object.entries(sets)) await writePngFolder(v, d('data', 'folder', k), names);
  const csvOf = (v: Digits) =>
    [
      'y,' + Array.from({ length: 64 }, (_, p) => `p${p}`).join(','),
      ...Array.from({ length: v.count }, (_, k) => [names[v.labels[k]], ...v.images.subarray(k * 64, (k + 1) * 64)].join(',')),
    ].join('\n');
  fs.writeFileSync(d('data', 'train.csv'), csvOf(sets.train));
  fs.writeFileSync(d('data', 'test.csv'), csvOf(sets.test));
  // CIFAR records are 32×32: the 8×8 images sit in the corner of each.
  fs.writeFileSync(d('data', 'cifar-train.bin'), cifarOf(sets.train));
  fs.writeFileSync(d('data', 'cifar-test.bin'), cifarOf(sets.test));
  const x = (v: Digits) => encodeNpy('|u1', [v.count, 8, 8], v.images);
  const y = (v: Digits) => encodeNpy('<i8', [v.count], int64Bytes(v.labels));
  fs.writeFileSync(d('data', 'train.npz'), encodeNpz({ x: x(sets.train), y: y(sets.train) }));
  fs.writeFileSync(d('data', 'test-x.npy'), x(sets.test));
  fs.writeFileSync(d('data', 'test-y.npy'), y(sets.test));
  return {
    folder: (k: string) => `data/folder/${k}`,
    csv: (k: string) => `data/${k}.csv`,
    cifar: (k: string) => `data/cifar-${k}.bin`,
    npz: 'data/train.npz',
    npy: { x: 'data/test-x.npy', y: 'data/test-y.npy' },
  };
}

function cifarOf(v: Digits): Buffer {
  const out = Buffer.alloc(v.count * 3073);
  for (let k = 0; k < v.count; k++) {
    out[k * 3073] = v.labels[k];
    for (let p = 0; p < 64; p++) out[k * 3073 + 1 + Math.floor(p / 8) * 32 + (p % 8)] = v.images[k * 64 + p];
  }
  return out;
}

describe('sweeps resolve every path-bearing key of kd.json', function () {
  this.timeout(300_000);

  it('seven sweeps, one of each key between them (the data.source formats too), relative to kd.json: every trial done, every derived path absolute', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sweep-paths-'));
    const d = (...p: string[]) => path.join(dir, ...p);
    fs.mkdirSync(d('data'));
    writeImages(d('data', 'train-images.idx'), 200, 1);
    fs.writeFileSync(
      d('data', 'train-labels.idx'),
      encodeIdx(
        [200],
        Uint8Array.from({ length: 200 }, (_, i) => i % 10),
      ),
    );
    writeImages(d('data', 'test-images.idx'), 50, 2);
    fs.writeFileSync(
      d('data', 'test-labels.idx'),
      encodeIdx(
        [50],
        Uint8Array.from({ length: 50 }, (_, i) => i % 10),
      ),
    );
    writeImages(d('data', 'extra-images.idx'), 40, 3);
    fs.writeFileSync(
      d('data', 'values.idx'),
      encodeIdxFloat32(
        [200, 2],
        new Float32Array(400).map((_, i) => (i % 7) / 7),
      ),
    );
    fs.writeFileSync(
      d('data', 'test-values.idx'),
      encodeIdxFloat32(
        [50, 2],
        new Float32Array(100).map((_, i) => (i % 5) / 5),
      ),
    );
    const tf = await wasmTf();
    for (const [name, hidden] of [
      ['teacher', [16]],
      ['student', [4]],
    ] as const) {
      const m = buildPreset(tf, ArchitectureSpec.parse({ preset: 'mlp', hidden }), [8, 8, 1], 10, 3, name);
      await saveLayersModel(m, d('models', name));
      m.dispose();
    }
    const source = {
      train: { images: 'data/train-images.idx', labels: 'data/train-labels.idx' },
      test: { images: 'data/test-images.idx', labels: 'data/test-labels.idx' },
    };
    const common = {
      backend: 'wasm',
      seed: 2,
      training: { epochs: 1, batchSize: 50 },
      evaluation: { latencySamples: 2, logitsSamples: 2 },
      sweep: { params: { 'distillation.temperature': [3] }, parallel: 1 },
    };
    const a = {
      ...common,
      name: 'paths-a',
      data: { source, unlabeledImages: 'data/extra-images.idx' },
      teachers: [
        { id: 'file', model: 'models/teacher/model.json' },
        { id: 'trained', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 }, save: 'models/trained' },
      ],
      student: { model: 'models/student/model.json' },
    };
    const b = {
      ...common,
      name: 'paths-b',
      data: { source },
      teachers: [{ id: 'heads', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 }, save: 'models/heads' }],
      student: { architecture: { preset: 'mlp', hidden: [4] } },
      outputs: { v: { target: 'data/values.idx', testTarget: 'data/test-values.idx', loss: 'mse' } },
    };
    // The data.source formats (issue 15), each a sweep of its own: the same 8×8 images as an
    // image folder, a CSV table, CIFAR batches (a list, and one file) and NumPy arrays.
    const formats = await writeFormatData(d);
    const onFormat = (name: string, data: object) => ({
      ...common,
      name,
      data,
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 } }],
      student: { architecture: { preset: 'mlp', hidden: [4] } },
    });
    const c = onFormat('paths-folder', {
      source: { format: 'imageFolder', train: formats.folder('train'), validation: formats.folder('val'), test: formats.folder('test') },
    });
    const e = onFormat('paths-csv', { source: { format: 'csv', train: formats.csv('train'), test: formats.csv('test'), label: 'y' } });
    const f = onFormat('paths-cifar', { source: { format: 'cifar', train: [formats.cifar('train')], test: formats.cifar('test') } });
    const g = onFormat('paths-cifar1', { source: { format: 'cifar', train: formats.cifar('train') }, testSplit: 0.25 });
    const h = onFormat('paths-npy', { source: { format: 'npy', train: { x: `${formats.npz}#x`, y: `${formats.npz}#y` }, test: formats.npy } });
    // Between them, the configs use every key of the one list.
    const used = new Set([a, b, c, e, f, g, h].flatMap((cfg) => configPaths(cfg).map((p) => p.key)));
    assert.deepEqual(
      PATH_KEYS.filter((k) => !used.has(k)).map((k) => k.pattern.join('.')),
      [],
    );

    for (const cfg of [a, b, c, e, f, g, h]) {
      const file = d(`${cfg.name}.kd.json`);
      fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
      const out = await new Sweep({ configPath: file, enginePath }).run();
      assert.ok(out.ok, JSON.stringify(!out.ok && out.issues));
      const s = readSweep(out.dir)!;
      for (const t of s.trials) assert.equal(t.status, 'done', `${cfg.name} ${t.id}: ${t.error}`);
      // Item 9: each trial's teacher-logits source is its typed event, which its events.jsonl holds.
      for (const t of s.trials) {
        const said = readEvents(path.join(out.dir, t.runDir)).events.filter((e) => e.type === 'teacher_logits');
        assert.ok(said.length && t.teacherLogits === said.at(-1)!.source, `${t.id}: ${t.teacherLogits} vs ${JSON.stringify(said)}`);
      }
      assert.equal(s.teacherCache.computed, 1);
      assert.equal(s.teacherCache.hits, s.trials.length - 1);
      for (const t of s.trials) {
        const derived = JSON.parse(fs.readFileSync(path.join(out.dir, t.configFile), 'utf8'));
        for (const p of configPaths(derived)) assert.ok(path.isAbsolute(p.rel) && fs.existsSync(fileOfPath(p)), `${t.id} ${p.at.join('.')} = ${p.rel}`);
      }
    }
  });
});

describe('sweeps: the teacher-logits gate reads a typed event (issue 13 item 9)', () => {
  it('log lines, whatever their words, change nothing; the teacher_logits event decides', () => {
    const log = (message: string): EngineMessage => ({ type: 'log', level: 'info', message, time: '' });
    const said = (source: 'cache-hit' | 'computed' | 'live'): EngineMessage => ({ type: 'teacher_logits', source, time: '' });
    assert.equal(trialTeacherLogits(undefined, log('teacher logits: reused cache /x (300 samples)')), undefined);
    assert.equal(trialTeacherLogits(undefined, log('teacher logits: computed for 300 samples')), undefined);
    assert.equal(trialTeacherLogits(undefined, log('the teacher runs live on each batch')), undefined);
    assert.equal(trialTeacherLogits(undefined, said('cache-hit')), 'cache-hit');
    assert.equal(trialTeacherLogits(undefined, said('computed')), 'computed');
    assert.equal(trialTeacherLogits(undefined, said('live')), 'live');
    // Live after a cache answer (an assistant's stage) does not hide what the cache did.
    assert.equal(trialTeacherLogits('cache-hit', said('live')), 'cache-hit');
  });
});
