/**
 * Runs through the engine on each format of the same digits: the same seed gives the same
 * accuracies as IDX (the samples, their order and their normalisation are the same), and RGB
 * data (CIFAR format, 32×32×3) trains the cnn preset with crop and flip, its class names in
 * summary.json and logits.json.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDigitFormats, DIGIT_CLASSES, DIGIT_NAMES, type DigitFiles } from '../../../../scripts/fixtures/digitFormats';
import { EXIT } from '../../../../src/engine/run/engineRun';
import type { LogitsFile } from '../../../../src/protocol/webviewMessages';
import { runConfig, type RunResult } from '../methods/runConfig';

const base = {
  backend: 'wasm',
  seed: 9,
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] }, training: { epochs: 1, batchSize: 50 } }],
  student: { architecture: { preset: 'mlp', hidden: [16] } },
  training: { epochs: 1, batchSize: 50 },
  evaluation: { latencySamples: 2, logitsSamples: 4 },
};

function accuracies(r: RunResult): number[] {
  assert.equal(r.code, EXIT.done, JSON.stringify(r.messages.filter((m) => m.type !== 'step').slice(-3)));
  const s = r.summary!;
  return [s.teacher!.testAccuracy, s.student!.testAccuracy, s.baseline!.testAccuracy];
}

describe('runs on every data format of the same digits', function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-formatruns-'));
  let f: DigitFiles;
  before(async () => {
    f = await writeDigitFormats(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (data: object) => runConfig({ ...base, data }, fs.mkdtempSync(path.join(dir, 'run-')));

  it('IDX, image folder and .npz: the same accuracies (teacher, distilled, baseline) from the same seed; class names in summary.json', async () => {
    const fromIdx = await run({ source: { train: f.idx } });
    const fromFolder = await run({ source: { format: 'imageFolder', train: f.folder } });
    const fromNpz = await run({ source: { format: 'npy', train: { x: `${f.npz}#x_train`, y: `${f.npz}#y_train` } } });
    const want = accuracies(fromIdx);
    assert.ok(want[0] > 0.5, `the teacher learnt something: ${want[0]}`);
    assert.deepEqual(accuracies(fromFolder), want);
    assert.deepEqual(accuracies(fromNpz), want);
    assert.deepEqual(fromFolder.summary!.classNames, DIGIT_CLASSES);
    assert.equal(fromIdx.summary!.classNames, undefined, 'IDX names no classes');
    const logits = JSON.parse(fs.readFileSync(path.join(fromFolder.runDir!, 'logits.json'), 'utf8')) as LogitsFile;
    assert.deepEqual(logits.classNames, DIGIT_CLASSES);
  });

  it('a CSV table and the same rows as a float NumPy array: the same accuracies (both standardised per feature)', async () => {
    const csv = await run({ source: { format: 'csv', train: f.csv, label: 'digit' } });
    const npy = await run({ source: { format: 'npy', train: f.npyFloatFlat }, normalize: 'perChannel' });
    assert.deepEqual(accuracies(csv), accuracies(npy));
    const logits = JSON.parse(fs.readFileSync(path.join(csv.runDir!, 'logits.json'), 'utf8')) as LogitsFile;
    assert.equal(logits.images, undefined, 'a table row is no thumbnail');
  });

  it('RGB end to end: CIFAR-format 32×32×3 with the cnn preset, crop and flip (teacher live), names and RGB thumbnails', async () => {
    const r = await runConfig(
      {
        ...base,
        data: { source: { format: 'cifar', train: f.cifar }, limit: 600, normalize: 'perChannel', augment: { crop: 4, flip: true } },
        teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [8] }, training: { epochs: 3, batchSize: 24 } }],
        student: { architecture: { preset: 'cnn', filters: [8] } },
        training: { epochs: 3, batchSize: 24 },
      },
      fs.mkdtempSync(path.join(dir, 'run-')),
    );
    const acc = accuracies(r);
    assert.ok(
      acc.every((a) => a > 0.3),
      `better than chance: ${acc}`,
    );
    assert.ok(r.messages.some((m) => m.type === 'log' && m.message.includes('augmentation is on (crop 4px, flip)')));
    assert.ok(r.messages.some((m) => m.type === 'teacher_logits' && m.source === 'live'));
    assert.deepEqual(r.summary!.classNames, DIGIT_NAMES);
    const logits = JSON.parse(fs.readFileSync(path.join(r.runDir!, 'logits.json'), 'utf8')) as LogitsFile;
    assert.deepEqual(logits.shape, [32, 32, 3]);
    assert.equal(Buffer.from(logits.images![0], 'base64').length, 32 * 32 * 3);
  });
});
