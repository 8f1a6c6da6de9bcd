import { strict as assert } from 'node:assert';
import {
  measureLatencies,
  measureLatency,
  medianRelativeError,
  quantile,
  summarise,
  withinNoise,
  type LatencyPlan,
} from '../../../../src/protocol/stats/latency';

/** A fake forward pass on a fake clock: each pass takes the next of `durations` (cycling) milliseconds. */
function fake(durations: number[]) {
  let t = 0;
  let calls = 0;
  return {
    now: () => t,
    pass: async () => {
      t += durations[calls++ % durations.length];
    },
    calls: () => calls,
  };
}

const plan: LatencyPlan = { warmupPasses: 5, warmupMs: 0, minPasses: 20, maxPasses: 200, targetRelativeError: 0.02, budgetMs: 250 };

describe('latency measurement (protocol/stats/latency)', () => {
  it("quantiles interpolate between order statistics (type 7), the IQR gives the median's error", () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(quantile(xs, 0.5), 5.5);
    assert.equal(quantile(xs, 0.25), 3.25);
    assert.equal(quantile(xs, 0.75), 7.75);
    // 1.2533 · (IQR/1.349) / √n / median
    assert.ok(Math.abs(medianRelativeError(xs) - (1.2533 * (4.5 / 1.349)) / Math.sqrt(10) / 5.5) < 1e-12);
    assert.deepEqual(summarise([4, 8, 2, 6, 10], 2), { medianMs: 3, q1Ms: 2, q3Ms: 4, repetitions: 5 });
  });

  it('the warm-up passes are not timed: slow first passes do not reach the median', async () => {
    // 5 cold passes of 50 ms, then 0.1 ms passes forever.
    let t = 0;
    let calls = 0;
    const s = await measureLatency(
      async () => void (t += calls++ < 5 ? 50 : 0.1),
      () => t,
      plan,
    );
    assert.ok(Math.abs(s.medianMs - 0.1) < 1e-9, `median ${s.medianMs}`);
    assert.ok(Math.abs(s.q3Ms - 0.1) < 1e-9);
  });

  it('a GC pause in one pass in ten does not move the median (a mean would read 1.09 ms, not 0.1)', async () => {
    const f = fake([0.1, 0.1, 0.1, 0.1, 10, 0.1, 0.1, 0.1, 0.1, 0.1]);
    const s = await measureLatency(f.pass, f.now, plan);
    assert.ok(Math.abs(s.medianMs - 0.1) < 1e-9, `median ${s.medianMs}`);
  });

  it('stops as soon as the median is stable: steady passes take the minimum number', async () => {
    const f = fake([0.2]);
    const s = await measureLatency(f.pass, f.now, plan);
    assert.equal(s.repetitions, plan.minPasses);
    assert.equal(f.calls(), plan.warmupPasses + plan.minPasses);
  });

  it('keeps going while the median is noisy, up to the cap on passes', async () => {
    // Passes alternate 0.1 and 0.3 ms: the IQR is as wide as the median, the error only falls as 1/√n.
    const f = fake([0.1, 0.3, 0.2, 0.15, 0.25]);
    const s = await measureLatency(f.pass, f.now, { ...plan, targetRelativeError: 0.001 });
    assert.equal(s.repetitions, plan.maxPasses);
    assert.ok(s.q1Ms < s.medianMs && s.medianMs < s.q3Ms);
    // With a 5 % target it stops when 1.2533·(0.1/1.349)/√n/0.2 ≤ 0.05, i.e. n ≥ 86.
    const g = fake([0.1, 0.3, 0.2, 0.15, 0.25]);
    const t = await measureLatency(g.pass, g.now, { ...plan, targetRelativeError: 0.05 });
    assert.ok(t.repetitions >= 86 && t.repetitions <= 95, `${t.repetitions} passes`);
  });

  it('a slow model is bounded by the time budget, warm-up included, but keeps at least 3 timed passes', async () => {
    const f = fake([100]);
    const s = await measureLatency(f.pass, f.now, { ...plan, warmupPasses: 2, budgetMs: 400, targetRelativeError: 0 });
    assert.equal(s.repetitions, 4); // 2 warm-up passes (200 ms), then timed passes until 400 ms
    const g = fake([1000]);
    const t = await measureLatency(g.pass, g.now, { ...plan, warmupPasses: 2, budgetMs: 400, targetRelativeError: 0 });
    assert.equal(g.calls(), 1 + 3, 'one warm-up pass (it already spent the budget), then 3 timed');
    assert.equal(t.medianMs, 1000);
  });

  it('reports a batch per sample', async () => {
    const f = fake([12.8]);
    const s = await measureLatency(f.pass, f.now, plan, 128);
    assert.ok(Math.abs(s.medianMs - 0.1) < 1e-12);
  });

  it('identical models timed interleaved read alike through a burst of load; timed one after the other they do not', async () => {
    // Passes take 1 ms, but 10 ms while another process holds the core (clock 25–400 ms):
    // the burst starts as the second model's turn comes.
    const world = () => {
      let t = 0;
      return { now: () => t, pass: async () => void (t += t >= 25 && t < 400 ? 10 : 1) };
    };
    const p = { ...plan, warmupPasses: 2, minPasses: 20, maxPasses: 100, targetRelativeError: 0 };
    const seq = world();
    const a = await measureLatency(seq.pass, seq.now, p);
    const b = await measureLatency(seq.pass, seq.now, p);
    assert.deepEqual([a.medianMs, b.medianMs], [1, 10], 'one after the other');
    const both = world();
    const [x, y] = await measureLatencies([both.pass, both.pass], both.now, p);
    assert.equal(x.medianMs, y.medianMs);
    assert.equal(x.repetitions, y.repetitions);
  });

  it('two latencies are within noise when their interquartile ranges overlap', () => {
    assert.equal(withinNoise({ q1Ms: 0.04, q3Ms: 0.06 }, { q1Ms: 0.055, q3Ms: 0.11 }), true);
    assert.equal(withinNoise({ q1Ms: 0.04, q3Ms: 0.05 }, { q1Ms: 0.055, q3Ms: 0.11 }), false);
    assert.equal(withinNoise({ q1Ms: 0.3, q3Ms: 0.4 }, { q1Ms: 0.1, q3Ms: 0.2 }), false);
  });
});
