import { strict as assert } from 'node:assert';
import { sweepItemModel } from '../../../src/extension/tree/runInfo';
import { compareBySeed } from '../../../src/protocol/stats/seeds';

describe('extension/tree/runInfo: seeded runs and doubtful best settings', () => {
  const startedAt = new Date(0).toISOString();
  it('a seeded run says its verdict across seeds with the interval', () => {
    const vsBaseline = compareBySeed(
      new Map([
        [1, 0.92],
        [2, 0.9],
      ]),
      new Map([
        [1, 0.9],
        [2, 0.91],
      ]),
    );
    const m = sweepItemModel(
      {
        name: 'mnist',
        status: 'done',
        startedAt,
        trials: [{ status: 'done' }, { status: 'done' }, { status: 'done' }, { status: 'done' }],
        params: [],
        aggregates: [{ vsBaseline }],
      },
      0,
    );
    assert.equal(m.label, 'mnist (seeds)');
    assert.match(m.description, /^done · 2 seeds · no measurable difference: \+0\.50 pts, 95 % CI −18\.56 to \+19\.56 · /);
    assert.match(m.tooltip, /no measurable difference between distillation and the same student trained from scratch across 2 seeds/);
  });

  it('a sweep whose best setting has warnings marks it and lists them', () => {
    const m = sweepItemModel(
      {
        name: 'mnist',
        status: 'done',
        startedAt,
        trials: [{ status: 'done' }],
        params: [{ path: 'distillation.temperature' }],
        bestSetting: {
          params: { 'distillation.temperature': 4 },
          mean: 0.9,
          warnings: ['the best setting (temperature=4) is not distinguishable from the runner-up'],
        },
      },
      0,
    );
    assert.match(m.description, /best temperature=4 \(90\.00%\) ⚠/);
    assert.match(m.tooltip, /⚠ the best setting \(temperature=4\) is not distinguishable from the runner-up/);
    assert.match(m.tooltip, /^mnist: sweep of temperature, done/);
  });
});
