/**
 * The confusion popover's model (webview/lib/cellSamples.ts): a cell's samples joined with
 * logits.json's stored thumbnails and top classes, the disagreement filter, and the integer
 * thumbnail upscale.
 */
import * as assert from 'node:assert/strict';
import { cellSamples, disagreementsOnly, thumbnailScale, unstoredNote } from '../../../webview/lib/cellSamples';
import type { InspectedSamples, PredictionsFile } from '../../../src/protocol/webviewMessages';

// Ten samples; the stored ones are those wrong for a model or disagreeing (as the engine stores them).
const p: PredictionsFile = {
  indices: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  labels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 2],
  teacher: [0, 1, 1, 1, 1, 0, 2, 2, 1, 2],
  student: [0, 1, 2, 1, 0, 0, 2, 1, 1, 2],
  baseline: [0, 0, 0, 1, 1, 1, 2, 2, 2, 0],
};
const stored = [1, 2, 4, 5, 7, 8, 9];
const samples: InspectedSamples = {
  rule: 'test',
  positions: stored,
  top: {
    teacher: stored.map((pos) => [
      [p.teacher[pos], 0.8],
      [(p.teacher[pos] + 1) % 3, 0.15],
      [(p.teacher[pos] + 2) % 3, 0.05],
    ]),
    student: stored.map((pos) => [[p.student[pos], 0.6]]),
    baseline: stored.map((pos) => [[p.baseline![pos], 0.5]]),
  },
  total: 7,
  omitted: 0,
  cap: 5000,
};

describe('cell samples (the confusion popover)', () => {
  it('lists a student cell’s samples in test order, each with its stored top classes', () => {
    const items = cellSamples(p, samples, { model: 'student', actual: 0, predicted: 1 }, 'student');
    assert.deepEqual(
      items.map((s) => [s.position, s.index, s.stored, s.disagree]),
      [[1, 11, 0, false]],
    );
    assert.deepEqual(items[0].top, { teacher: samples.top.teacher[0], student: samples.top.student[0] });
    const cell = cellSamples(p, samples, { model: 'student', actual: 1, predicted: 0 }, 'student');
    assert.deepEqual(
      cell.map((s) => [s.position, s.teacher, s.student, s.disagree]),
      [
        [4, 1, 0, true],
        [5, 0, 0, false],
      ],
    );
    assert.deepEqual(
      disagreementsOnly(cell).map((s) => s.position),
      [4],
    );
  });

  it('the baseline’s cells use its predictions and its top classes; the teacher’s cells its own', () => {
    const base = cellSamples(p, samples, { model: 'student', actual: 2, predicted: 0 }, 'baseline');
    assert.deepEqual(
      base.map((s) => [s.position, s.student, s.top?.student]),
      [[9, 0, samples.top.baseline![6]]],
    );
    const teacher = cellSamples(p, samples, { model: 'teacher', actual: 0, predicted: 1 }, 'student');
    assert.deepEqual(
      teacher.map((s) => s.position),
      [1, 2],
    );
    assert.equal(teacher[1].disagree, true, 'teacher 1, student 2');
  });

  it('a difference cell lists the samples only one model put there, saying which', () => {
    const d = cellSamples(p, samples, { model: 'diff', actual: 2, predicted: 1 }, 'student');
    assert.deepEqual(
      d.map((s) => [s.position, s.note]),
      [[7, 'only the student']],
    );
  });

  it('a diagonal cell’s right-and-agreed samples have no thumbnail, and the note says why', () => {
    const diag = cellSamples(p, samples, { model: 'student', actual: 2, predicted: 2 }, 'student');
    assert.deepEqual(
      diag.map((s) => [s.position, s.stored]),
      [
        [6, -1],
        [9, 6],
      ],
    );
    assert.equal(unstoredNote(diag, samples), '1 right for both models and agreed on (not stored).');
    const capped = { ...samples, positions: [1], total: 7, omitted: 6, cap: 1 };
    const wrongUnstored = cellSamples(p, capped, { model: 'student', actual: 1, predicted: 0 }, 'student');
    assert.match(unstoredNote(wrongUnstored, capped)!, /^2 left out by logits\.json's cap of 1 samples \(6 of 7 left out in all\)\.$/);
    assert.match(unstoredNote(diag, undefined)!, /predates stored samples/);
    assert.equal(unstoredNote(cellSamples(p, samples, { model: 'student', actual: 0, predicted: 1 }, 'student'), samples), undefined);
  });

  it('thumbnails are an integer upscale of the native size towards 64 px, never below 1', () => {
    assert.equal(thumbnailScale(28, 28), 2);
    assert.equal(thumbnailScale(32, 32), 2);
    assert.equal(thumbnailScale(8, 8), 8);
    assert.equal(thumbnailScale(64, 48), 1);
    assert.equal(thumbnailScale(100, 100), 1);
    assert.equal(thumbnailScale(28, 28, 96), 3);
  });
});
