import * as assert from 'node:assert/strict';
import { emptyRunSeries, reduceRunEvents } from '../../../src/protocol/runSeries';
import { accuracyLines, ema, gainCurve, gainLines, lossLines, lrLines, stageMarks, stageOffsets } from '../../../webview/lib/runCurves';
import { PALETTE, stageEvents, WHOLE_RUN } from './runEventsFixture';

const wholeRun = () => reduceRunEvents(emptyRunSeries(), stageEvents(WHOLE_RUN));
const key = (l: { color: string; dash?: number[] }) => `${l.color} ${JSON.stringify(l.dash ?? [])}`;

describe('dashboard curves (webview/lib/runCurves)', () => {
  it('offsets each stage’s steps by the planned steps before it: teacher 1–7, distill 8–21, baseline 22–35', () => {
    const s = wholeRun();
    assert.deepEqual(
      [...stageOffsets(s)],
      [
        ['teacher', 0],
        ['distill', 7],
        ['baseline', 21],
      ],
    );
    const lines = lossLines(s, PALETTE);
    const range = (label: string) => {
      const l = lines.find((x) => x.label === label)!;
      return [l.xs[0], l.xs[l.xs.length - 1]];
    };
    assert.deepEqual(range('teacher: total = ce'), [1, 7]);
    assert.deepEqual(range('distilled student: total'), [8, 21]);
    assert.deepEqual(range('student from scratch: total = ce'), [22, 35]);
    // The learning rate shares the axis; the marks say where distill and the baseline begin.
    assert.deepEqual(
      lrLines(s, PALETTE).map((l) => l.xs[0]),
      [1, 8, 22],
    );
    assert.deepEqual(stageMarks(s), [
      { x: 7, label: 'distilled student' },
      { x: 21, label: 'student from scratch' },
    ]);
    // The series itself keeps each stage's own step numbers (the CLI and events.jsonl count per stage).
    assert.equal(s.loss['distill/total'].x[0], 1);
  });

  it('draws a term equal to its stage’s total once (teacher and baseline train with CE only), and every loss line in its own colour', () => {
    const lines = lossLines(wholeRun(), PALETTE);
    assert.deepEqual(
      lines.map((l) => l.label),
      ['teacher: total = ce', 'distilled student: total', 'distilled student: kd', 'distilled student: ce', 'student from scratch: total = ce'],
    );
    const colors = lines.map((l) => l.color);
    assert.equal(new Set(colors).size, colors.length, `distinct colours: ${colors.join(', ')}`);
    // Each stage's total keeps the stage's colour (the same as on the accuracy chart).
    assert.equal(colors[0], PALETTE.teacher);
    assert.equal(colors[1], PALETTE.student);
    assert.equal(colors[4], PALETTE.baseline);
  });

  it('keeps a term that differs from the total, even by a little', () => {
    const ev = stageEvents([{ stage: 'teacher', epochs: 1, stepsPerEpoch: 3, val: [0.5] }]);
    for (const e of ev) if (e.type === 'step' && e.step === 2) e.terms.ce += 1e-3;
    const labels = lossLines(reduceRunEvents(emptyRunSeries(), ev), PALETTE).map((l) => l.label);
    assert.deepEqual(labels, ['teacher: total', 'teacher: ce']);
  });

  it('past the palette a colour repeats only with another dash: no two lines look alike', () => {
    const stages = [1, 2, 3, 4].map((i) => ({ stage: 'assistant' as const, epochs: 1, stepsPerEpoch: 2, val: [0.5], model: `assistant_${i}` }));
    const ev = stageEvents([...stages, ...WHOLE_RUN.slice(1)]);
    // Each link's events carry its index, as the engine sends them.
    let link = 0;
    for (const e of ev) {
      if (e.type === 'stage_started' && e.stage === 'assistant') e.assistant = { index: ++link, of: 4, description: 'mlp' };
      if ((e.type === 'step' || e.type === 'epoch' || e.type === 'stage_done') && e.stage === 'assistant') Object.assign(e, { assistant: { index: link } });
    }
    const lines = lossLines(reduceRunEvents(emptyRunSeries(), ev), PALETTE);
    assert.ok(lines.length > PALETTE.series.length, `${lines.length} lines for ${PALETTE.series.length} colours`);
    const looks = lines.map(key);
    assert.equal(new Set(looks).size, looks.length, looks.join(' | '));
  });

  it('smooths with a debiased EMA (closed form) and leaves the raw series alone', () => {
    assert.deepEqual(ema([1, 1, 1], 0.9), [1, 1, 1]);
    const [a, b, c] = ema([0, 1, 1], 0.5);
    assert.equal(a, 0);
    assert.ok(Math.abs(b - 0.5 / 0.75) < 1e-12);
    assert.ok(Math.abs(c - 0.75 / 0.875) < 1e-12);
    assert.deepEqual(ema([3, 4], 0), [3, 4]);
    const s = wholeRun();
    const raw = s.loss['distill/total'].y.slice();
    const smooth = lossLines(s, PALETTE, 0.9).find((l) => l.label === 'distilled student: total')!;
    assert.deepEqual(Array.from(smooth.ys), ema(raw, 0.9));
    assert.deepEqual(s.loss['distill/total'].y, raw);
  });

  it('“distilled − scratch” per epoch where both stages have an accuracy', () => {
    const ev = stageEvents([
      { stage: 'distill', epochs: 3, stepsPerEpoch: 2, val: [0.3, 0.4, 0.5] },
      { stage: 'baseline', epochs: 3, stepsPerEpoch: 2, val: [0.35, 0.38, 0.5], stopAfter: 4 },
    ]);
    const s = reduceRunEvents(emptyRunSeries(), ev);
    const g = gainCurve(s)!;
    assert.deepEqual(g.x, [1, 2]);
    assert.ok(Math.abs(g.y[0] - -0.05) < 1e-12 && Math.abs(g.y[1] - 0.02) < 1e-12, String(g.y));
    const lines = gainLines(s, PALETTE);
    assert.equal(lines[0].label, 'distilled − scratch');
    assert.deepEqual(lines[1].ys, [0, 0], 'a zero line to read the gap against');
    // Before the baseline's first epoch there is nothing to subtract.
    const early = reduceRunEvents(emptyRunSeries(), stageEvents([WHOLE_RUN[1]]));
    assert.equal(gainCurve(early), undefined);
    assert.deepEqual(gainLines(early, PALETTE), []);
  });

  it('accuracy: validation and train of each student stage, and the teacher as a level line', () => {
    const lines = accuracyLines(wholeRun(), PALETTE);
    assert.deepEqual(
      lines.map((l) => l.label),
      ['distilled: validation', 'distilled: train', 'from scratch: validation', 'from scratch: train', 'teacher (validation)'],
    );
    const looks = lines.map(key);
    assert.equal(new Set(looks).size, looks.length, looks.join(' | '));
    assert.deepEqual(lines[4].ys, [0.9, 0.9]);
  });
});
