import { strict as assert } from 'node:assert';
import { phasesOf } from '../../../scripts/bench/e2e';

// The order `distill run` writes them in (seen in a real run's events.jsonl): the teacher's stage
// ends with stage_done, the distill and baseline stages with their last epoch event.
const t0 = Date.parse('2026-12-02T05:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const events = [
  { type: 'run_started', time: at(0.5) },
  { type: 'stage_started', stage: 'teacher', time: at(2) },
  { type: 'epoch', stage: 'teacher', time: at(50) },
  { type: 'epoch', stage: 'teacher', time: at(100) },
  { type: 'stage_done', stage: 'teacher', time: at(100.5) },
  { type: 'teacher_logits', time: at(110) },
  { type: 'stage_started', stage: 'distill', time: at(110.1) },
  { type: 'epoch', stage: 'distill', time: at(115) },
  { type: 'epoch', stage: 'distill', time: at(120) },
  { type: 'stage_started', stage: 'baseline', time: at(120.1) },
  { type: 'epoch', stage: 'baseline', time: at(126) },
  { type: 'run_finished', time: at(129) },
];

describe('bench e2e: wall time by phase from the run events', () => {
  it('splits the wall time at the stage boundaries, and the phases add up to it', () => {
    const p = phasesOf(events, 130, t0);
    assert.deepEqual(p, { setup: 2, teacher: 98.5, cache: 9.5, distill: 10, baseline: 6, finish: 3, exit: 1 });
    const sum = Object.values(p).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 130) < 1e-9, `phases sum to ${sum}, the wall time is 130`);
  });
});
