/**
 * logits.json's `samples`: every test sample some model got wrong or where teacher and student
 * disagree is stored (the set checked against predictions.json of real runs, grey digits and
 * RGB CIFAR records), with its exact pixels and each model's top 3 classes (softmax, closed
 * form), and a stated cap when the budget runs out.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INSPECT_RULE, inspectedSamples, thumbnailShape, topClasses, type LogitsInput } from '../../../../src/engine/run/logitsFile';
import { parseBundledMnist } from '../../../../src/engine/data/sources';
import { pickDigits } from '../../../../scripts/fixtures/digitFormats';
import type { LogitsFile, PredictionsFile } from '../../../../src/protocol/webviewMessages';
import { runConfig, tiny } from '../methods/runConfig';

const softmax = (z: number[]) => {
  const e = z.map((v) => Math.exp(v - Math.max(...z)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** n samples of `classes` classes whose predictions are the argmax of the given logits rows. */
function synthetic(
  rows: { label: number; t: number[]; s: number[] }[],
  shape: [number, number, number],
  pixels: (i: number) => Uint8Array | Float32Array,
): LogitsInput {
  const classes = rows[0].t.length;
  const argmax = (z: number[]) => z.indexOf(Math.max(...z));
  const flat = (k: 't' | 's') => Float32Array.from(rows.flatMap((r) => r[k]));
  return {
    numClasses: classes,
    shape,
    labels: rows.map((r) => r.label),
    pixelsAt: pixels,
    teacher: { logits: flat('t'), pred: rows.map((r) => argmax(r.t)) },
    student: { logits: flat('s'), pred: rows.map((r) => argmax(r.s)) },
    logitsSamples: 2,
  };
}

/** The positions that must be stored, from predictions.json alone. */
function qualifying(p: PredictionsFile): number[] {
  return p.labels.flatMap((y, i) => {
    const t = p.teacher[i];
    const s = p.student[i];
    const b = p.baseline?.[i];
    return t !== y || s !== y || t !== s || (b !== undefined && (b !== y || b !== t)) ? [i] : [];
  });
}

const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

describe('logits.json samples (logitsFile.ts)', () => {
  it('top classes are softmax at T = 1, likeliest first, rounded down so they never sum above 1', () => {
    const z = [2, -1, 0.5, 3, 3 - 1e-9];
    const p = softmax(z);
    const top = topClasses(z, 3);
    assert.deepEqual(
      top.map(([c]) => c),
      [3, 4, 0],
    );
    top.forEach(([c, q]) => assert.ok(q <= p[c] && p[c] - q < 1e-4, `class ${c}: ${q} vs ${p[c]}`));
    // A near-certain sample: rounding to nearest would give 1 + 0.0001 here.
    const sure = topClasses([20, 9.5, 9.5, -5], 3);
    assert.ok(sure.reduce((a, [, q]) => a + q, 0) <= 1, JSON.stringify(sure));
  });

  it('stores exactly the wrong or disagreeing samples, with their grey pixels and both models’ top 3', () => {
    const rows = [
      { label: 0, t: [5, 0, 0], s: [4, 1, 0] }, // both right, agree: left out
      { label: 1, t: [0, 5, 0], s: [3, 1, 0] }, // student wrong
      { label: 2, t: [5, 0, 1], s: [0, 0, 2] }, // teacher wrong
      { label: 0, t: [0, 3, 0], s: [0, 2, 0] }, // both wrong, agree
      { label: 2, t: [0, 0, 9], s: [0, 0, 1] }, // both right: left out
    ];
    const px = (i: number) => Uint8Array.from({ length: 4 * 4 }, (_, k) => (i * 16 + k) % 256);
    const s = inspectedSamples(synthetic(rows, [4, 4, 1], px));
    assert.deepEqual(s.positions, [1, 2, 3]);
    assert.equal(s.total, 3);
    assert.equal(s.omitted, 0);
    assert.equal(s.rule, INSPECT_RULE);
    assert.deepEqual(s.shape, [4, 4, 1]);
    s.positions.forEach((pos, k) => assert.deepEqual(new Uint8Array(Buffer.from(s.images![k], 'base64')), px(pos)));
    const p = softmax(rows[1].s);
    assert.deepEqual(
      s.top.student[0].map(([c]) => c),
      [0, 1, 2],
    );
    s.top.student[0].forEach(([c, q]) => assert.ok(Math.abs(q - p[c]) < 1e-4));
    assert.equal(s.top.baseline, undefined);
  });

  it('RGB: uint8 HWC pixels kept as they are, floats stretched, large images reduced by an integer factor', () => {
    const rows = [{ label: 1, t: [2, 0], s: [0, 1] }];
    const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => (k * 7) % 256);
    const asIs = inspectedSamples(synthetic(rows, [32, 32, 3], () => rgb));
    assert.deepEqual(asIs.shape, [32, 32, 3]);
    assert.deepEqual(new Uint8Array(Buffer.from(asIs.images![0], 'base64')), rgb);

    const floats = Float32Array.from({ length: 2 * 2 * 3 }, (_, k) => k / 11 - 0.5);
    const stretched = inspectedSamples(synthetic(rows, [2, 2, 3], () => floats));
    assert.deepEqual([...Buffer.from(stretched.images![0], 'base64')], [0, 23, 46, 70, 93, 116, 139, 162, 185, 209, 232, 255]);

    // 150×100 RGB → factor 3 → 50×33; pixel (1, 2) is the mean of rows 3–5 × columns 6–8.
    const big = Uint8Array.from({ length: 150 * 100 * 3 }, (_, k) => (k * 13) % 251);
    assert.deepEqual(thumbnailShape([150, 100, 3], 64), [50, 33, 3]);
    const reduced = inspectedSamples(synthetic(rows, [150, 100, 3], () => big));
    assert.deepEqual(reduced.shape, [50, 33, 3]);
    const bytes = Buffer.from(reduced.images![0], 'base64');
    assert.equal(bytes.length, 50 * 33 * 3);
    for (const ch of [0, 1, 2]) {
      let sum = 0;
      for (let y = 3; y < 6; y++) for (let x = 6; x < 9; x++) sum += big[(y * 100 + x) * 3 + ch];
      assert.equal(bytes[(1 * 33 + 2) * 3 + ch], Math.round(sum / 9));
    }
  });

  it('past the cap (samples or thumbnail bytes) keeps the first in test order and counts the rest', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ label: i % 2, t: [1, 0], s: [0, 1] }));
    const px = () => new Uint8Array(8 * 8);
    const bySamples = inspectedSamples({ ...synthetic(rows, [8, 8, 1], px), limits: { maxSamples: 4, maxImageBytes: 1e9, maxSide: 64 } });
    assert.deepEqual(bySamples.positions, [0, 1, 2, 3]);
    assert.deepEqual([bySamples.total, bySamples.omitted, bySamples.cap], [10, 6, 4]);
    const byBytes = inspectedSamples({ ...synthetic(rows, [8, 8, 1], px), limits: { maxSamples: 100, maxImageBytes: 64 * 3 + 10, maxSide: 64 } });
    assert.deepEqual([byBytes.positions.length, byBytes.omitted, byBytes.cap], [3, 7, 3]);
    // A table has no thumbnails, so only the sample cap applies.
    const table = inspectedSamples({ ...synthetic(rows, [1, 20, 1], px), limits: { maxSamples: 100, maxImageBytes: 1, maxSide: 64 } });
    assert.deepEqual([table.positions.length, table.images, table.shape], [10, undefined, undefined]);
  });

  describe('real runs', function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-logitsfile-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('grey digits: every misclassified or disagreeing test sample is stored with its own pixels (baseline included)', async () => {
      const r = await runConfig(
        {
          ...tiny,
          teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 } }],
          student: { architecture: { preset: 'mlp', hidden: [4] } },
          baseline: true,
        },
        fs.mkdtempSync(path.join(dir, 'grey-')),
      );
      assert.equal(r.code, 0);
      const pred = readJson<PredictionsFile>(path.join(r.runDir!, 'predictions.json'));
      const logits = readJson<LogitsFile>(path.join(r.runDir!, 'logits.json'));
      const want = qualifying(pred);
      assert.ok(want.length >= 5, `a 1-epoch tiny run gets some wrong: ${want.length}`);
      assert.deepEqual(logits.samples!.positions, want);
      assert.deepEqual([logits.samples!.total, logits.samples!.omitted], [want.length, 0]);
      assert.ok(logits.samples!.top.baseline, 'the baseline’s top classes too');
      const mnist = parseBundledMnist();
      want.forEach((pos, k) => {
        const i = pred.indices[pos];
        assert.deepEqual(new Uint8Array(Buffer.from(logits.samples!.images![k], 'base64')), mnist.images.subarray(i * 784, (i + 1) * 784), `sample #${i}`);
        assert.equal(logits.samples!.top.student[k][0][0], pred.student[pos], 'the top class is the prediction');
        assert.equal(logits.samples!.top.teacher[k][0][0], pred.teacher[pos]);
      });
    });

    it('RGB CIFAR records: the stored thumbnails are the records’ own HWC colours', async () => {
      const d = pickDigits(30);
      const rec = 1 + 3072;
      const bin = Buffer.alloc(d.count * rec);
      const colour = (k: number, p: number, ch: number) => {
        const r = Math.floor(p / 32) - 2;
        const c = (p % 32) - 2;
        const v = r >= 0 && r < 28 && c >= 0 && c < 28 ? d.images[k * 784 + r * 28 + c] : 0;
        return ch === 0 ? v : ch === 1 ? 255 - v : (d.labels[k] * 25 + p) % 256;
      };
      for (let k = 0; k < d.count; k++) {
        bin[k * rec] = d.labels[k];
        for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) bin[k * rec + 1 + ch * 1024 + p] = colour(k, p, ch);
      }
      const file = path.join(dir, 'rgb.bin');
      fs.writeFileSync(file, bin);
      const r = await runConfig(
        {
          ...tiny,
          data: { source: { format: 'cifar', train: file } },
          teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] }, training: { epochs: 1, batchSize: 50 } }],
          student: { architecture: { preset: 'mlp', hidden: [4] } },
        },
        fs.mkdtempSync(path.join(dir, 'rgb-')),
      );
      assert.equal(r.code, 0, JSON.stringify(r.messages.filter((m) => m.type !== 'step').slice(-2)));
      const pred = readJson<PredictionsFile>(path.join(r.runDir!, 'predictions.json'));
      const logits = readJson<LogitsFile>(path.join(r.runDir!, 'logits.json'));
      const want = qualifying(pred);
      assert.ok(want.length >= 3, `some wrong: ${want.length}`);
      assert.deepEqual(logits.samples!.positions, want);
      assert.deepEqual(logits.samples!.shape, [32, 32, 3]);
      want.forEach((pos, k) => {
        const i = pred.indices[pos];
        const hwc = Uint8Array.from({ length: 3072 }, (_, j) => colour(i, Math.floor(j / 3), j % 3));
        assert.deepEqual(new Uint8Array(Buffer.from(logits.samples!.images![k], 'base64')), hwc, `record ${i}`);
      });
    });
  });
});
